"""A larger request-body limit for the endpoints that carry attachments.

MW_MAX_REQUEST_BYTES (5 MiB) bounds every request, which keeps a stray upload from filling
memory; a service message may carry up to 10 MB of attachments, ~14 MB once base64-encoded in
JSON. For POST /api/v1/messages and /messages/batch only, the body is read here up to
MW_MAX_MESSAGE_REQUEST_BYTES (15 MiB) and handed on already read; anything larger is a 413
before a byte more is read."""

from __future__ import annotations

from django.conf import settings

from mailwright.api.errors import json_error

PATHS = ("/api/v1/messages", "/api/v1/messages/batch")


class MessageBodyLimit:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        if request.method == "POST" and request.path.rstrip("/") in PATHS:
            limit = settings.MAX_MESSAGE_REQUEST_BYTES
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            if length > limit:
                return json_error(
                    413, "too_large", f"the request body is larger than {limit} bytes"
                )
            if length > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
                # Read now, with this endpoint's limit: request.body then returns it as is.
                request._body = request.read(limit + 1)
                if len(request._body) > limit:
                    return json_error(
                        413, "too_large", f"the request body is larger than {limit} bytes"
                    )
        return self.get_response(request)
