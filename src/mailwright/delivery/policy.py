"""The one rule for who may be emailed (SPEC §3.7), called by campaigns and the engine alike:

- marketing needs a *confirmed* subscription to the campaign's topic, an active contact, no
  suppression, no pause, and the contact's own frequency choice respected;
- service mail (opt-in confirmations, transactional messages) needs only "not suppressed".
"""

from __future__ import annotations

from datetime import timedelta

from django.db import connection
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from mailwright.campaigns.models import Campaign
from mailwright.consent.hashing import address_hashes
from mailwright.consent.models import Suppression
from mailwright.consent.suppression import suppressed_among
from mailwright.contacts.models import Contact, Subscription
from mailwright.delivery.models import Delivery

FREQUENCY_WINDOW = {
    Contact.Frequency.WEEKLY: timedelta(days=7),
    Contact.Frequency.MONTHLY: timedelta(days=30),
}


def marketing_audience(topic_ids: list[int], *, now=None, exclude_campaign: int | None = None):
    """Contacts who may receive marketing mail on any of these topics, as a queryset."""
    now = now or timezone.now()
    confirmed = Subscription.objects.filter(
        contact=OuterRef("pk"), topic_id__in=topic_ids, state=Subscription.State.CONFIRMED
    )
    suppressed = Suppression.objects.filter(email_key=OuterRef("email_key"))
    qs = (
        Contact.objects.filter(status=Contact.Status.ACTIVE)
        .filter(Exists(confirmed))
        .exclude(Exists(suppressed))
        .exclude(paused_until__gt=now)
    )
    for frequency, window in FREQUENCY_WINDOW.items():
        recent = Delivery.objects.filter(
            contact=OuterRef("pk"),
            stream=Delivery.Stream.MARKETING,
            created_at__gte=now - window,
        ).exclude(state__in=[Delivery.State.SUPPRESSED, Delivery.State.FAILED])
        if exclude_campaign is not None:
            recent = recent.exclude(campaign_id=exclude_campaign)
        qs = qs.exclude(Q(frequency=frequency) & Exists(recent))
    return qs


def marketing_still_allowed(deliveries) -> set[int]:
    """Of these leased marketing deliveries, the ids whose contact still consents right now
    (someone may have unsubscribed or paused since the audience was frozen): the rule of
    marketing_audience without the frequency window (the audience already applied it).

    Runs for every batch a worker sends, so it is one plain query per campaign in the batch
    (the ORM spent more time building the 200-id IN list than the database answering)."""
    by_campaign: dict[int, list] = {}
    for d in deliveries:
        by_campaign.setdefault(d.campaign_id, []).append(d)
    allowed: set[int] = set()
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    topics_table = Campaign.topics.through._meta.db_table
    contacts = Contact._meta.db_table
    subscriptions = Subscription._meta.db_table
    with connection.cursor() as cursor:
        for campaign_id, items in by_campaign.items():
            contact_ids = sorted({d.contact_id for d in items if d.contact_id})
            if not contact_ids:
                continue
            marks = ", ".join(["%s"] * len(contact_ids))
            cursor.execute(
                f"SELECT ct.id FROM {contacts} ct WHERE ct.id IN ({marks}) "  # noqa: S608
                "AND ct.status = %s AND (ct.paused_until IS NULL OR ct.paused_until <= %s) "
                f"AND EXISTS (SELECT 1 FROM {subscriptions} s WHERE s.contact_id = ct.id "
                "AND s.state = %s AND s.topic_id IN "
                f"(SELECT t.topic_id FROM {topics_table} t WHERE t.campaign_id = %s))",
                [
                    *contact_ids,
                    Contact.Status.ACTIVE,
                    now,
                    Subscription.State.CONFIRMED,
                    campaign_id,
                ],
            )
            ok = {row[0] for row in cursor.fetchall()}
            allowed.update(d.id for d in items if d.contact_id in ok)
    return allowed


def service_blocked(emails) -> set[str]:
    """Service mail goes to anyone not suppressed (hard bounce, complaint, erasure, manual)."""
    return suppressed_among(emails)


REASON_TEXT = {
    Suppression.Reason.HARD_BOUNCE: "hard bounce",
    Suppression.Reason.COMPLAINT: "spam complaint",
    Suppression.Reason.MANUAL: "suppressed by an operator",
    Suppression.Reason.ERASED: "the person asked to be erased",
    Suppression.Reason.SOFT_BOUNCES: "repeated soft bounces",
}


def suppression_reasons(emails) -> dict[str, str]:
    """Why each suppressed address may not be mailed, for a message's state ("suppressed:
    hard bounce on 2026-12-06"), in one query; addresses not suppressed are left out."""
    by_hash = {digest: email for email in emails for digest in address_hashes(email)}
    out: dict[str, str] = {}
    entries = Suppression.objects.filter(email_hash__in=list(by_hash)).only(
        "email_hash", "reason", "created_at"
    )
    for entry in entries:
        why = REASON_TEXT.get(entry.reason, entry.reason)
        out.setdefault(
            by_hash[entry.email_hash], f"suppressed: {why} on {entry.created_at:%Y-%m-%d}"
        )
    return out


def suppression_reason(email: str) -> str:
    """suppression_reasons for one address ("" when it is not suppressed)."""
    return suppression_reasons([email]).get(email, "")
