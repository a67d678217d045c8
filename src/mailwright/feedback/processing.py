"""What an inbound message means, and what follows from it (detect → record → decide):

1. the raw message is stored first (InboundMessage), so nothing accepted is ever lost;
2. it is parsed (feedback.parsing) into bounce / delay / complaint / auto-reply / reply;
3. the delivery it concerns is found through the signed VERP token (never a bare header);
4. the decision: hard bounces of the address's fault suppress it at once; soft bounces
   suppress after MW_SOFT_BOUNCE_LIMIT from different sends within MW_SOFT_BOUNCE_DAYS;
   complaints unsubscribe from all marketing and suppress; everything becomes an Event.
"""

from __future__ import annotations

import logging
import traceback
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from mailwright import tokens
from mailwright.consent.ledger import Actor
from mailwright.contacts import subscriptions
from mailwright.contacts.models import Contact
from mailwright.delivery.models import Delivery
from mailwright.feedback.models import Event, InboundMessage, Suppression
from mailwright.feedback.suppression import suppress

log = logging.getLogger(__name__)


def store(raw: bytes, *, source: str, mail_from: str = "", rcpt_to: str = "") -> InboundMessage:
    """Step 1: keep the message, whatever it is."""
    return InboundMessage.objects.create(
        source=source,
        mail_from=mail_from[:320],
        rcpt_to=rcpt_to[:320],
        size=len(raw),
        raw=raw,
        received_at=timezone.now(),
    )


def process(message: InboundMessage) -> InboundMessage:
    """Steps 2-4. Never raises: a failure is recorded on the message (the dead-letter)."""
    try:
        with transaction.atomic():
            _process(message)
    except Exception as exc:
        log.exception("inbound message %s could not be processed", message.id)
        message.error = f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}"[-5000:]
    message.save()
    return message


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


def _process(message: InboundMessage) -> None:
    from mailwright.feedback.parsing import parse_message, should_suppress

    raw = bytes(message.raw)
    local = message.rcpt_to.partition("@")[0].lower()
    if local == "unsubscribe":
        _mailto_unsubscribe(message, raw)
        return
    parsed = parse_message(
        raw, envelope_rcpt=message.rcpt_to or None, bounce_domains=_bounce_domains()
    )
    delivery = find_delivery(parsed.verp_token)
    message.delivery = delivery
    message.message_id = (parsed.original_message_id or "")[:300]
    now = timezone.now()
    if parsed.complaint:
        message.kind = InboundMessage.Kind.COMPLAINT
        delivery = delivery or _by_message_id(parsed.original_message_id)
        message.delivery = delivery
        apply_complaint(delivery, parsed.complaint_recipient, parsed.feedback_type or "abuse", now)
    elif parsed.auto_reply:
        message.kind = InboundMessage.Kind.AUTO_REPLY
        _event(Event.Type.AUTO_REPLY, delivery, {"from": message.mail_from[:200]}, now)
    elif parsed.bounce or parsed.delay:
        message.kind = InboundMessage.Kind.BOUNCE if parsed.bounce else InboundMessage.Kind.DELAY
        for r in parsed.recipients:
            apply_bounce(delivery, r, should_suppress(r), delayed=not parsed.bounce, now=now)
        if not parsed.recipients and delivery is not None and parsed.bounce:
            log.info("bounce for delivery %s names no recipient", delivery.id)
    elif parsed.automated:
        # Machine mail with nothing to act on (a "delivered" DSN, a daemon's notice).
        message.kind = InboundMessage.Kind.UNKNOWN
    else:
        message.kind = InboundMessage.Kind.REPLY
        _event(Event.Type.REPLIED, delivery, {"from": message.mail_from[:200]}, now)
    message.result = {
        "kind": message.kind,
        "delivery": delivery.id if delivery else None,
        "recipients": [
            {"address": r.address, "kind": r.kind, "reason": r.reason, "status": r.status}
            for r in parsed.recipients
        ],
        "feedback_type": parsed.feedback_type,
    }


def _by_message_id(message_id: str | None) -> Delivery | None:
    if not message_id:
        return None
    return (
        Delivery.objects.select_related("contact", "campaign")
        .filter(message_id=message_id.strip())
        .first()
    )


def _event(kind: str, delivery: Delivery | None, data: dict, now) -> None:
    from mailwright.feedback import webhooks

    if kind in webhooks.EVENT_TYPES:
        webhooks.emit(
            kind,
            {
                "delivery": delivery.id if delivery else None,
                "campaign": delivery.campaign_id if delivery else None,
                "email": delivery.email if delivery else None,
                **data,
            },
        )
    Event.objects.create(
        type=kind,
        delivery=delivery,
        campaign_id=delivery.campaign_id if delivery else None,
        contact_id=delivery.contact_id if delivery else None,
        data=data,
        created_at=now,
    )


