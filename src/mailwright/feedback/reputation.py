"""A sending stream's reputation: its rolling 7-day hard-bounce and complaint rates (as
feedback.rates defines them), judged against the lines mailbox providers and relays publish
(SPEC §6.7). Served to the staff UI (Delivery → Reputation, the dashboard's alerts) and the
API. Judging a rate against its lines needs no database at all."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from mailwright.feedback import rates
from mailwright.feedback.rates import STREAMS, Counts

WINDOW = timedelta(days=7)
WARNING_SHARE = 0.8  # "warning" from 80 % of a line

OK = "ok"
WARNING = "warning"
OVER = "over"
_RANK = {OK: 0, WARNING: 1, OVER: 2}
RATE_NAMES = ("bounce_rate", "complaint_rate")


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


@dataclass(frozen=True)
class Figure:
    measure: str  # "Hard-bounce rate"
    key: str  # the rate's name in feedback.rates: "bounce_rate"
    reference: str  # "Amazon SES"
    assessment: Assessment


@dataclass
class StreamReputation:
    stream: str
    since: datetime
    until: datetime
    counts: Counts
    figures: list[Figure] = field(init=False)

    def __post_init__(self) -> None:
        bounce, complaint = self.bounce_rate, self.complaint_rate
        self.figures = [
            Figure("Hard-bounce rate", "bounce_rate", "Amazon SES", assess(bounce, SES_BOUNCE)),
            Figure(
                "Complaint rate", "complaint_rate", "Amazon SES", assess(complaint, SES_COMPLAINT)
            ),
            Figure(
                "Complaint rate",
                "complaint_rate",
                "Gmail spam-rate guidance",
                assess(complaint, GMAIL_SPAM),
            ),
        ]

    @property
    def attempted(self) -> int:
        return self.counts.attempted

    @property
    def bounced(self) -> int:
        return self.counts.bounced

    @property
    def complaints(self) -> int:
        return self.counts.complaints

    @property
    def bounce_rate(self) -> float:
        return rates.bounce_rate(self.counts).value or 0.0

    @property
    def complaint_rate(self) -> float:
        return rates.complaint_rate(self.counts).value or 0.0

    @property
    def bounce(self) -> Assessment:
        return self.figures[0].assessment

    @property
    def complaint_ses(self) -> Assessment:
        return self.figures[1].assessment

    @property
    def complaint_gmail(self) -> Assessment:
        return self.figures[2].assessment

    @property
    def status(self) -> str:
        return worst(f.assessment.status for f in self.figures)

    def as_dict(self) -> dict:
        """As the API serves it: rates as fractions (null when nothing was attempted)."""
        c = self.counts
        return {
            "stream": self.stream,
            "since": self.since,
            "until": self.until,
            "status": self.status,
            "counts": {
                "attempted": c.attempted,
                "delivered": c.delivered,
                "bounced": c.bounced,
                "complaints": c.complaints,
            },
            "rates": {name: rate.value for name, rate in rates.all_rates(c, RATE_NAMES).items()},
            "figures": [
                {
                    "measure": f.measure,
                    "rate_name": f.key,
                    "reference": f.reference,
                    "rate": f.assessment.rate,
                    "status": f.assessment.status,
                    "label": f.assessment.label,
                    "lines": [
                        {
                            "source": check.line.source,
                            "name": check.line.name,
                            "rate": check.line.rate,
                            "meaning": check.line.meaning,
                            "status": check.status,
                        }
                        for check in f.assessment.checks
                    ],
                }
                for f in self.figures
            ],
        }


def all_streams(now: datetime, streams=STREAMS) -> list[StreamReputation]:
    """Each stream's deliveries that ended sent or bounced in the 7 days before `now`, and
    the complaints received in those 7 days about deliveries of that stream (two queries)."""
    since = now - WINDOW
    counts = rates.stream_counts(since, now, streams, engagement=False)
    return [StreamReputation(stream, since, now, c) for stream, c in counts.items()]


def stream_reputation(stream: str, now: datetime) -> StreamReputation:
    if stream not in STREAMS:
        raise UnknownStream(stream)
    return all_streams(now, [stream])[0]


class UnknownStream(LookupError):
    def __init__(self, stream: str) -> None:
        super().__init__(f"no sending stream named {stream[:64]!r} (streams: {', '.join(STREAMS)})")
