"""The one rule for who may be emailed (SPEC §3.7), called by campaigns and the engine alike:

- marketing needs a *confirmed* subscription to the campaign's topic, an active contact, no
  suppression, no pause, the frequency cap respected (the contact's own choice, else the
  organisation's) and, for a campaign of an exclusion group, nobody the group already
  reached within its window (SPEC §4.5);
- service mail (opt-in confirmations, transactional messages) needs only "not suppressed".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db import connection
from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone

from mailwright.campaigns.models import Campaign, ExclusionEntry
from mailwright.consent.hashing import address_hashes
from mailwright.consent.models import Organisation, Suppression
from mailwright.consent.suppression import suppressed_among
from mailwright.contacts.models import Contact, Subscription
from mailwright.delivery.models import Delivery

# A contact's own choice: at most one marketing email in this many days ("every": no cap;
# "default": the organisation's frequency_cap in frequency_days).
OWN_CHOICE_DAYS = {Contact.Frequency.WEEKLY: 7, Contact.Frequency.MONTHLY: 30}
# Deliveries that never reached anyone count neither towards a cap nor a group.
NOT_REACHED = [Delivery.State.SUPPRESSED, Delivery.State.FAILED]


@dataclass(frozen=True)
class Rule:
    """One reason a contact is left out (SPEC §4.5): `expressions` are conditions on a
    contact (Q or Exists); the contact is out when any holds (`keep=False`) or, for `keep=True`
    (status active, consent), when one does not hold."""

    reason: str
    expressions: tuple
    keep: bool = False

    def excluded(self):
        """One condition true for the contacts this rule leaves out (for counting); None
        when the rule leaves nobody out (no cap, no group)."""
        if not self.expressions:
            return None
        if self.keep:
            return ~self.expressions[0]
        out = self.expressions[0]
        for expr in self.expressions[1:]:
            out = out | expr
        return out

    def apply(self, qs):
        """qs without the contacts this rule leaves out, as separate WHERE conditions, so
        PostgreSQL plans each NOT EXISTS as an anti-join."""
        for expr in self.expressions:
            qs = qs.filter(expr) if self.keep else qs.exclude(expr)
        return qs


def _counted_deliveries(exclude_campaign: int | None):
    counted = Delivery.objects.filter(stream=Delivery.Stream.MARKETING).exclude(
        state__in=NOT_REACHED
    )
    if exclude_campaign is not None:
        counted = counted.exclude(campaign_id=exclude_campaign)
    return counted


def frequency_expressions(now, *, exclude_campaign: int | None = None, org=None) -> tuple:
    """Conditions true for contacts over their frequency cap: their own choice (weekly,
    monthly), else ("default") the organisation's cap; "every" has no cap."""
    counted = _counted_deliveries(exclude_campaign)
    out = []
    # Own choices: few contacts make one, so a lookup by contact (its index) for just them
    # costs less than a pass over the window's deliveries.
    for frequency, days in OWN_CHOICE_DAYS.items():
        recent = counted.filter(contact=OuterRef("pk"), created_at__gte=now - timedelta(days=days))
        out.append(Q(frequency=frequency) & Exists(recent))
    # The default applies to most: one uncorrelated pass over the window's deliveries (a
    # hashed subplan on PostgreSQL), not a count per contact.
    counted = counted.filter(contact__isnull=False)
    org = org or Organisation.objects.filter(id=1).first()
    cap = org.frequency_cap if org else 3
    days = org.frequency_days if org else 7
    if cap and days:
        recent = counted.filter(created_at__gte=now - timedelta(days=days))
        if cap == 1:
            capped = Q(pk__in=recent.values("contact_id"))
        else:
            capped = Q(
                pk__in=recent.values("contact_id")
                .annotate(n=Count("id"))
                .filter(n__gte=cap)
                .values("contact_id")
            )
        out.append(Q(frequency=Contact.Frequency.DEFAULT) & capped)
    return tuple(out)


def exclusion_group_expressions(
    group: str, window_hours: int, now, *, exclude_campaign: int | None = None
) -> tuple:
    """Conditions true for contacts an exclusion group already reached within the window:
    a delivery of another campaign of the group, or an entry (post, phone, …) of the group,
    matched by contact or by the address's key."""
    if not group:
        return ()
    since = now - timedelta(hours=window_hours)
    siblings = Campaign.objects.filter(exclusion_group=group)
    if exclude_campaign is not None:
        siblings = siblings.exclude(pk=exclude_campaign)
    # Uncorrelated IN lists (a hashed subplan on PostgreSQL, an ephemeral index on SQLite):
    # a correlated EXISTS per contact scanned the group's entries once per contact.
    # contact_id IS NOT NULL: one NULL in a NOT IN list would leave everybody out.
    got = (
        Delivery.objects.filter(
            campaign__in=siblings.values("pk"), created_at__gte=since, contact__isnull=False
        )
        .exclude(state__in=NOT_REACHED)
        .values("contact_id")
    )
    entries = ExclusionEntry.objects.filter(group=group, reached_at__gte=since)
    return (
        Q(pk__in=got),
        Q(pk__in=entries.filter(contact__isnull=False).values("contact_id")),
        Q(email_key__in=entries.values("email")),
    )


def audience_rules(
    topic_ids: list[int],
    *,
    now,
    exclude_campaign: int | None = None,
    exclusion_group: str = "",
    window_hours: int = 24,
) -> list[Rule]:
    """The reasons a contact is left out of marketing on these topics, in the order they
    are counted (the first that applies is the one reported)."""
    confirmed = Subscription.objects.filter(
        contact=OuterRef("pk"), topic_id__in=topic_ids, state=Subscription.State.CONFIRMED
    )
    suppressed = Suppression.objects.filter(email_key=OuterRef("email_key"))
    return [
        Rule("inactive", (Q(status=Contact.Status.ACTIVE),), keep=True),
        Rule("suppressed", (Exists(suppressed),)),
        Rule("no_consent", (Exists(confirmed),), keep=True),
        Rule("paused", (Q(paused_until__gt=now),)),
        Rule("frequency_cap", frequency_expressions(now, exclude_campaign=exclude_campaign)),
        Rule(
            "exclusion_group",
            exclusion_group_expressions(
                exclusion_group, window_hours, now, exclude_campaign=exclude_campaign
            ),
        ),
    ]


REASONS = ("inactive", "suppressed", "no_consent", "paused", "frequency_cap", "exclusion_group")


def marketing_audience(
    topic_ids: list[int],
    *,
    now=None,
    exclude_campaign: int | None = None,
    exclusion_group: str = "",
    window_hours: int = 24,
):
    """Contacts who may receive marketing mail on any of these topics, as a queryset: active,
    not suppressed, confirmed on one of the topics, not paused, under their frequency cap,
    and not already reached by the exclusion group within its window."""
    now = now or timezone.now()
    qs = Contact.objects.all()
    rules = audience_rules(
        topic_ids,
        now=now,
        exclude_campaign=exclude_campaign,
        exclusion_group=exclusion_group,
        window_hours=window_hours,
    )
    for rule in rules:
        qs = rule.apply(qs)
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
