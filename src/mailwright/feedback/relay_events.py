"""Relay webhook events (Amazon SES via SNS, SendGrid, Mailgun, Postmark, Brevo, … parsed by
django-anymail's tracking webhook views) normalized into the same events and decisions as mail
arriving at the inbound server. relay_views authenticates each request and stores its raw
body before `handle` runs; a failure here propagates so the relay retries."""

from __future__ import annotations

from datetime import timedelta

from anymail.signals import EventType, RejectReason
from django.db import transaction
from django.utils import timezone

from mailwright.consent.ledger import Actor
from mailwright.contacts import subscriptions
from mailwright.contacts.models import Contact
from mailwright.delivery.models import Delivery
from mailwright.feedback import processing
from mailwright.feedback.models import Event

# anymail reject reason → (kind, our reason). A relay's "blocked"/"spam" is its judgement of
# the message or the sender, never the address's fault.
REASONS = {
    RejectReason.INVALID: ("hard", "user_unknown"),
    RejectReason.BOUNCED: ("hard", "user_unknown"),
    RejectReason.TIMED_OUT: ("soft", "expired"),
    RejectReason.BLOCKED: ("hard", "blocked"),
    RejectReason.SPAM: ("hard", "spam_rejected"),
    RejectReason.OTHER: ("soft", "other"),
}


class _Recipient:
    def __init__(self, address, kind, reason, status, diagnostic):
        self.address, self.kind, self.reason = address, kind, reason
        self.status, self.diagnostic = status, diagnostic


def find_delivery(event) -> Delivery | None:
    """By our Message-ID when the relay reports it, else the recipient's latest delivery."""
    qs = Delivery.objects.select_related("contact", "campaign")
    if event.message_id:
        found = qs.filter(message_id=str(event.message_id).strip()).first()
        if found:
            return found
    if event.recipient:
        return (
            qs.filter(
                email__iexact=event.recipient.strip(),
                sent_at__gte=timezone.now() - timedelta(days=7),
            )
            .order_by("-sent_at")
            .first()
        )
    return None


@transaction.atomic
def handle(event, esp_name: str) -> dict:
    """Act on one event; returns what was made of it (kept on the stored payload)."""
    outcome = {
        "type": event.event_type,
        "event_id": str(event.event_id or ""),
        "recipient": event.recipient if isinstance(event.recipient, str) else None,
        "delivery": None,
    }
    if (
        event.event_id
        and Event.objects.filter(data__esp=esp_name, data__event_id=str(event.event_id)).exists()
    ):
        return outcome | {"outcome": "replay"}  # a replayed webhook
    delivery = find_delivery(event)
    outcome["delivery"] = delivery.id if delivery else None
    now = timezone.now()
    data = {"esp": esp_name, "event_id": str(event.event_id or ""), "raw_type": event.event_type}
    kind = event.event_type
    if kind == EventType.BOUNCED:
        bounce_kind, reason = REASONS.get(event.reject_reason, ("hard", "other"))
        recipient = _Recipient(
            event.recipient,
            bounce_kind,
            reason,
            None,
            (event.mta_response or event.description or ""),
        )
        suppress_it = bounce_kind == "hard" and reason in {"user_unknown", "domain_not_found"}
        processing.apply_bounce(delivery, recipient, suppress_it, delayed=False, now=now)
        outcome |= {"kind": bounce_kind, "reason": reason}
    elif kind == EventType.DEFERRED:
        recipient = _Recipient(event.recipient, "soft", "other", None, event.mta_response or "")
        processing.apply_bounce(delivery, recipient, False, delayed=True, now=now)
    elif kind == EventType.COMPLAINED:
        processing.apply_complaint(delivery, event.recipient, f"{esp_name} complaint", now)
    elif kind == EventType.UNSUBSCRIBED:
        contact = delivery.contact if delivery else None
        if contact is None and event.recipient:
            contact = Contact.objects.filter(email__iexact=event.recipient.strip()).first()
        if contact is not None:
            subscriptions.unsubscribe_all(contact, by=Actor(channel="one_click", actor=esp_name))
    elif kind in (EventType.OPENED, EventType.CLICKED):
        from mailwright.feedback.tracking import machine_reason

        reason = machine_reason("GET", "", event.user_agent or "")
        extra = {"url": event.click_url or "", "user_agent": (event.user_agent or "")[:300]}
        if reason:
            extra["machine_reason"] = reason
        processing._event(
            Event.Type.OPENED if kind == EventType.OPENED else Event.Type.CLICKED,
            delivery,
            {**data, **extra},
            now,
        )
        if reason:
            Event.objects.filter(delivery=delivery, created_at=now).update(machine=True)
        return outcome | {"outcome": "recorded"}
    else:
        return outcome | {"outcome": "ignored"}  # delivered, queued, sent, unknown, …
    # Tag the event(s) just written with the provider's id, for replay detection.
    Event.objects.filter(delivery=delivery, created_at=now).update(data=data | _details(event))
    return outcome | {"outcome": "applied"}


def _details(event) -> dict:
    return {"recipient": event.recipient, "reason": event.reject_reason}
