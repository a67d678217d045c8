"""A campaign against the organisation's previous campaigns (SPEC §4.7): its open, click,
bounce, unsubscribe and complaint rates next to the median of the last sent campaigns before
it, with the difference (in fractions: 0.02 = two percentage points)."""

from __future__ import annotations

from dataclasses import dataclass
from statistics import median

from mailwright.campaigns.models import Campaign
from mailwright.feedback import rates

COMPARED = ("open_rate", "click_rate", "bounce_rate", "unsubscribe_rate", "complaint_rate")
LABELS = {
    "open_rate": "Open rate",
    "click_rate": "Click rate",
    "bounce_rate": "Bounce rate",
    "unsubscribe_rate": "Unsubscribe rate",
    "complaint_rate": "Complaint rate",
}
PREVIOUS = 10


@dataclass
class ComparisonRow:
    rate: str
    campaign: float | None
    median: float | None

    @property
    def label(self) -> str:
        return LABELS[self.rate]

    @property
    def difference(self) -> float | None:
        if self.campaign is None or self.median is None:
            return None
        return self.campaign - self.median

    @staticmethod
    def _percent(value: float | None) -> str:
        return "—" if value is None else f"{100 * value:.1f} %"

    @property
    def campaign_text(self) -> str:
        return self._percent(self.campaign)

    @property
    def median_text(self) -> str:
        return self._percent(self.median)

    @property
    def points(self) -> str:
        """The difference in percentage points, signed ("+2.5 pts"), or "—"."""
        diff = self.difference
        return "—" if diff is None else f"{100 * diff:+.1f} pts"

    def as_dict(self) -> dict:
        return {
            "rate": self.rate,
            "campaign": self.campaign,
            "median": self.median,
            "difference": self.difference,
        }


def previous(campaign: Campaign, limit: int = PREVIOUS) -> list[int]:
    """The last `limit` sent campaigns started before this one (or all, for a draft)."""
    qs = Campaign.objects.filter(state=Campaign.State.SENT).exclude(pk=campaign.pk)
    if campaign.started_at:
        qs = qs.filter(started_at__lt=campaign.started_at)
    return list(qs.order_by("-started_at", "-id").values_list("id", flat=True)[:limit])


def compare(campaign: Campaign, counts: rates.Counts) -> tuple[list[int], list[ComparisonRow]]:
    ids = previous(campaign)
    mine = rates.all_rates(counts, COMPARED)
    history: dict[str, list[float]] = {name: [] for name in COMPARED}
    for cid in ids:
        for name, rate in rates.all_rates(rates.campaign_counts(cid), COMPARED).items():
            if rate.value is not None:
                history[name].append(rate.value)
    rows = [
        ComparisonRow(name, mine[name].value, median(history[name]) if history[name] else None)
        for name in COMPARED
    ]
    return ids, rows
