"""Outgoing webhooks: every event can be POSTed to subscribed endpoints as JSON, signed with
HMAC-SHA256 over the timestamp and body, and retried with back-off by the task worker.

Signature header: `Mailwright-Signature: t=<unix time>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.
Receivers should recompute it and reject timestamps older than a few minutes (replays).

Endpoints may not point into the machine or its private network (SSRF): loopback, private,
link-local, shared, multicast and reserved addresses are refused in whatever spelling
(`http://2130706433/`, `0177.0.0.1`, `[::ffff:127.0.0.1]`, `localhost`), unless the host is
listed in MW_WEBHOOK_ALLOW_HOSTS. At send time the host is resolved and the connection goes
only to an address that was checked (no DNS rebinding), also after a redirect.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import ipaddress
import json
import logging
import secrets
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Iterable
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from mailwright.audit import log as audit
from mailwright.audit.actors import Actor
from mailwright.feedback.models import WebhookDelivery, WebhookEndpoint

log = logging.getLogger(__name__)
EVENT_TYPES = (
    "sent",
    "delivered",
    "bounced",
    "soft_bounced",
    "deferred",
    "complained",
    "unsubscribed",
    "opened",
    "clicked",
    "campaign.paused",
    "campaign.sent",
    "campaign.ab_decided",
    "survey.responded",
)
RETRY_DELAYS = [60, 300, 1800, 7200, 21600, 43200]  # then the delivery is marked failed
TIMEOUT = 10
MAX_BODY = 256 * 1024


class WebhookError(ValueError):
    def __init__(self, message: str, field: str = "url") -> None:
        super().__init__(message)
        self.field = field


class WebhookRefused(WebhookError):
    """The endpoint is (or resolves to) an address webhooks may not reach."""


class AddressRefused(OSError):
    """Raised while connecting: the host resolved to a forbidden address."""


_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")


def forbidden_address(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Loopback, private, link-local (169.254.169.254, fe80::), shared (100.64/10),
    unspecified (0.0.0.0, ::), multicast, reserved or documentation: anything that is not a
    public unicast address, also when an IPv4 address is carried inside an IPv6 one."""
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour
        if embedded is None and (ip in _NAT64 or ip in _IPV4_COMPATIBLE):
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None and forbidden_address(embedded):
            return True
    return not ip.is_global or ip.is_multicast


