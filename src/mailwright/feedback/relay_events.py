"""Relay webhook events (Amazon SES via SNS, SendGrid, Mailgun, Postmark, Brevo, … parsed by
django-anymail's tracking webhook views) normalized into the same events and decisions as mail
arriving at the inbound server. relay_views authenticates each request and stores its raw
body before `handle` runs; a failure here propagates so the relay retries."""

from __future__ import annotations

from datetime import timedelta

from anymail.signals import EventType, RejectReason
from django.db import transaction
from django.utils import timezone

from mailwright.audit.actors import Actor
from mailwright.audit.events import DomainEvent, emit
from mailwright.consent import actions as consent_actions
from mailwright.contacts.addresses import email_key
from mailwright.contacts.models import Contact
from mailwright.delivery.models import Delivery
from mailwright.feedback.bounces import (
    BounceFact,
    ComplaintFact,
    do_record_bounces,
    do_record_complaint,
)
from mailwright.feedback.models import Event
from mailwright.feedback.parsing.classify import classify_explained
from mailwright.feedback.parsing.result import EXPIRED, MAILBOX_FULL, OTHER
from mailwright.feedback.tracking import machine_reason

# anymail reject reason → (kind, our reason). A relay's "blocked"/"spam" is its judgement of
# the message or the sender, never the address's fault.
REASONS = {
    RejectReason.INVALID: ("hard", "user_unknown"),
    RejectReason.BOUNCED: ("hard", "user_unknown"),
    RejectReason.TIMED_OUT: ("soft", "expired"),
    RejectReason.BLOCKED: ("hard", "blocked"),
    RejectReason.SPAM: ("hard", "spam_detected"),
    RejectReason.OTHER: ("soft", "other"),
}


def bounce_reason(reject_reason, diagnostic: str) -> tuple[str, str, str | None]:
    """(kind, reason, status) of a relay's bounce. The receiving server's reply the relay
    passes on decides, read as any bounce is (a block list or a full mailbox is not an
    unknown user, whatever the relay's coarse category says); the relay's category fills in
    where the reply says nothing."""
    verdict_kind, verdict_reason = REASONS.get(reject_reason, ("hard", "other"))
    if not diagnostic.strip():
        return verdict_kind, verdict_reason, None
    kind, reason, status, why = classify_explained(None, diagnostic)
    if reason == OTHER:
        reason = verdict_reason
    if "defaults to" in why.get("kind", "") and reason not in (MAILBOX_FULL, EXPIRED):
        kind = verdict_kind  # no code in the reply: the relay knows whether it gave up
    return kind, reason, status


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
    extra = {
        "esp": esp_name,
        "event_id": str(event.event_id or ""),
        "raw_type": event.event_type,
        "reject_reason": event.reject_reason,
    }
    by = Actor(channel="relay_webhook", actor=esp_name)
    kind = event.event_type
    diagnostic = str(event.mta_response or event.description or "")[:2000]
    if kind in (EventType.BOUNCED, EventType.DEFERRED):
        status = None
        if kind == EventType.BOUNCED:
            bounce_kind, reason, status = bounce_reason(event.reject_reason, diagnostic)
        else:
            bounce_kind, reason = "delayed", "other"
        fact = BounceFact(
            delivery, bounce_kind, reason, status, diagnostic, "relay_webhook", outcome["recipient"]
        )
        fact.extra = extra
        (decision,) = do_record_bounces([fact], by=by)
        outcome |= {"kind": bounce_kind, "reason": reason, "decision": decision}
    elif kind == EventType.COMPLAINED:
        fact = ComplaintFact(
            delivery, f"{esp_name} complaint", "relay_webhook", outcome["recipient"]
        )
        fact.extra = extra
        outcome["acted"] = do_record_complaint(fact, by=by)
    elif kind == EventType.UNSUBSCRIBED:
        contact = delivery.contact if delivery else None
        if contact is None and outcome["recipient"]:
            key = email_key(outcome["recipient"].strip())
            contact = Contact.objects.filter(email_key=key).first()
        if contact is not None:
            consent_actions.do_unsubscribe(
                contact,
                by=by,
                campaign_id=delivery.campaign_id if delivery else None,
                delivery_id=delivery.id if delivery else None,
            )
    elif kind == EventType.DELIVERED and delivery is not None:
        # The relay handed it to the receiving server: shown in the message's events; the
        # ledger state stays "sent" (the relay accepted it), nothing else changes. Once per
        # delivery: some relays' delivery events carry no id to tell a replay by.
        if Event.objects.filter(delivery=delivery, type=Event.Type.DELIVERED).exists():
            return outcome | {"outcome": "replay"}
        emit(
            DomainEvent(
                Event.Type.DELIVERED,
                {**extra, "reply": diagnostic},
                email=delivery.email,
                contact_id=delivery.contact_id,
                campaign_id=delivery.campaign_id,
                delivery_id=delivery.id,
                at=now,
            )
        )
        return outcome | {"outcome": "recorded"}
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
        return outcome | {"outcome": "recorded"}
    else:
        return outcome | {"outcome": "ignored"}  # delivered, queued, sent, unknown, …
    return outcome | {"outcome": "applied"}
