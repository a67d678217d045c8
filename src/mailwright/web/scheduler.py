"""The scheduler: starts due scheduled campaigns (delivery.schedule) and decides A/B tests
whose wait is over (feedback.ab_winner). `mailwright scheduler` runs it in a loop (started by
`mailwright up`); `mailwright campaigns tick` runs it once (tests, cron). Several may run at
once: each campaign is started, and each test decided, once."""

from __future__ import annotations

import logging
import threading
from datetime import datetime

from django.db import close_old_connections
from django.utils import timezone

from mailwright.delivery import schedule
from mailwright.feedback import ab_winner

log = logging.getLogger(__name__)
DEFAULT_INTERVAL = 15.0


def tick(now: datetime | None = None) -> dict[str, list[int]]:
    """One pass; returns {"started": [ids], "decided": [ids]}."""
    now = now or timezone.now()
    done: dict[str, list[int]] = {"started": [], "decided": []}
    # Each half on its own: a failure starting campaigns must not hold back A/B decisions.
    for name, step in (("started", schedule.start_due), ("decided", ab_winner.decide_due)):
        try:
            done[name] = step(now)
        except Exception:  # logged; the next pass retries
            log.exception("scheduler: %s failed", name)
    return done


def run(interval: float = DEFAULT_INTERVAL, stop: threading.Event | None = None) -> None:
    stop = stop or threading.Event()
    while not stop.is_set():
        close_old_connections()
        try:
            done = tick()
        except Exception:  # the loop must outlive one bad pass; the next one retries
            log.exception("scheduler pass failed")
        else:
            if done["started"] or done["decided"]:
                log.info("scheduler: started %s, A/B decided %s", done["started"], done["decided"])
        stop.wait(interval)
