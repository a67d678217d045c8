"""/metrics for Prometheus: open to clients on this machine, otherwise behind a bearer token."""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.crypto import constant_time_compare
from django.views.decorators.http import require_safe

from mailwright.ops import metrics as collection

# A request relayed by a proxy on this machine comes from loopback too: it is not local.
PROXY_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_FORWARDED", "HTTP_X_REAL_IP")


def is_local(request: HttpRequest) -> bool:
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return address.is_loopback and not any(request.META.get(h) for h in PROXY_HEADERS)


def _refused(status: int, text: str) -> HttpResponse:
    response = HttpResponse(text + "\n", status=status, content_type="text/plain; charset=utf-8")
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
    return response


@require_safe
def metrics(request: HttpRequest) -> HttpResponse:
    token = settings.METRICS_TOKEN
    if not is_local(request):
        if not token:
            return _refused(404, "Not found.")
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not given.strip():
            return _refused(401, "Send Authorization: Bearer <MW_METRICS_TOKEN>.")
        if not constant_time_compare(given.strip(), token):
            return _refused(403, "Wrong metrics token.")
    response = HttpResponse(collection.exposition(), content_type=collection.CONTENT_TYPE)
    response["Cache-Control"] = "no-store"
    return response
