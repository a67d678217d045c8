"""Read models of what sending achieved: a campaign's report (counts and rates, clicks per
link, receiving domains, opens and clicks per hour for the first 72 hours) and each sending
stream's last 30 days. Served as they are to the staff UI and the API; every rate comes from
feedback.rates."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta

from django.db.models import Count, Min, Q
from django.db.models.fields.json import KT
from django.db.models.functions import TruncHour

from mailwright.campaigns.models import Campaign, CampaignLink
from mailwright.delivery.models import Delivery
from mailwright.feedback import ab_winner, rates
from mailwright.feedback.comparison import ComparisonRow, compare
from mailwright.feedback.models import Event
from mailwright.feedback.rates import Counts, Rate

TIMELINE_HOURS = 72
TOP_DOMAINS = 10
STREAM_WINDOW = timedelta(days=30)

S = Delivery.State
E = Event.Type

DOMAIN_RATES = ("bounce_rate", "complaint_rate", "open_rate", "click_rate")


@dataclass
class LinkRow:
    index: int | None  # None: a clicked URL that is not one of the campaign's links
    url: str
    human_unique: int = 0
    human_total: int = 0
    machine_unique: int = 0
    machine_total: int = 0


@dataclass
class DomainRow:
    """A receiving domain's counts; opens and clicks are human and unique."""

    domain: str
    counts: Counts

    @property
    def rates(self) -> dict[str, Rate]:
        return rates.all_rates(self.counts, DOMAIN_RATES)

    def as_dict(self) -> dict:
        c = self.counts
        return {
            "domain": self.domain,
            "attempted": c.attempted,
            "accepted": c.accepted,
            "delivered": c.delivered,
            "bounced": c.bounced,
            "complaints": c.complaints,
            "opens_human": c.opens_human,
            "clicks_human": c.clicks_human,
            **{name: rate.value for name, rate in self.rates.items()},
        }


@dataclass
class HourRow:
    hour: int  # hours since the start, 0 … 71
    at: datetime
    opens_human: int = 0
    opens_machine: int = 0
    clicks_human: int = 0
    clicks_machine: int = 0


# (count key, label, rate key or None) of the report's summary, in order.
SUMMARY = (
    ("attempted", "Attempted", None),
    ("accepted", "Sent (accepted)", None),
    ("delivered", "Delivered", None),
    ("bounced", "Hard bounced", "bounce_rate"),
    ("soft_bounced", "Soft bounced", "soft_bounce_rate"),
    ("complaints", "Complaints", "complaint_rate"),
    ("unsubscribed", "Unsubscribed", "unsubscribe_rate"),
    ("opens_human", "Opens (human, unique)", "open_rate"),
    ("opens_machine", "Opens (automated)", "machine_open_rate"),
    ("clicks_human", "Clicks (human, unique)", "click_rate"),
    ("clicks_machine", "Clicks (automated)", "machine_click_rate"),
)


@dataclass
class CampaignReport:
    campaign: Campaign
    counts: Counts
    links: list[LinkRow] = field(default_factory=list)
    domains: list[DomainRow] = field(default_factory=list)
    timeline: list[HourRow] = field(default_factory=list)
    start: datetime | None = None
    variants: list[ab_winner.VariantRow] = field(default_factory=list)
    compared_with: list[int] = field(default_factory=list)
    comparison: list[ComparisonRow] = field(default_factory=list)

    @property
    def rates(self) -> dict[str, Rate]:
        return rates.all_rates(self.counts)

    @property
    def summary(self) -> list[tuple[str, str, int, Rate | None]]:
        """(key, label, count, rate) for the tiles and the CSV."""
        counts, by_name = self.counts.as_dict(), self.rates
        return [
            (key, label, counts[key], by_name[rate] if rate else None)
            for key, label, rate in SUMMARY
        ]

    @property
    def exclusion_rows(self) -> list[tuple[str, str, int]]:
        """(reason, label, count) of those left out of the audience, as frozen."""
        found = self.campaign.exclusions or {}
        return [(k, k.replace("_", " ").capitalize(), n) for k, n in found.items()]

    def as_dict(self) -> dict:
        """The report as the API serves it: rates as fractions (0.05 = 5 %), null when there
        is nothing to divide by."""
        c = self.campaign
        return {
            "campaign": {
                "id": c.pk,
                "name": c.name,
                "state": c.state,
                "started_at": c.started_at,
                "finished_at": c.finished_at,
            },
            "counts": self.counts.as_dict(),
            "rates": {name: rate.value for name, rate in self.rates.items()},
            "links": [asdict(link) for link in self.links],
            "domains": [d.as_dict() for d in self.domains],
            "start": self.start,
            "timeline": [
                {k: v for k, v in asdict(h).items() if k != "hour"} for h in self.timeline
            ],
            "variants": [v.as_dict() for v in self.variants],
            "exclusions": c.exclusions or {},
            "compared_with": self.compared_with,
            "comparison": [row.as_dict() for row in self.comparison],
        }


