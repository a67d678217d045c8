"""The one bounce decision and the one complaint decision.

Every source — the relay's refusal at send time, a DSN or free-text notice from the inbound
server or a polled mailbox, a relay's webhook — is reduced to a `BounceFact` (or a
`ComplaintFact`) and goes through `do_record_bounces` (`do_record_complaint`): one writer,
one rule (`decide`), one event shape. Only a fact tied to a delivery we sent (signed VERP
token, our Message-ID, a verified relay event, our own SMTP session) changes anything; the
others are stored as events and shown, never acted on (anyone can mail the bounce address).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.dispatch import receiver
from django.utils import timezone

from mailwright.audit.actors import Actor
from mailwright.audit.events import DomainEvent, emit_many
from mailwright.consent import actions as consent_actions
from mailwright.consent.models import Suppression
from mailwright.consent.suppression import do_suppress
from mailwright.contacts import actions as contact_actions
from mailwright.contacts.models import Contact
from mailwright.delivery import actions as delivery_actions
from mailwright.delivery.models import Delivery
from mailwright.delivery.signals import refused
from mailwright.feedback import guards
from mailwright.feedback.models import Event
from mailwright.feedback.parsing.classify import NOT_THE_ADDRESS, classify, should_suppress
from mailwright.feedback.parsing.result import Recipient

# The decision for one bounce.
SUPPRESS = "suppress"  # the address is bad: suppressed at once
COUNT = "count"  # may pass: suppressed after MW_SOFT_BOUNCE_LIMIT from different sends
IGNORE = "none"  # about us or our message (blocks, policy, spam, auth, rate, size), or a delay

# Refusals about the sender's reputation, authentication, sending rate or message, never about
# the address (classify.NOT_THE_ADDRESS: blocked, policy, spam_detected, virus_detected,
# content_rejected, security_error, rate_limited, message_too_large): they neither suppress
# nor count, whether they came back at RCPT time or in a DSN.


@dataclass
class BounceFact:
    delivery: Delivery | None  # None: not tied to anything we sent
    kind: str  # hard | soft | delayed
    reason: str
    status: str | None
    diagnostic: str
    source: str  # smtp (refused at send time) | dsn | mailbox | relay_webhook
    address: str | None = None  # the address the report named, if any
    at: datetime = field(default_factory=timezone.now)
    extra: dict = field(default_factory=dict)  # source details (a relay's event id, …)

    @classmethod
    def from_reply(cls, delivery: Delivery, code: int | None, text: str) -> BounceFact:
        """A permanent refusal in our own SMTP session."""
        diagnostic = f"{code or ''} {text}".strip()
        kind, reason, status = classify(None, diagnostic, permanent=True)
        return cls(delivery, kind, reason, status, diagnostic, "smtp", delivery.email)

    @classmethod
    def from_recipient(
        cls, delivery: Delivery | None, r: Recipient, *, source: str, delayed: bool = False
    ) -> BounceFact:
        kind = "delayed" if delayed else r.kind
        return cls(delivery, kind, r.reason, r.status, r.diagnostic or "", source, r.address)


@dataclass
class ComplaintFact:
    delivery: Delivery | None  # None: not tied to anything we sent
    feedback_type: str
    source: str  # arf | relay_webhook
    address: str | None = None  # the address the report named, if any
    at: datetime = field(default_factory=timezone.now)
    extra: dict = field(default_factory=dict)


def decide(fact: BounceFact) -> str:
    """The rule (docs/bounces.md has the table)."""
    if fact.kind == "delayed" or fact.reason in NOT_THE_ADDRESS:
        return IGNORE
    if fact.kind == "hard":
        recipient = Recipient(fact.address, "hard", fact.reason, fact.status, fact.diagnostic)
        return SUPPRESS if should_suppress(recipient) else COUNT
    return COUNT


EVENT_TYPES = {"hard": Event.Type.BOUNCED, "soft": Event.Type.SOFT_BOUNCED}


@transaction.atomic
def do_record_bounces(facts: list[BounceFact], *, by: Actor | None = None) -> list[str]:
    """Record bounces and act on them; returns the decision for each fact."""
    by = by or Actor.system("bounce processing", channel="bounce")
    decisions, events, hard_campaigns = [], [], set()
    for fact in facts:
        d = fact.delivery
        decision = decide(fact) if d is not None else IGNORE
        decisions.append(decision)
        data = {
            "address": fact.address,
            "kind": fact.kind,
            "reason": fact.reason,
            "status": fact.status,
            "diagnostic": fact.diagnostic[:500],
            "source": fact.source,
            "decision": decision,
            "tied": d is not None,
            **fact.extra,
        }
        events.append(
            DomainEvent(
                EVENT_TYPES.get(fact.kind, Event.Type.DELAYED),
                data,
                email=d.email if d else None,
                contact_id=d.contact_id if d else None,
                campaign_id=d.campaign_id if d else None,
                delivery_id=d.id if d else None,
                at=fact.at,
            )
        )
        if d is None:
            continue
        if fact.kind == "hard":
            hard_campaigns.add(d.campaign_id)
        if fact.kind in ("hard", "soft") and fact.source != "smtp":
            # A final failure of this message, even when the address may recover (a full
            # mailbox is soft): the delivery did bounce. At send time the worker recorded it.
            delivery_actions.do_mark_bounced(d, f"{fact.status or ''} {fact.diagnostic}", by=by)
    emit_many(events)
    for fact, decision in zip(facts, decisions, strict=True):
        if decision == SUPPRESS:
            do_suppress(
                fact.delivery.email,
                Suppression.Reason.HARD_BOUNCE,
                fact.diagnostic[:500],
                fact.delivery,
                by=by,
            )
        elif decision == COUNT:
            _soft_bounce_threshold(fact.delivery.email, fact.at, by)
    if hard_campaigns:
        # A campaign's bounce rate can only cross its threshold when it bounces.
        guards.check(hard_campaigns)
    return decisions


def _soft_bounce_threshold(address: str, now, by: Actor) -> None:
    since = now - timedelta(days=settings.SOFT_BOUNCE_DAYS)
    sends = (
        Event.objects.filter(
            type__in=[Event.Type.SOFT_BOUNCED, Event.Type.BOUNCED],
            data__decision=COUNT,
            created_at__gte=since,
            delivery__email=address,
        )
        .values_list("delivery_id", flat=True)
        .distinct()
    )
    distinct_sends = {d for d in sends if d is not None}
    if len(distinct_sends) >= settings.SOFT_BOUNCE_LIMIT:
        do_suppress(
            address,
            Suppression.Reason.SOFT_BOUNCES,
            f"{len(distinct_sends)} soft bounces from different sends within "
            f"{settings.SOFT_BOUNCE_DAYS} days",
            by=by,
        )


@transaction.atomic
def do_record_complaint(fact: ComplaintFact, *, by: Actor | None = None) -> bool:
    """Record a spam complaint. Tied to a delivery we sent: the contact is unsubscribed from
    all marketing (the same action as every unsubscribe channel), suppressed and marked
    `complained`. Not tied: stored and shown, nothing else. True if acted on."""
    d = fact.delivery
    by = by or Actor.system(f"feedback loop ({fact.feedback_type[:40]})", channel="complaint")
    emit_many(
        [
            DomainEvent(
                Event.Type.COMPLAINED,
                {
                    "feedback_type": fact.feedback_type[:40],
                    "source": fact.source,
                    "address": fact.address,
                    "tied": d is not None,
                    **fact.extra,
                },
                email=d.email if d else None,
                contact_id=d.contact_id if d else None,
                campaign_id=d.campaign_id if d else None,
                delivery_id=d.id if d else None,
                at=fact.at,
            )
        ]
    )
    if d is None:
        return False
    if d.campaign_id:
        guards.check({d.campaign_id})
    contact = Contact.objects.filter(pk=d.contact_id).first() if d.contact_id else None
    if contact is not None:
        consent_actions.do_unsubscribe(contact, by=by, campaign_id=d.campaign_id, delivery_id=d.id)
    do_suppress(d.email, Suppression.Reason.COMPLAINT, f"complaint: {fact.feedback_type}", d, by=by)
    if contact is not None:
        contact_actions.do_set_status(contact, Contact.Status.COMPLAINED, by=by)
    return True


@receiver(refused, dispatch_uid="feedback.bounces.refused")
def _on_refused(sender, deliveries: list[Delivery], **_kwargs) -> None:
    """The worker's permanent refusals at send time (its batch record calls this)."""
    do_record_bounces(
        [BounceFact.from_reply(d, d.last_code, d.last_reply) for d in deliveries],
        by=Actor.system("delivery worker", channel="bounce"),
    )
