"""Relay webhooks in (Amazon SES via SNS, SendGrid, Mailgun, Postmark, Brevo, … through
django-anymail's tracking webhooks), normalized into the same events and decisions as mail
arriving at the inbound server. Anymail authenticates each request (basic auth with
MW_WEBHOOK_SECRET, or the provider's signature) before this code runs."""

from __future__ import annotations

import logging
from datetime import timedelta

from anymail.signals import EventType, RejectReason, tracking
from django.db import transaction
from django.dispatch import receiver
from django.utils import timezone

from mailwright.audit.events import DomainEvent, emit
from mailwright.consent import actions as consent_actions
from mailwright.consent.ledger import Actor
from mailwright.contacts.models import Contact
from mailwright.delivery.models import Delivery
from mailwright.feedback.bounces import (
    BounceFact,
    ComplaintFact,
    do_record_bounces,
    do_record_complaint,
)
from mailwright.feedback.models import Event
from mailwright.feedback.tracking import machine_reason

log = logging.getLogger(__name__)

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


@receiver(tracking)
def on_tracking(sender, event, esp_name, **kwargs):
    try:
        handle(event, esp_name)
    except Exception:
        # Anymail answers 200 anyway: a retry would not fix our bug, and the raw payload
        # is logged for the dead-letter review.
        log.exception("relay webhook from %s could not be handled: %r", esp_name, event.esp_event)


@transaction.atomic
def handle(event, esp_name: str) -> None:
    if (
        event.event_id
        and Event.objects.filter(data__esp=esp_name, data__event_id=str(event.event_id)).exists()
    ):
        return  # a replayed webhook
    delivery = find_delivery(event)
    now = timezone.now()
    extra = {
        "esp": esp_name,
        "event_id": str(event.event_id or ""),
        "raw_type": event.event_type,
        "reject_reason": event.reject_reason,
    }
    by = Actor(channel="relay_webhook", actor=esp_name)
    kind = event.event_type
    diagnostic = (event.mta_response or event.description or "")[:2000]
    if kind in (EventType.BOUNCED, EventType.DEFERRED):
        if kind == EventType.BOUNCED:
            bounce_kind, reason = REASONS.get(event.reject_reason, ("hard", "other"))
        else:
            bounce_kind, reason = "delayed", "other"
        fact = BounceFact(
            delivery, bounce_kind, reason, None, diagnostic, "relay_webhook", event.recipient, now
        )
        fact.extra = extra
        do_record_bounces([fact], by=by)
    elif kind == EventType.COMPLAINED:
        fact = ComplaintFact(delivery, f"{esp_name} complaint", "relay_webhook", event.recipient)
        fact.extra = extra
        do_record_complaint(fact, by=by)
    elif kind == EventType.UNSUBSCRIBED:
        contact = delivery.contact if delivery else None
        if contact is None and event.recipient:
            contact = Contact.objects.filter(email__iexact=event.recipient.strip()).first()
        if contact is not None:
            consent_actions.do_unsubscribe(
                contact,
                by=by,
                campaign_id=delivery.campaign_id if delivery else None,
                delivery_id=delivery.id if delivery else None,
            )
    elif kind in (EventType.OPENED, EventType.CLICKED):
        reason = machine_reason("GET", "", event.user_agent or "")
        data = {**extra, "url": event.click_url or "", "user_agent": (event.user_agent or "")[:300]}
        if reason:
            data["machine_reason"] = reason
        emit(
            DomainEvent(
                Event.Type.OPENED if kind == EventType.OPENED else Event.Type.CLICKED,
                data,
                email=delivery.email if delivery else None,
                contact_id=delivery.contact_id if delivery else None,
                campaign_id=delivery.campaign_id if delivery else None,
                delivery_id=delivery.id if delivery else None,
                machine=bool(reason),
                at=now,
            )
        )
    # delivered, queued, sent, …: the delivery ledger already knows