def campaign_report(campaign: Campaign) -> CampaignReport:
    start = (
        campaign.started_at
        or (Delivery.objects.filter(campaign=campaign).aggregate(first=Min("sent_at"))["first"])
    )
    counts = rates.campaign_counts(campaign.pk)
    compared_with, compared = compare(campaign, counts)
    return CampaignReport(
        campaign=campaign,
        counts=counts,
        links=link_rows(campaign),
        domains=domain_rows(campaign),
        timeline=timeline(campaign, start) if start else [],
        start=start,
        variants=ab_winner.variant_rows(campaign),
        compared_with=compared_with,
        comparison=compared,
    )


def _index(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def link_rows(campaign: Campaign) -> list[LinkRow]:
    """Every link of the campaign (clicked or not), then any other clicked URL."""
    rows = {
        link.index: LinkRow(link.index, link.url)
        for link in CampaignLink.objects.filter(campaign=campaign).order_by("index")
    }
    by_url = {row.url: row for row in reversed(rows.values())}  # first index wins
    others: dict[str, LinkRow] = {}
    grouped = (
        Event.objects.filter(campaign=campaign, type=E.CLICKED)
        .annotate(link=KT("data__link"), url=KT("data__url"))
        .values("link", "url", "machine")
        .annotate(unique=Count("delivery", distinct=True), total=Count("id"))
        .order_by()
    )
    for g in grouped:
        url = str(g["url"] or "")
        row = rows.get(_index(g["link"])) or by_url.get(url)
        if row is None:
            row = others.setdefault(url, LinkRow(None, url or "(no URL recorded)"))
        if g["machine"]:
            row.machine_unique += g["unique"]
            row.machine_total += g["total"]
        else:
            row.human_unique += g["unique"]
            row.human_total += g["total"]
    return list(rows.values()) + sorted(others.values(), key=lambda r: -r.human_total)


def domain_rows(campaign: Campaign, limit: int = TOP_DOMAINS) -> list[DomainRow]:
    """The receiving domains with the most attempts, in one grouped query."""

    def has(type_: str, machine: bool | None = None) -> Q:
        condition = Q(events__type=type_)
        return condition & Q(events__machine=machine) if machine is not None else condition

    rows = (
        Delivery.objects.filter(campaign=campaign, state__in=rates.ENDED)
        .values("domain")
        .annotate(
            attempted=Count("id", distinct=True),
            bounced=Count("id", distinct=True, filter=Q(state=S.BOUNCED)),
            bounced_later=Count(
                "id", distinct=True, filter=Q(state=S.BOUNCED, sent_at__isnull=False)
            ),
            complaints=Count("id", distinct=True, filter=has(E.COMPLAINED)),
            opens_human=Count("id", distinct=True, filter=has(E.OPENED, False)),
            clicks_human=Count("id", distinct=True, filter=has(E.CLICKED, False)),
        )
        .order_by("-attempted", "domain")[:limit]
    )
    return [DomainRow(row.pop("domain") or "(unknown)", Counts(**row)) for row in rows]


def timeline(campaign: Campaign, start: datetime, hours: int = TIMELINE_HOURS) -> list[HourRow]:
    """Opens and clicks per hour for the first `hours` hours from `start`."""
    start = start.replace(minute=0, second=0, microsecond=0)
    out = [HourRow(h, start + timedelta(hours=h)) for h in range(hours)]
    grouped = (
        Event.objects.filter(
            campaign=campaign,
            type__in=[E.OPENED, E.CLICKED],
            created_at__gte=start,
            created_at__lt=start + timedelta(hours=hours),
        )
        .annotate(at=TruncHour("created_at"))
        .values("at", "type", "machine")
        .annotate(n=Count("id"))
        .order_by()
    )
    for g in grouped:
        h = int((g["at"] - start).total_seconds() // 3600)
        if not 0 <= h < hours:
            continue
        kind = "opens" if g["type"] == E.OPENED else "clicks"
        attr = f"{kind}_{'machine' if g['machine'] else 'human'}"
        setattr(out[h], attr, getattr(out[h], attr) + g["n"])
    return out


# --- streams ------------------------------------------------------------------------------------


@dataclass
class StreamFigures:
    """A sending stream's deliveries and engagement over a window (the analytics page)."""

    stream: str
    since: datetime
    counts: Counts

    @property
    def rates(self) -> dict[str, Rate]:
        return rates.all_rates(self.counts)

    @property
    def engagement(self) -> list[tuple[str, Rate, Rate]]:
        """(measure, human rate, automated rate)."""
        r = self.rates
        return [
            ("Opens", r["open_rate"], r["machine_open_rate"]),
            ("Clicks", r["click_rate"], r["machine_click_rate"]),
        ]


def stream_figures(now: datetime, window: timedelta = STREAM_WINDOW) -> list[StreamFigures]:
    """Per stream: deliveries that ended sent or bounced in the window, and the complaints,
    opens and clicks recorded in the window for deliveries of that stream."""
    since = now - window
    return [
        StreamFigures(stream, since, counts)
        for stream, counts in rates.stream_counts(since, now).items()
    ]
