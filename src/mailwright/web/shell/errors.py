"""The 404 and 500 pages (handler404 / handler500 in mailwright.urls).

API paths (/api/...) get the API's JSON error body. The 404 page uses the app's layout, with
the navigation for a signed-in user. The 500 page is rendered without the request: no
context processors, so no database query and no request.user (either may be what failed);
if even that fails, a fixed HTML string is sent."""

from __future__ import annotations

import logging

from django.http import HttpResponseServerError, JsonResponse
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