def literal_address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The IP address a host name spells, in any form the system resolver accepts
    (`2130706433`, `0x7f.1`, `0177.0.0.1`, `127.1`, `[::1]`), or None for a real name."""
    host = host.rstrip(".")
    try:
        return ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        pass
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except (OSError, ValueError):
        return None


def _allowed_host(host: str) -> bool:
    return host.lower().rstrip(".") in settings.WEBHOOK_ALLOW_HOSTS


def validate_url(url: str) -> str:
    url = (url or "").strip()
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise WebhookError("a webhook URL must start with http:// or https:// and name a host")
    if parts.username or parts.password:
        raise WebhookError("put no credentials in the URL: requests are signed instead")
    if len(url) > 1000:
        raise WebhookError("the URL is longer than 1,000 characters")
    try:
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        raise WebhookError("the URL has a bad port number") from None
    host = parts.hostname
    if _allowed_host(host):
        return url
    name = host.rstrip(".")
    if name == "localhost" or name.endswith(".localhost"):
        raise WebhookRefused(
            f"webhooks may not be sent to {host} (this machine); to allow it, add it to"
            " MW_WEBHOOK_ALLOW_HOSTS"
        )
    ip = literal_address(host)
    if ip is not None and forbidden_address(ip):
        raise WebhookRefused(
            f"webhooks may not be sent to {host} ({ip} is a loopback, private, link-local or"
            " reserved address); to allow it, add the host to MW_WEBHOOK_ALLOW_HOSTS"
        )
    return url


@transaction.atomic
def do_create_endpoint(
    url: str,
    event_types: list[str] | None = None,
    description: str = "",
    *,
    by: Actor | None = None,
) -> WebhookEndpoint:
    unknown = sorted(set(event_types or []) - set(EVENT_TYPES))
    if unknown:
        raise WebhookError(f"unknown event type(s): {', '.join(unknown)}", field="event_types")
    endpoint = WebhookEndpoint.objects.create(
        url=validate_url(url),
        secret=secrets.token_urlsafe(32),
        event_types=sorted(set(event_types or [])),
        description=description[:200],
    )
    by = by or Actor.system("mailwright")
    audit.record(by, "webhook.create", "webhook", endpoint.pk, after=_view(endpoint))
    return endpoint


@transaction.atomic
def do_set_endpoint_enabled(endpoint: WebhookEndpoint, enabled: bool, *, by: Actor) -> None:
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(enabled=enabled)
    audit.record(
        by,
        "webhook.enable" if enabled else "webhook.disable",
        "webhook",
        endpoint.pk,
        before={"enabled": endpoint.enabled},
        after={"enabled": enabled},
    )
    endpoint.enabled = enabled


@transaction.atomic
def do_delete_endpoint(endpoint: WebhookEndpoint, *, by: Actor) -> None:
    audit.record(by, "webhook.delete", "webhook", endpoint.pk, before=_view(endpoint))
    endpoint.delete()


def _view(endpoint: WebhookEndpoint) -> dict:
    """What the audit log keeps of an endpoint (never its signing secret)."""
    return {
        "url": endpoint.url,
        "event_types": endpoint.event_types,
        "enabled": endpoint.enabled,
        "description": endpoint.description,
    }


def sign(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify(
    secret: str, header: str, body: bytes, tolerance: int = 300, now: float | None = None
) -> bool:
    """What a receiver does (also used in tests): check the MAC and the timestamp's age."""
    try:
        fields = dict(part.split("=", 1) for part in header.split(","))
        timestamp = int(fields["t"])
    except (ValueError, KeyError):
        return False
    if abs((now or time.time()) - timestamp) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), header)


def emit(event_type: str, payload: dict) -> int:
    """Queue `event_type` for every endpoint that wants it; sent after the transaction commits."""
    return emit_many([(event_type, payload)])


def emit_many(events: Iterable[tuple[str, dict]]) -> int:
    """Queue several events at once (one query when nobody listens, as is usual: then a
    generator of events is never consumed)."""
    endpoints = list(WebhookEndpoint.objects.filter(enabled=True))
    if not endpoints:
        return 0
    events = list(events)
    if not events:
        return 0
    now = timezone.now()
    rows = [
        WebhookDelivery(
            endpoint=e,
            event_type=event_type,
            payload={"type": event_type, "created_at": now.isoformat(), "data": payload},
            next_attempt_at=now,
        )
        for event_type, payload in events
        for e in endpoints
        if not e.event_types or event_type in e.event_types
    ]
    if not rows:
        return 0
    created = WebhookDelivery.objects.bulk_create(rows)
    ids = [r.id for r in created]
    if None in ids:  # backends that do not return ids from bulk inserts
        ids = list(WebhookDelivery.objects.filter(created_at__gte=now).values_list("id", flat=True))
    transaction.on_commit(lambda: [deliver.enqueue(i) for i in ids])
    return len(ids)


@task(queue_name="webhooks")
def deliver(delivery_id: int) -> str:
    """One attempt; on failure the next one is scheduled with back-off."""
    row = WebhookDelivery.objects.select_related("endpoint").filter(pk=delivery_id).first()
    if row is None or row.state != WebhookDelivery.State.PENDING:
        return "skipped"
    if not row.endpoint.enabled:
        row.state = WebhookDelivery.State.FAILED
        row.last_error = "endpoint disabled"
        row.save(update_fields=["state", "last_error"])
        return row.state
    try:
        status, error = post(row.endpoint, row.event_type, row.payload)
    except WebhookRefused as exc:
        row.attempts += 1
        row.state = WebhookDelivery.State.FAILED  # an address it may never reach
        row.last_status = None
        row.last_error = f"refused: {exc}"[:2000]
        row.save()
        log.warning("webhook %s refused: %s", row.endpoint_id, exc)
        return row.state
    row.attempts += 1
    row.last_status = status
    row.last_error = error[:2000]
    if status is not None and 200 <= status < 300:
        row.state = WebhookDelivery.State.SENT
        row.delivered_at = timezone.now()
    elif row.attempts > len(RETRY_DELAYS) or (
        status is not None and status in (400, 401, 403, 404, 410)
    ):
        row.state = WebhookDelivery.State.FAILED  # gave up, or the receiver said "never"
    else:
        delay = RETRY_DELAYS[row.attempts - 1]
        row.next_attempt_at = timezone.now() + timedelta(seconds=delay)
        deliver.using(run_after=row.next_attempt_at).enqueue(row.id)
    row.save()
    return row.state


