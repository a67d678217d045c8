"""A sending stream's rolling 7-day bounce and complaint rates, against the lines mailbox
providers and relays publish (SPEC §6.7). Plain functions: the figures are computed for a
given `now`, and judging a rate against its lines needs no database at all."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Count, Q

from mailwright.delivery.models import Delivery
from mailwright.feedback.models import Event

WINDOW = timedelta(days=7)
WARNING_SHARE = 0.8  # "warning" from 80 % of a line

OK = "ok"
WARNING = "warning"
OVER = "over"
_RANK = {OK: 0, WARNING: 1, OVER: 2}

STREAMS = (Delivery.Stream.MARKETING.value, Delivery.Stream.SERVICE.value)


def percent(rate: float) -> str:
    """0.06 → "6 %", 0.0012 → "0.12 %", 0.001 → "0.1 %"."""
    text = f"{rate * 100:.2f}".rstrip("0").rstrip(".")
    return f"{text} %"


@dataclass(frozen=True)
class Line:
    """A published threshold: a rate at which the provider reviews, pauses or filters."""

    source: str  # "Amazon SES", "Gmail"
    name: str  # "review", "pause", "guidance", "limit"
    rate: float  # 0.05 = 5 %
    meaning: str  # what happens there

    @property
    def percent(self) -> str:
        return percent(self.rate)


SES_BOUNCE = (
    Line("Amazon SES", "review", 0.05, "account put under review"),
    Line("Amazon SES", "pause", 0.10, "sending may be paused"),
)
SES_COMPLAINT = (
    Line("Amazon SES", "review", 0.001, "account put under review"),
    Line("Amazon SES", "pause", 0.005, "sending may be paused"),
)
GMAIL_SPAM = (
    Line("Gmail", "guidance", 0.001, "stay under this spam rate"),
    Line("Gmail", "limit", 0.003, "never reach this spam rate"),
)


@dataclass(frozen=True)
class Check:
    line: Line
    status: str  # ok | warning | over


@dataclass(frozen=True)
class Assessment:
    """A rate judged against a set of lines: the worst status and the line it concerns."""

    rate: float
    checks: tuple[Check, ...]

    @property
    def status(self) -> str:
        return worst(c.status for c in self.checks)

    @property
    def percent(self) -> str:
        return percent(self.rate)

    @property
    def label(self) -> str:
        """ "ok", "near review line", "over review line", "over pause line", …"""
        status = self.status
        if status == OK:
            return "ok"
        # The highest line crossed when over; the lowest line approached when warning.
        found = [c for c in self.checks if c.status == status]
        line = found[-1].line if status == OVER else found[0].line
        word = "over" if status == OVER else "near"
        return f"{word} {line.name} line"


def line_status(rate: float, line: Line) -> str:
    # Compared as a rounded share of the line, so 4 % is exactly 80 % of 5 % (in floats,
    # 0.8 * 0.05 is a hair above 0.04).
    share = round(rate / line.rate, 9)
    if share >= 1:
        return OVER
    if share >= WARNING_SHARE:
        return WARNING
    return OK


def assess(rate: float, lines: tuple[Line, ...]) -> Assessment:
    """Judge `rate` against `lines` (lowest first): over a line when at or above it, warning
    from 80 % of it."""
    return Assessment(rate, tuple(Check(line, line_status(rate, line)) for line in lines))


def worst(statuses) -> str:
    return max(statuses, key=_RANK.__getitem__, default=OK)


@dataclass
class StreamReputation:
    stream: str
    since: datetime
    attempted: int
    bounced: int
    complaints: int
    bounce: Assessment = field(init=False)
    complaint_ses: Assessment = field(init=False)
    complaint_gmail: Assessment = field(init=False)

    def __post_init__(self) -> None:
        self.bounce = assess(self.bounce_rate, SES_BOUNCE)
        self.complaint_ses = assess(self.complaint_rate, SES_COMPLAINT)
        self.complaint_gmail = assess(self.complaint_rate, GMAIL_SPAM)

    @property
    def bounce_rate(self) -> float:
        return self.bounced / self.attempted if self.attempted else 0.0

    @property
    def complaint_rate(self) -> float:
        return self.complaints / self.attempted if self.attempted else 0.0

    @property
    def figures(self) -> list[tuple[str, str, Assessment]]:
        """(measure, reference, assessment) for each figure shown."""
        return [
            ("Hard-bounce rate", "Amazon SES", self.bounce),
            ("Complaint rate", "Amazon SES", self.complaint_ses),
            ("Complaint rate", "Gmail spam-rate guidance", self.complaint_gmail),
        ]

    @property
    def status(self) -> str:
        return worst(a.status for _, _, a in self.figures)


def stream_reputation(stream: str, now: datetime) -> StreamReputation:
    """Deliveries of `stream` that ended sent or bounced in the 7 days before `now`, and the
    complaints received in those 7 days about deliveries of that stream."""
    since = now - WINDOW
    row = Delivery.objects.filter(
        stream=stream,
        state__in=[Delivery.State.SENT, Delivery.State.BOUNCED],
        updated_at__gt=since,
        updated_at__lte=now,
    ).aggregate(
        attempted=Count("id"),
        bounced=Count("id", filter=Q(state=Delivery.State.BOUNCED)),
    )
    complaints = Event.objects.filter(
        type=Event.Type.COMPLAINED,
        delivery__stream=stream,
        created_at__gt=since,
        created_at__lte=now,
    ).count()
    return StreamReputation(
        stream=stream,
        since=since,
        attempted=row["attempted"] or 0,
        bounced=row["bounced"] or 0,
        complaints=complaints,
    )


def all_streams(now: datetime) -> list[StreamReputation]:
    return [stream_reputation(stream, now) for stream in STREAMS]


def alerts(reports: list[StreamReputation]) -> list[str]:
    """One sentence per figure at warning or over, for the banners."""
    out = []
    for report in reports:
        for measure, reference, assessment in report.figures:
            if assessment.status != OK:
                out.append(
                    f"{report.stream.capitalize()} mail: {measure.lower()} {assessment.percent}"
                    f" — {assessment.label} ({reference}), across"
                    f" {report.attempted:,} deliveries in the last 7 days"
                )
    return out
