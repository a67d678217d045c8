"""What an inbound message means, and what follows from it (detect → record → decide):

1. the raw message is stored first (InboundMessage), once per SMTP transaction whatever the
   number of recipients, so nothing accepted is ever lost;
2. it is parsed (feedback.parsing) into bounce / delay / complaint / auto-reply / reply;
3. the delivery it concerns is found through the signed VERP token (or, for a complaint,
   our Message-ID), never through an address the report merely names;
4. it becomes a bounce or complaint fact, and `feedback.bounces` records and decides.
"""

from __future__ import annotations

import logging
import traceback
from email import policy
from email.parser import BytesHeaderParser

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from mailwright import tokens
from mailwright.audit.actors import Actor
from mailwright.audit.events import DomainEvent, emit
from mailwright.consent import actions as consent_actions
from mailwright.contacts.models import Contact
from mailwright.delivery.models import Delivery
from mailwright.feedback.bounces import (
    BounceFact,
    ComplaintFact,
    do_record_bounces,
    do_record_complaint,
)
from mailwright.feedback.models import Event, InboundMessage
from mailwright.feedback.parsing import parse_message

log = logging.getLogger(__name__)


def store(
    raw: bytes, *, source: str, mail_from: str = "", rcpt_to: str = "", rcpt_tos=()
) -> InboundMessage:
    """Step 1: keep the message, whatever it is (one row for all its recipients)."""
    recipients = list(dict.fromkeys(rcpt_tos or ([rcpt_to] if rcpt_to else [])))
    return InboundMessage.objects.create(
        source=source,
        mail_from=mail_from[:320],
        rcpt_to=(recipients[0] if recipients else "")[:320],
        rcpt_tos=[r[:320] for r in recipients],
        size=len(raw),
        raw=raw,
        received_at=timezone.now(),
    )


def process(message: InboundMessage) -> InboundMessage:
    """Steps 2-4, once per message whatever the number of envelope recipients (the one whose
    address carries our VERP token speaks for it). Never raises: a failure is recorded on
    the message (the dead-letter)."""
    try:
        with transaction.atomic():
            _process(message, _speaking_recipient(message.rcpt_tos or [message.rcpt_to]))
    except Exception as exc:
        log.exception("inbound message %s could not be processed", message.id)
        message.error = f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}"[-5000:]
    message.save()
    return message


def _speaking_recipient(recipients: list[str]) -> str:
    def rank(rcpt: str) -> int:
        local = rcpt.partition("@")[0].lower()
        return 0 if local.startswith("bounce+") else 1 if local == "unsubscribe" else 2

    return min(recipients, key=rank) if recipients else ""


def _bounce_domains() -> set[str]:
    return {settings.BOUNCE_DOMAIN.lower()} if settings.BOUNCE_DOMAIN else set()


def find_delivery(verp_token: str | None) -> Delivery | None:
    if not verp_token:
        return None
    try:
        delivery_id = tokens.read_verp(verp_token)
    except tokens.BadToken:
        log.warning("inbound message with a forged or unreadable VERP token %r", verp_token[:60])
        return None
    return Delivery.objects.select_related("contact", "campaign").filter(pk=delivery_id).first()


def by_message_id(message_id: str | None) -> Delivery | None:
    """One of our deliveries, by the Message-ID we gave it (ours are unguessable)."""
    if not message_id or "@" not in message_id:
        return None
    return (
        Delivery.objects.select_related("contact", "campaign")
        .filter(message_id=message_id.strip()[:300])
        .first()
    )


def _process(message: InboundMessage, rcpt: str) -> dict:
    raw = bytes(message.raw)
    local = rcpt.partition("@")[0].lower()
    if local == "unsubscribe":
        return _mailto_unsubscribe(message, raw)
    parsed = parse_message(raw, envelope_rcpt=rcpt or None, bounce_domains=_bounce_domains())
    delivery = find_delivery(parsed.verp_token)
    message.message_id = (parsed.original_message_id or "")[:300]
    source = "dsn" if message.source == InboundMessage.Source.SMTP else "mailbox"
    if parsed.complaint:
        message.kind = InboundMessage.Kind.COMPLAINT
        delivery = delivery or by_message_id(parsed.original_message_id)
        do_record_complaint(
            ComplaintFact(
                delivery, parsed.feedback_type or "abuse", "arf", parsed.complaint_recipient
            )
        )
    elif parsed.auto_reply:
        message.kind = InboundMessage.Kind.AUTO_REPLY
        _event(Event.Type.AUTO_REPLY, delivery, {"from": message.mail_from[:200]})
    elif parsed.bounce or parsed.delay:
        message.kind = InboundMessage.Kind.BOUNCE if parsed.bounce else InboundMessage.Kind.DELAY
        do_record_bounces(
            [
                BounceFact.from_recipient(delivery, r, source=source, delayed=not parsed.bounce)
                for r in parsed.recipients
            ]
        )
        if not parsed.recipients and delivery is not None and parsed.bounce:
            log.info("bounce for delivery %s names no recipient", delivery.id)
    elif parsed.automated:
        # Machine mail with nothing to act on (a "delivered" DSN, a daemon's notice).
        message.kind = InboundMessage.Kind.UNKNOWN
    else:
        message.kind = InboundMessage.Kind.REPLY
        _event(Event.Type.REPLIED, delivery, {"from": message.mail_from[:200]})
    message.delivery = delivery
    message.result = {
        "kind": message.kind,
        "delivery": delivery.id if delivery else None,
        "recipients": [
            {"address": r.address, "kind": r.kind, "reason": r.reason, "status": r.status}
            for r in parsed.recipients
        ],
        "feedback_type": parsed.feedback_type,
    }
    if parsed.complaint and delivery is None:
        message.result["acted"] = False
        message.result["why"] = "not tied to a message we sent (no valid VERP token or Message-ID)"
    return message.result


def _event(kind: str, delivery: Delivery | None, data: dict) -> None:
    emit(
        DomainEvent(
            kind,
            data,
            email=delivery.email if delivery else None,
            contact_id=delivery.contact_id if delivery else None,
            campaign_id=delivery.campaign_id if delivery else None,
            delivery_id=delivery.id if delivery else None,
        )
    )


def _mailto_unsubscribe(message: InboundMessage, raw: bytes) -> dict:
    """The List-Unsubscribe mailto: subject "unsubscribe TOKEN" (the signed unsubscribe token)."""
    message.kind = InboundMessage.Kind.REPLY
    subject = str(BytesHeaderParser(policy=policy.default).parsebytes(raw).get("Subject", ""))
    token = subject.strip().removeprefix("unsubscribe").strip()
    try:
        payload = tokens.read("unsubscribe", token)
    except tokens.BadToken:
        message.result = {"unsubscribe": "bad token"}
        return message.result
    contact = Contact.objects.filter(pk=payload.get("c")).first()
    if contact is None:
        message.result = {"unsubscribe": "no such contact"}
        return message.result
    campaign_id = payload.get("m") if isinstance(payload.get("m"), int) else None
    consent_actions.do_unsubscribe(
        contact, by=Actor(channel="mailto", actor="mailto unsubscribe"), campaign_id=campaign_id
    )
    message.result = {"unsubscribe": "done", "contact": contact.id}
    return message.result
