"""The 400, 404 and 500 pages (handler400 / handler404 / handler500 in mailwright.urls).
A body larger than MW_MAX_REQUEST_BYTES (Django refuses it by its declared length, before
reading it) gets a 413 that says so, not a bare "Bad Request".

API paths (/api/...) get the API's JSON error body. The 404 page uses the app's layout, with
the navigation for a signed-in user. The 500 page is rendered without the request: no
context processors, so no database query and no request.user (either may be what failed);
if even that fails, a fixed HTML string is sent."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponseBadRequest, HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.template import loader

log = logging.getLogger(__name__)

FALLBACK_500 = (
    "<!doctype html><html lang='en'><meta charset='utf-8'><title>Server error</title>"
    "<main><h1>Something went wrong</h1><p>The error has been logged. Please try again in a "
    "moment.</p></main></html>"
)


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


def _json(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"error": {"code": code, "message": message, "field": None}}, status=status)


def bad_request(request, exception=None):
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if isinstance(exception, RequestDataTooBig):
        if _is_api(request):
            return _json(413, "too_large", f"the request body is larger than {limit} bytes")
        context = {"limit": limit, "limit_mb": round(limit / 1024 / 1024, 1)}
        return render(request, "413.html", context, status=413)
    if _is_api(request):
        return _json(400, "bad_request", "the request could not be understood")
    return HttpResponseBadRequest("<!doctype html><title>Bad request</title><h1>Bad request</h1>")


def page_not_found(request, exception=None):
    if _is_api(request):
        return _json(404, "not_found", f"no API endpoint at {request.path}")
    return render(request, "404.html", {"path": request.path}, status=404)


def server_error(request):
    if _is_api(request):
        return _json(500, "server_error", "internal error; it has been logged")
    try:
        html = loader.get_template("500.html").render({})
    except Exception:
        log.exception("the 500 page could not be rendered")
        html = FALLBACK_500
    return HttpResponseServerError(html)
