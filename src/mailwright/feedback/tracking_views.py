"""The tracking endpoints: /t/o/<token>.gif (open pixel) and /t/c/<token> (click redirect).

They are served twice over the same core functions: by a small ASGI fast path in front of
Django (asgi.py; no middleware, no sessions — the hot path under load) and by plain Django
views (for WSGI and the test client). A bad token gets a 404, never a 500; a click whose
link is unknown gets a 404, never a redirect to anything the request says.
"""

from __future__ import annotations

import asyncio
import base64

from django.http import HttpResponse, HttpResponseNotFound, HttpResponseRedirect
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from mailwright.campaigns.models import CampaignLink
from mailwright.delivery import tracked_links
from mailwright.feedback import tracking
from mailwright.feedback.tracking_writer import writer
from mailwright.tokens import BadToken

PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
NO_CACHE = "no-store, no-cache, must-revalidate, private, max-age=0"


def record_open(token: str, method: str, ip: str, ua: str) -> bool:
    try:
        delivery_id, campaign_id = tracked_links.read_open(token)
    except BadToken:
        return False
    writer.add(
        {
            "type": "opened",
            "delivery": delivery_id,
            "campaign": campaign_id,
            "machine": tracking.machine_reason(method, ip, ua),
            "ip": ip,
            "ua": ua,
            "at": timezone.now(),
        }
    )
    return True


_urls: dict[tuple[int, int], str | None] = {}
MAX_CACHED = 50_000


def link_url(campaign_id: int, index: int) -> str | None:
    """Where a campaign's link redirects (from the database once, then from memory): the
    stored URL made safe for a Location header (tracked_links.redirect_target), or None."""
    key = (campaign_id, index)
    if key in _urls:
        return _urls[key]
    url = (
        CampaignLink.objects.filter(campaign_id=campaign_id, index=index)
        .values_list("url", flat=True)
        .first()
    )
    url = tracked_links.redirect_target(url) if url else None
    if len(_urls) >= MAX_CACHED:
        _urls.clear()
    _urls[key] = url
    return url


def parse_click(token: str) -> tuple[int, int, int] | None:
    try:
        return tracked_links.read_click(token)
    except BadToken:
        return None


def record_click(ids, url: str, method: str, ip: str, ua: str) -> None:
    delivery_id, campaign_id, index = ids
    writer.add(
        {
            "type": "clicked",
            "delivery": delivery_id,
            "campaign": campaign_id,
            "link": index,
            "url": url,
            "machine": tracking.machine_reason(method, ip, ua),
            "ip": ip,
            "ua": ua,
            "at": timezone.now(),
        }
    )


def _meta(request) -> tuple[str, str]:
    return request.META.get("REMOTE_ADDR", ""), request.META.get("HTTP_USER_AGENT", "")[:400]


@require_http_methods(["GET", "HEAD"])
def open_pixel(request, token: str):
    ip, ua = _meta(request)
    if not record_open(token, request.method, ip, ua):
        return HttpResponseNotFound("not found", content_type="text/plain")
    response = HttpResponse(PIXEL, content_type="image/gif")
    response["Cache-Control"] = NO_CACHE
    return response


@require_http_methods(["GET", "HEAD"])
def click(request, token: str):
    ids = parse_click(token)
    url = link_url(ids[1], ids[2]) if ids else None
    if url is None:
        return HttpResponseNotFound("not found", content_type="text/plain")
    ip, ua = _meta(request)
    record_click(ids, url, request.method, ip, ua)
    response = HttpResponseRedirect(url)
    response["Cache-Control"] = NO_CACHE
    return response


class TrackingFastPath:
    """ASGI middleware: answers /t/o/ and /t/c/ itself, passes everything else to Django."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "lifespan":
            return await self._lifespan(receive, send)
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if not path.startswith(("/t/o/", "/t/c/")) or scope.get("method") not in ("GET", "HEAD"):
            return await self.app(scope, receive, send)
        headers = dict(scope.get("headers") or [])
        ua = headers.get(b"user-agent", b"").decode("latin-1")[:400]
        ip = (scope.get("client") or ("", 0))[0]
        method = scope["method"]
        token = path[5:]
        if path.startswith("/t/o/"):
            ok = record_open(token.removesuffix(".gif"), method, ip, ua)
            if ok:
                return await _respond(send, 200, [(b"content-type", b"image/gif")], PIXEL)
            return await _respond(send, 404, [(b"content-type", b"text/plain")], b"not found")
        ids = parse_click(token)
        url = None
        if ids:
            key = (ids[1], ids[2])
            # From memory when known; the first lookup of a link goes to the database in a
            # thread, never on the event loop.
            url = _urls[key] if key in _urls else await asyncio.to_thread(link_url, *key)
        if not url:
            return await _respond(send, 404, [(b"content-type", b"text/plain")], b"not found")
        record_click(ids, url, method, ip, ua)
        return await _respond(send, 302, [(b"location", url.encode("ascii"))], b"")

    async def _lifespan(self, receive, send) -> None:
        await _lifespan_loop(receive, send)


async def _lifespan_loop(receive, send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            # Write what is still buffered before the process goes away.
            await asyncio.to_thread(writer.close)
            await send({"type": "lifespan.shutdown.complete"})
            return


async def _respond(send, status: int, headers: list, body: bytes) -> None:
    headers = [
        *headers,
        (b"cache-control", NO_CACHE.encode()),
        (b"content-length", str(len(body)).encode()),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
