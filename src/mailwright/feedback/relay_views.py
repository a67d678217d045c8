"""The relay webhook endpoint, /webhooks/relay/<relay>/tracking/ (Amazon SES via SNS, SendGrid,
Mailgun, Postmark, Brevo, … : every tracking webhook django-anymail knows).

1. Authenticate. The basic-auth credentials (MW_WEBHOOK_SECRET) missing or wrong → 401; the
   relay's own signature (Mailgun, SendGrid, Postal, …, and the SNS signature for Amazon SES)
   not verifying → 403; a body nested deeper than jsonsafe.MAX_DEPTH → 400 before any parsing. A
   refused request is not stored: anyone on the internet can post here, and a forged payload
   names real people's addresses we have no reason to keep.
2. Store the raw body (InboundMessage, source "webhook", the relay's name as its sender), so
   nothing a relay handed us is lost.
3. Parse it into events (anymail) and act on them (relay_events.handle), all in one
   transaction. A body that is not what a relay sends (not JSON) → 400: a retry would not
   help. Any other failure → 500 with the error on the stored row (a dead letter, shown under
   Feedback → Inbound), nothing half-applied, so the relay retries later. Accepted events,
   unknown types included, → 200.
"""

from __future__ import annotations

import logging
import traceback

from anymail import urls as anymail_urls
from anymail.exceptions import AnymailAPIError, AnymailWebhookValidationFailure
from anymail.signals import EventType
from anymail.webhooks.base import AnymailBasicAuthMixin
from django.db import transaction
from django.http import HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from mailwright import jsonsafe
from mailwright.feedback import processing, relay_events, sns
from mailwright.feedback.models import InboundMessage

log = logging.getLogger(__name__)

# "postmark" → PostmarkTrackingWebhookView, … (every tracking webhook anymail routes).
RELAYS = {
    str(p.pattern).split("/", 1)[0]: p.callback.view_class
    for p in anymail_urls.urlpatterns
    if (p.name or "").endswith("_tracking_webhook")
}
# What a batch was, for the Inbound list: the most serious event wins.
KINDS = [
    (EventType.COMPLAINED, InboundMessage.Kind.COMPLAINT),
    (EventType.BOUNCED, InboundMessage.Kind.BOUNCE),
    (EventType.DEFERRED, InboundMessage.Kind.DELAY),
]


def _error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"error": {"code": code, "message": message, "field": None}}, status=status)


BAD_PAYLOAD = (
    ValueError,
    AnymailAPIError,
    KeyError,
    TypeError,
    IndexError,
    AttributeError,
)


@csrf_exempt
def tracking(request, relay: str):
    view_class = RELAYS.get(relay)
    if view_class is None:
        return _error(404, "unknown_relay", f"no relay webhook called {relay[:40]!r}")
    if request.method == "HEAD":  # some relays check the URL with a HEAD first
        return HttpResponse()
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST", "HEAD"])
    try:
        view = view_class()
    except Exception:
        log.exception("the %s relay webhook is not configured", relay)
        return _error(503, "not_configured", f"the {relay} webhook is not configured")
    refused = _authenticate(view, request, relay)
    if refused is not None:
        return refused
    message = processing.store(request.body, source=InboundMessage.Source.WEBHOOK, mail_from=relay)
    try:
        events = view.parse_events(request)
    # Not the relay's payload shape (bad JSON or UTF-8, too deep, missing or mistyped keys):
    # a retry cannot fix it. Kept with its error all the same.
    except BAD_PAYLOAD as exc:
        _fail(message, exc)
        return _error(400, "bad_request", f"the body is not a {relay} webhook payload: {exc}")
    except Exception as exc:
        return _internal(message, exc, relay)
    try:
        with transaction.atomic():
            outcomes = [relay_events.handle(event, view.esp_name) for event in events]
    except Exception as exc:
        return _internal(message, exc, relay)
    _record(message, relay, outcomes)
    return JsonResponse({"received": len(outcomes)})


def _authenticate(view, request, relay: str) -> HttpResponse | None:
    """None when the request is genuine, else the refusal."""
    if getattr(view, "warn_if_no_basic_auth", False) and not view.basic_auth:
        # Only the basic-auth secret protects this relay's webhook: without it anyone could
        # suppress addresses. 503, so the relay keeps its events until the secret is set.
        log.error("refused a %s webhook: MW_WEBHOOK_SECRET is not set", relay)
        return _error(503, "not_configured", "relay webhooks need MW_WEBHOOK_SECRET")
    basic = AnymailBasicAuthMixin.validate_request
    try:
        basic(view, request)
    except AnymailWebhookValidationFailure:
        log.warning("refused a %s webhook: wrong or missing basic-auth credentials", relay)
        response = _error(401, "unauthorized", "wrong or missing webhook credentials")
        response["WWW-Authenticate"] = 'Basic realm="Mailwright relay webhooks"'
        return response
    # Before any parser recurses through it (anymail's json.loads, and ours for SNS).
    if jsonsafe.nesting(request.body) > jsonsafe.MAX_DEPTH:
        log.warning("refused a %s webhook: JSON nested too deeply", relay)
        return _error(
            400, "bad_request", f"the body is nested deeper than {jsonsafe.MAX_DEPTH} levels"
        )
    try:
        for validator in view.validators:
            if validator is not basic:
                validator(view, request)
        if relay == "amazon_ses":
            message = jsonsafe.loads(request.body)
            if not isinstance(message, dict):
                raise sns.SnsError("body is not an SNS message")
            sns.verify(message)
    except (AnymailWebhookValidationFailure, sns.SnsError) as exc:
        log.warning("refused a %s webhook: %s", relay, exc)
        return _error(403, "bad_signature", str(exc))
    except (ValueError, AnymailAPIError) as exc:
        log.warning("refused a %s webhook: unreadable body (%s)", relay, type(exc).__name__)
        return _error(400, "bad_request", f"the body is not a {relay} webhook payload: {exc}")
    return None


def _fail(message: InboundMessage, exc: Exception) -> None:
    message.error = f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}"[-5000:]
    message.save(update_fields=["error"])


def _internal(message: InboundMessage, exc: Exception, relay: str) -> JsonResponse:
    log.exception("relay webhook from %s (inbound message %s) failed", relay, message.id)
    _fail(message, exc)
    return _error(
        500, "server_error", "the events could not be processed; they are kept, please retry"
    )


def _record(message: InboundMessage, relay: str, outcomes: list[dict]) -> None:
    types = {o["type"] for o in outcomes}
    message.kind = next((kind for t, kind in KINDS if t in types), InboundMessage.Kind.UNKNOWN)
    recipients = sorted({o["recipient"] for o in outcomes if o.get("recipient")})
    # One named person: erasing them finds the row by rcpt_to (privacy.erase).
    message.rcpt_to = recipients[0][:320] if len(recipients) == 1 else ""
    deliveries = [o["delivery"] for o in outcomes if o.get("delivery")]
    message.delivery_id = deliveries[0] if deliveries else None
    message.result = {
        "relay": relay,
        "kind": message.kind,
        "delivery": message.delivery_id,
        "events": outcomes,
        "recipients": [
            {"address": o["recipient"], "kind": o.get("kind"), "reason": o.get("reason")}
            for o in outcomes
            if o["type"] == EventType.BOUNCED
        ],
    }
    message.save(update_fields=["kind", "rcpt_to", "delivery", "result"])
