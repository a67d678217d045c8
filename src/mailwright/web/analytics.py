"""Engagement and deliverability figures for the staff UI: a campaign's report (totals, links,
receiving domains, the first 72 hours) and each sending stream's last 30 days.

Pure functions over the ORM, a few aggregate queries each (Count with filters, TruncHour),
the same on SQLite and PostgreSQL. Human and machine opens/clicks (Apple Mail Privacy
Protection, scanners, prefetchers: Event.machine) are always counted apart; "unique" counts
deliveries, so one person opening five times is one unique open."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Count, Min, Q
from django.db.models.fields.json import KT
from django.db.models.functions import TruncHour

from mailwright.campaigns.models import Campaign, CampaignLink
from mailwright.delivery.models import Delivery
from mailwright.feedback.models import Event

TIMELINE_HOURS = 72
TOP_DOMAINS = 10
STREAM_WINDOW = timedelta(days=30)
STREAMS = (Delivery.Stream.MARKETING.value, Delivery.Stream.SERVICE.value)

S = Delivery.State
E = Event.Type


@dataclass(frozen=True)
class Rate:
    """`n` out of `of`; shown as "12.5 %", or "—" when there is nothing to divide by."""

    n: int
    of: int

    @property
    def value(self) -> float | None:
        return self.n / self.of if self.of else None

    @property
    def text(self) -> str:
        if not self.of:
            return "—"
        text = f"{100 * self.n / self.of:.1f}".removesuffix(".0")
        return f"{text} %"

    def __str__(self) -> str:
        return self.text


def _unique(type_: str, machine: bool | None = None) -> Count:
    """Distinct deliveries with at least one event of this type (human or machine)."""
    condition = Q(type=type_)
    if machine is not None:
        condition &= Q(machine=machine)
    return Count("delivery", distinct=True, filter=condition)


def _total(type_: str, machine: bool) -> Count:
    return Count("id", filter=Q(type=type_, machine=machine))


ENGAGEMENT = {
    "opens_human": _unique(E.OPENED, False),
    "opens_machine": _unique(E.OPENED, True),
    "clicks_human": _unique(E.CLICKED, False),
    "clicks_machine": _unique(E.CLICKED, True),
    "complaints": _unique(E.COMPLAINED),
}


# --- campaign report ----------------------------------------------------------------------------


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
    domain: str
    attempted: int
    sent: int
    bounced: int
    delivered: int
    opened: int
    clicked: int

    @property
    def bounce(self) -> Rate:
        return Rate(self.bounced, self.attempted)

    @property
    def open_rate(self) -> Rate:
        return Rate(self.opened, self.delivered)

    @property
    def click_rate(self) -> Rate:
        return Rate(self.clicked, self.delivered)


@dataclass
class HourRow:
    hour: int  # hours since the start, 0 … 71
    at: datetime
    opens_human: int = 0
    opens_machine: int = 0
    clicks_human: int = 0
    clicks_machine: int = 0


@dataclass
class CampaignReport:
    campaign: Campaign
    attempted: int  # ended sent or bounced (accepted, or refused at once)
    sent: int  # accepted by the receiving server
    bounced: int  # hard bounces: refused at once or bounced later
    bounced_later: int  # accepted, then a bounce message came back
    soft_bounced: int  # deliveries with at least one soft bounce
    complaints: int
    unsubscribed: int
    opens_human: int
    opens_machine: int
    clicks_human: int
    clicks_machine: int
    links: list[LinkRow] = field(default_factory=list)
    domains: list[DomainRow] = field(default_factory=list)
    timeline: list[HourRow] = field(default_factory=list)
    start: datetime | None = None

    @property
    def delivered(self) -> int:
        return self.sent - self.bounced_later

    @property
    def bounce(self) -> Rate:
        return Rate(self.bounced, self.attempted)

    @property
    def complaint(self) -> Rate:
        return Rate(self.complaints, self.delivered)

    def rate(self, n: int) -> Rate:
        return Rate(n, self.delivered)

    @property
    def summary(self) -> list[tuple[str, str, int, Rate | None]]:
        """(key, label, count, rate) for the tiles and the CSV."""
        d = self.rate
        return [
            ("attempted", "Attempted", self.attempted, None),
            ("sent", "Sent (accepted)", self.sent, None),
            ("delivered", "Delivered", self.delivered, None),
            ("bounced", "Hard bounced", self.bounced, self.bounce),
            ("soft_bounced", "Soft bounced", self.soft_bounced, d(self.soft_bounced)),
            ("complaints", "Complaints", self.complaints, self.complaint),
            ("unsubscribed", "Unsubscribed", self.unsubscribed, d(self.unsubscribed)),
            ("opens_human", "Opens (human, unique)", self.opens_human, d(self.opens_human)),
            ("opens_machine", "Opens (automated)", self.opens_machine, d(self.opens_machine)),
            ("clicks_human", "Clicks (human, unique)", self.clicks_human, d(self.clicks_human)),
            ("clicks_machine", "Clicks (automated)", self.clicks_machine, d(self.clicks_machine)),
        ]

    @property
    def timeline_max(self) -> int:
        return max(
            (max(h.opens_human, h.clicks_human, h.opens_machine) for h in self.timeline),
            default=0,
        )


def campaign_report(campaign: Campaign) -> CampaignReport:
    deliveries = Delivery.objects.filter(campaign=campaign)
    counts = deliveries.aggregate(
        attempted=Count("id", filter=Q(state__in=[S.SENT, S.BOUNCED])),
        sent=Count("id", filter=Q(sent_at__isnull=False)),
        bounced=Count("id", filter=Q(state=S.BOUNCED)),
        bounced_later=Count("id", filter=Q(state=S.BOUNCED, sent_at__isnull=False)),
        first_sent=Min("sent_at"),
    )
    events = Event.objects.filter(campaign=campaign).aggregate(
        **ENGAGEMENT,
        soft_bounced=_unique(E.SOFT_BOUNCED),
        unsubscribed=_unique(E.UNSUBSCRIBED),
    )
    start = campaign.started_at or counts.pop("first_sent")
    counts.pop("first_sent", None)
    return CampaignReport(
        campaign=campaign,
        **counts,
        **events,
        links=link_rows(campaign),
        domains=domain_rows(campaign),
        timeline=timeline(campaign, start) if start else [],
        start=start,
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
    """The receiving domains with the most attempts; opens and clicks are human, unique."""
    opened = Q(events__type=E.OPENED, events__machine=False)
    clicked = Q(events__type=E.CLICKED, events__machine=False)
    rows = (
        Delivery.objects.filter(campaign=campaign, state__in=[S.SENT, S.BOUNCED])
        .values("domain")
        .annotate(
            attempted=Count("id", distinct=True),
            sent=Count("id", distinct=True, filter=Q(sent_at__isnull=False)),
            bounced=Count("id", distinct=True, filter=Q(state=S.BOUNCED)),
            delivered=Count("id", distinct=True, filter=Q(state=S.SENT)),
            opened=Count("id", distinct=True, filter=opened),
            clicked=Count("id", distinct=True, filter=clicked),
        )
        .order_by("-attempted", "domain")[:limit]
    )
    return [DomainRow(**{**row, "domain": row["domain"] or "(unknown)"}) for row in rows]


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


# --- the timeline chart ------------------------------------------------------------------------


@dataclass(frozen=True)
class Chart:
    """Geometry of the timeline chart, drawn by the template as inline SVG."""

    width: int
    height: int
    top: int
    bottom: int  # y of the baseline
    left: int
    bars: list[dict]  # x, width, y, height, kind, title
    machine_points: str  # polyline of automated opens
    ticks: list[dict]  # x, label
    y_ticks: list[dict]  # y, label


def chart(rows: list[HourRow]) -> Chart:
    width, height, left, top, bottom_pad = 760, 220, 36, 10, 30
    plot_w = width - left - 8
    bottom = height - bottom_pad
    plot_h = bottom - top
    peak = max((max(r.opens_human, r.clicks_human, r.opens_machine) for r in rows), default=0)
    peak = max(peak, 1)
    slot = plot_w / max(len(rows), 1)
    bar_w = max(slot / 2 - 0.5, 0.5)

    def y(v: int) -> float:
        return round(bottom - plot_h * v / peak, 1)

    bars, points = [], []
    for r in rows:
        x = left + r.hour * slot
        label = f"{r.at:%Y-%m-%d %H}:00"
        for offset, kind, value in ((0, "opens", r.opens_human), (bar_w, "clicks", r.clicks_human)):
            if value:
                bars.append(
                    {
                        "x": round(x + offset, 1),
                        "width": round(bar_w, 1),
                        "y": y(value),
                        "height": round(bottom - y(value), 1),
                        "kind": kind,
                        "title": f"{label}: {value} human {kind if value != 1 else kind[:-1]}",
                    }
                )
        points.append(f"{round(x + slot / 2, 1)},{y(r.opens_machine)}")
    ticks = [
        {"x": round(left + r.hour * slot, 1), "label": f"+{r.hour} h"}
        for r in rows
        if r.hour % 12 == 0
    ]
    y_ticks = [{"y": y(v), "label": str(v)} for v in sorted({0, peak // 2, peak})]
    return Chart(
        width,
        height,
        top,
        bottom,
        left,
        bars,
        " ".join(points) if any(r.opens_machine for r in rows) else "",
        ticks,
        y_ticks,
    )


# --- streams ------------------------------------------------------------------------------------


@dataclass
class StreamFigures:
    stream: str
    since: datetime
    attempted: int = 0
    bounced: int = 0
    delivered: int = 0
    complaints: int = 0
    opens_human: int = 0
    opens_machine: int = 0
    clicks_human: int = 0
    clicks_machine: int = 0

    @property
    def bounce(self) -> Rate:
        return Rate(self.bounced, self.attempted)

    @property
    def complaint(self) -> Rate:
        return Rate(self.complaints, self.delivered)

    def rate(self, n: int) -> Rate:
        return Rate(n, self.delivered)

    @property
    def engagement(self) -> list[tuple[str, Rate, Rate]]:
        """(measure, human rate, automated rate)."""
        return [
            ("Opens", self.rate(self.opens_human), self.rate(self.opens_machine)),
            ("Clicks", self.rate(self.clicks_human), self.rate(self.clicks_machine)),
        ]


def stream_figures(now: datetime, window: timedelta = STREAM_WINDOW) -> list[StreamFigures]:
    """Per stream: deliveries that ended sent or bounced in the window, and the complaints,
    opens and clicks recorded in the window for deliveries of that stream (two queries)."""
    since = now - window
    out = {s: StreamFigures(s, since) for s in STREAMS}
    for row in (
        Delivery.objects.filter(
            state__in=[S.SENT, S.BOUNCED], updated_at__gt=since, updated_at__lte=now
        )
        .values("stream")
        .annotate(
            attempted=Count("id"),
            bounced=Count("id", filter=Q(state=S.BOUNCED)),
            delivered=Count("id", filter=Q(state=S.SENT)),
        )
        .order_by()
    ):
        figures = out.setdefault(row["stream"], StreamFigures(row["stream"], since))
        figures.attempted, figures.bounced = row["attempted"], row["bounced"]
        figures.delivered = row["delivered"]
    for row in (
        Event.objects.filter(created_at__gt=since, created_at__lte=now, delivery__isnull=False)
        .values("delivery__stream")
        .annotate(**ENGAGEMENT)
        .order_by()
    ):
        stream = row.pop("delivery__stream")
        figures = out.setdefault(stream, StreamFigures(stream, since))
        for key, value in row.items():
            setattr(figures, key, value)
    return list(out.values())


# --- event details ------------------------------------------------------------------------------

DETAIL_KEYS = {
    E.CLICKED: ("url",),
    E.BOUNCED: ("reason", "status", "diagnostic", "code", "reply"),
    E.SOFT_BOUNCED: ("reason", "status", "diagnostic"),
    E.DELAYED: ("reason", "status", "diagnostic"),
    E.DEFERRED: ("code", "reply"),
    E.FAILED: ("code", "reply"),
    E.COMPLAINED: ("feedback_type",),
    E.SENT: ("message_id",),
}


def event_details(event: Event) -> list[tuple[str, str]]:
    """The interesting parts of an event's data, most telling first: the clicked URL, the
    bounce reason and status, the SMTP reply, why it was judged automated."""
    data = event.data if isinstance(event.data, dict) else {}
    keys = list(DETAIL_KEYS.get(event.type, ()))
    keys += [k for k in ("machine_reason", "esp") if k not in keys]
    shown = [(k, str(data[k])) for k in keys if data.get(k) not in (None, "")]
    if not shown and event.type not in (E.OPENED,):
        shown = [(k, str(v)) for k, v in data.items() if v not in (None, "")][:4]
    return shown
