"""Outgoing webhooks: every event can be POSTed to subscribed endpoints as JSON, signed with
HMAC-SHA256 over the timestamp and body, and retried with back-off by the task worker.

Signature header: `Mailwright-Signature: t=<unix time>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.
Receivers should recompute it and reject timestamps older than a few minutes (replays).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import time
import urllib.error
import urllib.request
from datetime import timedelta
from urllib.parse import urlsplit

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from mailwright.feedback.models import WebhookDelivery, WebhookEndpoint

log = logging.getLogger(__name__)
EVENT_TYPES = (
    "sent",
    "bounced",
    "soft_bounced",
    "deferred",
    "complained",
    "unsubscribed",
    "opened",
    "clicked",
    "campaign.paused",
    "campaign.sent",
)
RETRY_DELAYS = [60, 300, 1800, 7200, 21600, 43200]  # then the delivery is marked failed
TIMEOUT = 10
MAX_BODY = 256 * 1024


class WebhookError(ValueError):
    def __init__(self, message: str, field: str = "url") -> None:
        super().__init__(message)
        self.field = field


def validate_url(url: str) -> str:
    url = (url or "").strip()
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise WebhookError("a webhook URL must start with http:// or https:// and name a host")
    if parts.username or parts.password:
        raise WebhookError("put no credentials in the URL: requests are signed instead")
    if len(url) > 1000:
        raise WebhookError("the URL is longer than 1,000 characters")
    return url


def create_endpoint(url: str, event_types: list[str] | None = None, description: str = ""):
    unknown = sorted(set(event_types or []) - set(EVENT_TYPES))
    if unknown:
        raise WebhookError(f"unknown event type(s): {', '.join(unknown)}", field="event_types")
    return WebhookEndpoint.objects.create(
        url=validate_url(url),
        secret=secrets.token_urlsafe(32),
        event_types=sorted(set(event_types or [])),
        description=description[:200],
    )


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


def emit_many(events: list[tuple[str, dict]]) -> int:
    """Queue several events at once (one query when nobody listens, as is usual)."""
    endpoints = list(WebhookEndpoint.objects.filter(enabled=True))
    if not endpoints or not events:
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
    status, error = post(row.endpoint, row.event_type, row.payload)
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
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310
            return response.status, ""
    except urllib.error.HTTPError as exc:
        return exc.code, f"HTTP {exc.code}"
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        return None, f"{type(exc).__name__}: {exc}"