def post(endpoint: WebhookEndpoint, event_type: str, payload: dict) -> tuple[int | None, str]:
    body = json.dumps(payload, cls=DjangoJSONEncoder, separators=(",", ":")).encode()[:MAX_BODY]
    request = urllib.request.Request(  # noqa: S310 - the scheme is checked to be http(s)
        validate_url(endpoint.url),
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "Mailwright-Webhooks/1",
            "Mailwright-Event": event_type,
            "Mailwright-Signature": sign(endpoint.secret, int(time.time()), body),
        },
    )
    try:
        with _opener().open(request, timeout=TIMEOUT) as response:
            return response.status, ""
    except urllib.error.HTTPError as exc:
        return exc.code, f"HTTP {exc.code}"
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, AddressRefused | WebhookError):
            raise WebhookRefused(str(exc.reason)) from None
        return None, f"{type(exc).__name__}: {exc}"
    except (AddressRefused, WebhookError) as exc:  # WebhookError: from a redirect
        raise WebhookRefused(str(exc)) from None
    except (OSError, TimeoutError) as exc:
        return None, f"{type(exc).__name__}: {exc}"


# --- connecting only to checked addresses ---------------------------------------------------


def _connect(host: str, port: int, timeout) -> socket.socket:
    """Resolve `host` once, refuse if any address is forbidden (unless the host is allowed),
    and connect to one of exactly those addresses: what was checked is what is reached."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    if not _allowed_host(host):
        for *_, sockaddr in infos:
            ip = ipaddress.ip_address(sockaddr[0].split("%", 1)[0])
            if forbidden_address(ip):
                raise AddressRefused(
                    f"{host} resolves to {ip}, a loopback, private, link-local or reserved"
                    " address; to allow it, add the host to MW_WEBHOOK_ALLOW_HOSTS"
                )
    error: OSError | None = None
    for family, kind, proto, _, sockaddr in infos:
        sock = socket.socket(family, kind, proto)
        try:
            sock.settimeout(timeout)
            sock.connect(sockaddr)
            return sock
        except OSError as exc:
            sock.close()
            error = exc
    raise error or OSError(f"cannot resolve {host}")


class _CheckedHTTPConnection(http.client.HTTPConnection):
    def connect(self) -> None:
        self.sock = _connect(self.host, self.port, self.timeout)


class _CheckedHTTPSConnection(http.client.HTTPSConnection):
    def connect(self) -> None:
        sock = _connect(self.host, self.port, self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


class _CheckedHTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req):
        return self.do_open(_CheckedHTTPConnection, req)


class _CheckedHTTPSHandler(urllib.request.HTTPSHandler):
    def https_open(self, req):
        return self.do_open(_CheckedHTTPSConnection, req, context=self._context)


class _CheckedRedirectHandler(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        validate_url(newurl)  # a redirect is held to the same rules (and http(s) only)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _opener() -> urllib.request.OpenerDirector:
    """http(s) only, no proxies from the environment, every connection checked."""
    opener = urllib.request.OpenerDirector()
    for handler in (
        _CheckedHTTPHandler(),
        _CheckedHTTPSHandler(),
        _CheckedRedirectHandler(),
        urllib.request.HTTPDefaultErrorHandler(),
        urllib.request.HTTPErrorProcessor(),
    ):
        opener.add_handler(handler)
    return opener
