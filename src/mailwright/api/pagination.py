"""Limit/offset pagination that keeps list endpoints returning plain JSON arrays: the total
goes in X-Total-Count and the next page in a Link header (rel="next")."""

from __future__ import annotations

from urllib.parse import urlencode

from mailwright.api.errors import ApiError

MAX_LIMIT = 500
MAX_OFFSET = 1_000_000_000  # beyond this a database integer overflows


def page(request, response, queryset, limit: int, offset: int):
    if limit < 1 or limit > MAX_LIMIT:
        raise ApiError(422, "invalid", f"limit must be between 1 and {MAX_LIMIT}", "limit")
    if offset < 0 or offset > MAX_OFFSET:
        raise ApiError(422, "invalid", f"offset must be between 0 and {MAX_OFFSET}", "offset")
    total = queryset.count()
    items = list(queryset[offset : offset + limit])
    response["X-Total-Count"] = str(total)
    if offset + limit < total:
        params = request.GET.copy()
        params["offset"] = str(offset + limit)
        params["limit"] = str(limit)
        response["Link"] = f'<{request.path}?{urlencode(params, doseq=True)}>; rel="next"'
    return items
