"""The dashboard's service tile: how many service messages went out (today, 7 days, by
state) and how fast (p50/p95 of sent_at − created_at of service deliveries sent in the last
24 hours). Percentiles are taken in the database (ORDER BY the latency, OFFSET k): two
queries, whatever the volume."""

from __future__ import annotations

import math
from datetime import timedelta

from django.db.models import Count, DurationField, ExpressionWrapper, F

from mailwright.delivery.models import Delivery
from mailwright.transactional.models import Message

PERCENTILES = (50, 95)


def _by_state(messages) -> list[tuple[str, int]]:
    found = dict(
        messages.filter(delivery__isnull=False)
        .values_list("delivery__state")
        .annotate(n=Count("id"))
        .order_by()
    )
    refused = messages.filter(delivery__isnull=True).count()
    rows = [(state, found.get(state, 0)) for state in Delivery.State.values]
    return [*rows, ("refused", refused)]


def latency(now, window: timedelta = timedelta(hours=24)) -> dict:
    sent = Delivery.objects.filter(
        stream=Delivery.Stream.SERVICE, sent_at__gte=now - window, sent_at__isnull=False
    ).annotate(
        latency=ExpressionWrapper(F("sent_at") - F("created_at"), output_field=DurationField())
    )
    n = sent.count()
    out = {"count": n}
    for p in PERCENTILES:
        if n:
            rank = max(math.ceil(p / 100 * n) - 1, 0)  # nearest rank
            value = sent.order_by("latency").values_list("latency", flat=True)[rank]
            out[f"p{p}"] = value.total_seconds()
        else:
            out[f"p{p}"] = None
    return out


def service_volume(now, today_start) -> dict:
    week = Message.objects.filter(created_at__gte=now - timedelta(days=7))
    return {
        "today": Message.objects.filter(created_at__gte=today_start).count(),
        "week": week.count(),
        "by_state": _by_state(week),
        "latency": latency(now),
    }
