"""What /metrics reports, read from the database at scrape time, and the Prometheus text
exposition format (version 0.0.4) it is written in.

A handful of queries a scrape, each an aggregate computed by the database (no per-row Python):

1. the queue: unfinished deliveries (queued, deferred, sending) by stream and state; the
   condition is the partial index delivery_pending's own, so sent rows are never read;
2. messages sent in the last 24 hours, 5 minutes and minute (the send rate), and per stream
   the bounces, complaints and their rates of the last 24 hours, as feedback.rates defines
   them for the guard, the reports and the API (two more grouped queries);
3. worker heartbeats: age, up, messages sent since start, per delivery worker process;
4. the inbound backlog: messages stored but not processed, and those whose processing failed.

Written by hand rather than with prometheus_client: every value comes from the database at
scrape time (no in-process counters to keep), they are all gauges but one, and the format
is a few lines of text.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import connection
from django.db.models import Count, Q
from django.utils import timezone

from mailwright.delivery.heartbeats import UP_WITHIN
from mailwright.delivery.models import PENDING_STATES, Delivery, WorkerHeartbeat
from mailwright.feedback import rates
from mailwright.feedback.models import Event, InboundMessage

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
RATE_WINDOW = timedelta(hours=24)
SEND_WINDOWS = (("1m", timedelta(minutes=1)), ("5m", timedelta(minutes=5)))


@dataclass
class Family:
    """One metric: its name, type, help text and samples ({label: value}, value)."""

    name: str
    type: str  # gauge | counter
    help: str
    samples: list[tuple[dict[str, str], float]] = field(default_factory=list)

    def add(self, value: float, **labels: str) -> None:
        self.samples.append((labels, value))


def _escape_label(value: str) -> str:
    return str(value).replace("\\", r"\\").replace('"', r"\"").replace("\n", r"\n")


def _escape_help(text: str) -> str:
    return text.replace("\\", r"\\").replace("\n", r"\n")


def _number(value: float) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return repr(float(value))


def render(families: list[Family]) -> str:
    lines = []
    for family in families:
        lines.append(f"# HELP {family.name} {_escape_help(family.help)}")
        lines.append(f"# TYPE {family.name} {family.type}")
        for labels, value in family.samples:
            label_text = ",".join(f'{k}="{_escape_label(v)}"' for k, v in labels.items())
            name = f"{family.name}{{{label_text}}}" if labels else family.name
            lines.append(f"{name} {_number(value)}")
    return "\n".join(lines) + "\n"


def queue(families: list[Family]) -> None:
    depth = Family(
        "mailwright_queue_deliveries",
        "gauge",
        "Unfinished deliveries (the queue) by stream and state.",
    )
    table = connection.ops.quote_name(Delivery._meta.db_table)
    pending = ", ".join(f"'{state}'" for state in PENDING_STATES)
    with connection.cursor() as cursor:
        # The partial index delivery_pending's condition, literally, so only its rows are read.
        cursor.execute(
            f"SELECT stream, state, COUNT(*) FROM {table} "  # noqa: S608
            f"WHERE state IN ({pending}) GROUP BY stream, state"
        )
        counts = {(stream, state): n for stream, state, n in cursor.fetchall()}
    for stream in Delivery.Stream.values:
        for state in PENDING_STATES:
            depth.add(counts.get((stream, state), 0), stream=stream, state=state)
    families.append(depth)


def events(families: list[Family], now: datetime) -> None:
    since = now - RATE_WINDOW
    T = Event.Type
    counts = Event.objects.filter(created_at__gt=since, created_at__lte=now, type=T.SENT).aggregate(
        sent=Count("id"),
        **{
            f"sent_{name}": Count("id", filter=Q(created_at__gt=now - span))
            for name, span in SEND_WINDOWS
        },
    )
    sent = Family(
        "mailwright_sent_messages",
        "gauge",
        "Messages accepted by a relay in the window (1m, 5m, 24h) before the scrape.",
    )
    for name, _ in SEND_WINDOWS:
        sent.add(counts[f"sent_{name}"], window=name)
    sent.add(counts["sent"], window="24h")
    rate = Family(
        "mailwright_send_rate_per_second",
        "gauge",
        "Messages sent per second, averaged over the window (1m, 5m).",
    )
    for name, span in SEND_WINDOWS:
        rate.add(counts[f"sent_{name}"] / span.total_seconds(), window=name)
    families += [sent, rate, *reputation(since, now)]


def reputation(since: datetime, now: datetime) -> list[Family]:
    """Bounces and complaints per stream over the window, and their rates as feedback.rates
    defines them (the same numbers as the guard, the reports and the API)."""
    bounced = Family(
        "mailwright_bounced_messages", "gauge", "Hard bounces in the last 24 hours, per stream."
    )
    complained = Family(
        "mailwright_complaints", "gauge", "Messages complained about in the last 24 hours."
    )
    bounce_rate = Family(
        "mailwright_bounce_rate",
        "gauge",
        "Hard bounces / messages handed to a receiving server, last 24 hours (0 when none).",
    )
    complaint_rate = Family(
        "mailwright_complaint_rate",
        "gauge",
        "Complaints / messages handed to a receiving server, last 24 hours (0 when none).",
    )
    for stream, c in rates.stream_counts(since, now, engagement=False).items():
        bounced.add(c.bounced, stream=stream, window="24h")
        complained.add(c.complaints, stream=stream, window="24h")
        bounce_rate.add(rates.bounce_rate(c).value or 0.0, stream=stream, window="24h")
        complaint_rate.add(rates.complaint_rate(c).value or 0.0, stream=stream, window="24h")
    return [bounced, complained, bounce_rate, complaint_rate]


def workers(families: list[Family], now: datetime) -> None:
    age = Family(
        "mailwright_worker_heartbeat_age_seconds",
        "gauge",
        "Seconds since each delivery worker process last recorded its heartbeat.",
    )
    up = Family(
        "mailwright_worker_up",
        "gauge",
        f"1 if the delivery worker's heartbeat is under {UP_WITHIN:.0f} s old, else 0.",
    )
    sent = Family(
        "mailwright_worker_sent_messages_total",
        "counter",
        "Messages each delivery worker process has sent since it started.",
    )
    total = Family(
        "mailwright_workers_up", "gauge", "Delivery worker processes with a fresh heartbeat."
    )
    live = 0
    rows = WorkerHeartbeat.objects.order_by("host", "worker").values_list(
        "worker", "host", "pid", "last_seen_at", "sent"
    )
    for worker, host, pid, last_seen, count in rows:
        seconds = max(0.0, (now - last_seen).total_seconds())
        labels = {"worker": worker, "host": host, "pid": str(pid)}
        age.add(round(seconds, 3), **labels)
        up.add(int(seconds < UP_WITHIN), **labels)
        sent.add(count, **labels)
        live += seconds < UP_WITHIN
    total.add(live)
    families += [age, up, sent, total]


def inbound(families: list[Family]) -> None:
    counts = InboundMessage.objects.aggregate(
        failed=Count("id", filter=~Q(error="")),
        unprocessed=Count("id", filter=Q(error="", result={})),
    )
    backlog = Family(
        "mailwright_inbound_backlog",
        "gauge",
        "Inbound messages (bounces, complaints, replies) stored but not processed, "
        "and those whose processing failed (see Feedback → Inbound).",
    )
    backlog.add(counts["unprocessed"], status="unprocessed")
    backlog.add(counts["failed"], status="failed")
    families.append(backlog)


def collect(now: datetime | None = None) -> list[Family]:
    now = now or timezone.now()
    families: list[Family] = []
    queue(families)
    events(families, now)
    workers(families, now)
    inbound(families)
    return families


def exposition(now: datetime | None = None) -> str:
    """The whole /metrics page."""
    return render(collect(now))
