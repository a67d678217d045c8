"""A/B tests (SPEC §4.6): each variant's results, and the winner. A variant's score is its
unique human opens (or clicks) per recipient: machine opens and clicks — Apple Mail Privacy
Protection, security scanners, prefetchers (Event.machine) — never count. Ties go to the
lower index. After `wait_minutes` from the sample's start the scheduler decides; an
operator may pick a winner sooner."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Max, Q
from django.utils import timezone

from mailwright.audit.actors import Actor
from mailwright.campaigns.models import Campaign
from mailwright.delivery import schedule
from mailwright.delivery.ab_split import variant_sources
from mailwright.delivery.models import Delivery
from mailwright.feedback.models import Event
from mailwright.feedback.rates import Rate

E = Event.Type


@dataclass
class VariantRow:
    index: int
    label: str  # the subject, or the template's name
    kind: str  # "subject" | "template"
    recipients: int = 0
    attempted: int = 0
    opens: int = 0  # unique, human
    clicks: int = 0  # unique, human
    winner: bool = False

    @property
    def open_rate(self) -> Rate:
        return Rate(self.opens, self.recipients)

    @property
    def click_rate(self) -> Rate:
        return Rate(self.clicks, self.recipients)

    def as_dict(self) -> dict:
        return {
            "variant": self.index,
            "kind": self.kind,
            "label": self.label,
            "recipients": self.recipients,
            "attempted": self.attempted,
            "opens_human": self.opens,
            "clicks_human": self.clicks,
            "open_rate": self.open_rate.value,
            "click_rate": self.click_rate.value,
            "winner": self.winner,
        }


def variant_rows(campaign: Campaign) -> list[VariantRow]:
    """Per variant, in one grouped query: recipients (in the ledger with that variant),
    attempted, unique human opens and clicks. The rest of the audience, frozen with the
    winner, counts for the winner."""
    if not campaign.ab_test:
        return []
    rows = []
    for i, (subject, tpl) in enumerate(variant_sources(campaign)):
        spec = campaign.ab_test["variants"][i]
        kind = "subject" if "subject" in spec else "template"
        rows.append(VariantRow(i, subject if kind == "subject" else tpl.name, kind))
    grouped = (
        Delivery.objects.filter(campaign=campaign, variant__isnull=False)
        .values("variant")
        .annotate(
            recipients=Count("id", distinct=True),
            attempted=Count("id", distinct=True, filter=Q(state__in=("sent", "bounced"))),
            opens=Count(
                "id", distinct=True, filter=Q(events__type=E.OPENED, events__machine=False)
            ),
            clicks=Count(
                "id", distinct=True, filter=Q(events__type=E.CLICKED, events__machine=False)
            ),
        )
        .order_by()
    )
    for g in grouped:
        if 0 <= g["variant"] < len(rows):
            row = rows[g["variant"]]
            row.recipients, row.attempted = g["recipients"], g["attempted"]
            row.opens, row.clicks = g["opens"], g["clicks"]
    if campaign.ab_winner is not None and campaign.ab_winner < len(rows):
        rows[campaign.ab_winner].winner = True
    return rows


def pick(rows: list[VariantRow], metric: str) -> int:
    """The best variant by unique human opens/clicks per recipient; ties → lower index."""

    def score(row: VariantRow) -> float:
        rate = row.click_rate if metric == "clicks" else row.open_rate
        return rate.value or 0.0

    best = max(rows, key=lambda r: (score(r), -r.index))
    return best.index


def decide(campaign: Campaign, *, by: Actor, variant: int | None = None) -> int:
    """Choose the winner (the best variant, or `variant` when an operator picks one) and
    send the rest of the audience that variant; returns the winner."""
    if variant is None:
        variant = pick(variant_rows(campaign), campaign.ab_test.get("metric", "opens"))
    schedule.freeze_rest(campaign.pk, variant, by=by)
    return variant


def decision_due_at(campaign: Campaign) -> datetime | None:
    """`wait_minutes` after the sample went out: after the start, or, when a local-time
    window holds the sample back, after the last sample message is due (retries of
    deferred ones are not waited for)."""
    if not campaign.ab_test or not campaign.started_at or campaign.ab_phase != "sample":
        return None
    sample = Delivery.objects.filter(campaign_id=campaign.pk)
    last = sample.aggregate(
        sent=Max("sent_at"),
        planned=Max("next_attempt_at", filter=Q(attempts=0, state=Delivery.State.QUEUED)),
    )
    base = max(t for t in (campaign.started_at, last["sent"], last["planned"]) if t is not None)
    return base + timedelta(minutes=campaign.ab_test["wait_minutes"])


def decide_due(now: datetime | None = None) -> list[int]:
    """Decide every A/B test whose wait is over; return the campaign ids decided here."""
    now = now or timezone.now()
    decided = []
    # Not while paused (by an operator or a guard): the sample may be incomplete; the wait
    # goes on after the campaign is resumed.
    waiting = Campaign.objects.filter(
        ab_phase="sample", state=Campaign.State.SENDING
    ).select_related("template")
    for campaign in waiting:
        at = decision_due_at(campaign)
        if at is None or at > now:
            continue
        try:
            decide(campaign, by=schedule.SCHEDULER)
        except schedule.CampaignStateError:
            continue  # another scheduler decided it first
        decided.append(campaign.pk)
    return decided