def apply_bounce(delivery, recipient, suppress_it: bool, *, delayed: bool, now) -> None:
    """A parsed bounce recipient. Only a bounce whose signed VERP token names one of our
    deliveries changes anything: anyone can send a fake DSN to the bounce address, and it
    must not be able to suppress an address. The address is the delivery's (a DSN may hide
    or rewrite the recipient)."""
    address = delivery.email if delivery is not None else ""
    data = {
        "address": recipient.address,
        "kind": recipient.kind,
        "reason": recipient.reason,
        "status": recipient.status,
        "diagnostic": (recipient.diagnostic or "")[:500],
    }
    if delayed:
        _event(Event.Type.DELAYED, delivery, data, now)
        return
    if recipient.kind == "hard":
        _event(Event.Type.BOUNCED, delivery, data, now)
        if delivery is not None and delivery.state == Delivery.State.SENT:
            Delivery.objects.filter(pk=delivery.pk).update(
                state=Delivery.State.BOUNCED,
                last_reply=f"bounced later: {recipient.status or ''} {recipient.diagnostic or ''}"[
                    :1000
                ],
            )
        if suppress_it and address:
            suppress(address, Suppression.Reason.HARD_BOUNCE, data["diagnostic"], delivery)
        elif recipient.reason == "mailbox_full" and address:
            _soft_bounce_threshold(address, now)  # a full mailbox may empty: count, don't suppress
        return
    _event(Event.Type.SOFT_BOUNCED, delivery, data, now)
    if address:
        _soft_bounce_threshold(address, now)


def _soft_bounce_threshold(address: str, now) -> None:
    since = now - timedelta(days=settings.SOFT_BOUNCE_DAYS)
    sends = (
        Event.objects.filter(
            Q(type=Event.Type.SOFT_BOUNCED)
            | Q(type=Event.Type.BOUNCED, data__reason="mailbox_full"),
            created_at__gte=since,
        )
        .filter(delivery__email=address)
        .values_list("delivery_id", flat=True)
        .distinct()
    )
    distinct_sends = {d for d in sends if d is not None}
    if len(distinct_sends) >= settings.SOFT_BOUNCE_LIMIT:
        suppress(
            address,
            Suppression.Reason.SOFT_BOUNCES,
            f"{len(distinct_sends)} soft bounces from different sends within "
            f"{settings.SOFT_BOUNCE_DAYS} days",
        )


def apply_complaint(delivery, recipient: str | None, feedback_type: str, now) -> None:
    """A spam complaint: unsubscribed from all marketing and suppressed, with a ledger event."""
    contact = delivery.contact if delivery is not None else None
    if contact is None and recipient:
        contact = Contact.objects.filter(email__iexact=recipient.strip()).first()
    _event(Event.Type.COMPLAINED, delivery, {"feedback_type": feedback_type[:40]}, now)
    if delivery is not None and delivery.campaign_id:
        from mailwright.delivery import guards

        guards.check({delivery.campaign_id})
    if contact is None:
        return
    by = Actor(channel="complaint", actor=f"feedback loop ({feedback_type[:40]})")
    subscriptions.unsubscribe_all(contact, by=by)
    suppress(
        contact.email, Suppression.Reason.COMPLAINT, f"complaint: {feedback_type}", delivery, by=by
    )
    Contact.objects.filter(pk=contact.pk).exclude(status=Contact.Status.ERASED).update(
        status=Contact.Status.COMPLAINED
    )


def _mailto_unsubscribe(message: InboundMessage, raw: bytes) -> None:
    """The List-Unsubscribe mailto: subject "unsubscribe TOKEN" (the signed unsubscribe token)."""
    from email import policy
    from email.parser import BytesHeaderParser

    message.kind = InboundMessage.Kind.REPLY
    subject = str(BytesHeaderParser(policy=policy.default).parsebytes(raw).get("Subject", ""))
    token = subject.strip().removeprefix("unsubscribe").strip()
    try:
        payload = tokens.read("unsubscribe", token)
    except tokens.BadToken:
        message.result = {"unsubscribe": "bad token"}
        return
    contact = Contact.objects.filter(pk=payload.get("c")).first()
    if contact is None:
        message.result = {"unsubscribe": "no such contact"}
        return
    subscriptions.unsubscribe_all(
        contact, by=Actor(channel="one_click", actor="mailto unsubscribe")
    )
    message.result = {"unsubscribe": "done", "contact": contact.id}


def record_unsubscribed(contact, campaign_id: int | None, channel: str) -> None:
    """An unsubscribe, as an event of the campaign it came from (for reports and webhooks);
    the consent ledger has already recorded the change itself."""
    delivery = None
    if campaign_id is not None:
        delivery = Delivery.objects.filter(contact=contact, campaign_id=campaign_id).first()
    _event(
        Event.Type.UNSUBSCRIBED,
        delivery,
        {"channel": channel, "email": contact.email},
        timezone.now(),
    )
    if delivery is None:
        Event.objects.filter(type=Event.Type.UNSUBSCRIBED, delivery=None, contact=None).update(
            contact=contact
        )
