"""The tracking endpoints' event writer: requests append to a buffer; a background thread
writes the buffer every 200 ms in one transaction (one INSERT for many events), classifying
scanner clicks (too soon after delivery, or every link at once) on the way.

A scanner following every link is told by clicks on several links within BURST_SECONDS, so
the background thread holds a click until it is that old: the clicks that came just after it
are then in the buffer beside it. Clicks of the same delivery already stored (an earlier
flush, another web process) count too: they are looked up when a batch is written.

One bad event must not hold up the others: when a batch fails, its rows are written one by
one; a row that fails on its own with a data error (a constraint, a bad value) is a dead
letter at once — logged at ERROR with its data and dropped — and one that keeps failing for
another reason is retried with back-off, at most MAX_ATTEMPTS times, then dead-lettered too.
When the whole batch fails for a database-wide reason (the database is down), nothing is
dropped: the batch waits, and the writer backs off up to MAX_BACKOFF seconds.
At shutdown (`close`) the buffer is written, for a bounded time."""

from __future__ import annotations

import atexit
import json
import logging
import threading
import time
from collections import defaultdict
from datetime import timedelta

from django.db import (
    DatabaseError,
    DataError,
    IntegrityError,
    close_old_connections,
    connection,
    transaction,
)
from django.utils import timezone

from mailwright.audit.events import DomainEvent
from mailwright.delivery.models import Delivery
from mailwright.feedback import engagement, tracking
from mailwright.feedback.events import store
from mailwright.feedback.models import Event

log = logging.getLogger(__name__)
FLUSH_SECONDS = 0.2
MAX_BACKOFF = 5.0
MAX_ATTEMPTS = 8  # for a row that fails on its own with an error that may be transient
DATA_ERRORS = (IntegrityError, DataError, ValueError, TypeError, KeyError)


class EventWriter:
    def __init__(self) -> None:
        self._items: list[dict] = []
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        # Held for a whole flush: a flush() returns only when every event accepted before it
        # is written (or put back), also if the background thread's flush was under way.
        self._flushing = threading.Lock()
        self.dead_letters = 0  # rows dropped (each logged with its data)

    def add(self, item: dict) -> None:
        with self._lock:
            self._items.append(item)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="mw-tracking", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        pause = FLUSH_SECONDS
        while not self._stop.wait(pause):
            try:
                written, left = self.flush_counts(hold=True)
            except Exception:  # never let the thread die: the buffer would wait for ever
                log.exception("tracking writer: flush failed")
                written, left = 0, 1
            # Nothing got through although events wait: the database is unwell; back off.
            pause = min(MAX_BACKOFF, pause * 2) if left and not written else FLUSH_SECONDS
        self.flush()  # an add() racing close(): its event is still written

    def flush(self) -> int:
        """Write the buffer; returns the number of events written."""
        return self.flush_counts()[0]

    def flush_counts(self, hold: bool = False) -> tuple[int, int]:
        """(events written, events put back for a later try). `hold`: keep clicks younger
        than the burst window for a later flush (the background thread's way)."""
        with self._flushing:
            return self._flush_counts(hold)

    def _flush_counts(self, hold: bool = False) -> tuple[int, int]:
        held: list[dict] = []
        with self._lock:
            items, self._items = self._items, []
            if hold:
                young = timezone.now() - timedelta(seconds=tracking.BURST_SECONDS)
                held = [i for i in items if i["type"] == "clicked" and i["at"] > young]
                if held:
                    items = [i for i in items if not (i["type"] == "clicked" and i["at"] > young)]
                    self._items[:0] = held
        if not items:
            return 0, 0
        batch = items + held  # what a burst is told from
        try:
            close_old_connections()
            write(items, context=batch)
            return len(items), 0
        except Exception as exc:
            log.warning(
                "could not write %d tracking events at once (%s: %s); writing them one by one",
                len(items),
                type(exc).__name__,
                exc,
            )
        written, retry, failures = 0, [], []
        for item in items:
            try:
                write([item], context=batch)
                written += 1
            except Exception as exc:
                failures.append((item, exc))
        # Every row failed and the database does not answer: an outage, not bad rows.
        outage = not written and not _database_answers()
        for item, exc in failures:
            if outage or not self._give_up(item, exc):
                retry.append(item)
        if retry:
            with self._lock:
                self._items[:0] = retry
        return written, len(retry)

    def _give_up(self, item: dict, exc: Exception) -> bool:
        """Count a failed try of one row on its own; True if it became a dead letter."""
        item["_attempts"] = item.get("_attempts", 0) + 1
        permanent = isinstance(exc, DATA_ERRORS) or not isinstance(exc, DatabaseError)
        if not permanent and item["_attempts"] < MAX_ATTEMPTS:
            return False
        self.dead_letters += 1
        log.error(
            "tracking event dropped (dead letter) after %d attempt(s): %s: %s; event: %s",
            item["_attempts"],
            type(exc).__name__,
            str(exc)[:300],
            json.dumps({k: v for k, v in item.items() if k != "_attempts"}, default=str),
        )
        return True

    def close(self) -> None:
        """Stop the thread and write what is buffered, retrying for a bounded time if the
        database is briefly unavailable (shutdown must not drop accepted events). The
        writer can be used again afterwards (a new thread starts with the next event)."""
        self._stop.set()
        thread = self._thread
        if thread is not None and thread.is_alive():
            thread.join(timeout=60)  # let a write in progress finish: it holds a whole batch
        try:
            for attempt in range(20):
                self.flush()
                with self._lock:
                    if not self._items:
                        return
                time.sleep(min(2.0, 0.1 * 2**attempt))
            with self._lock:
                log.error(
                    "dropping %d tracking events: the database stayed unavailable; events: %s",
                    len(self._items),
                    json.dumps(self._items, default=str)[:100_000],
                )
                self._items = []
        finally:
            self._stop.clear()


def _database_answers() -> bool:
    try:
        close_old_connections()
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except Exception:  # DatabaseError, or no database access at all
        return False


def write(items: list[dict], context: list[dict] | None = None) -> None:
    """Write `items` in one transaction. `context`: the batch they came from, for telling
    scanner bursts apart when rows are retried one by one."""
    ids = {i["delivery"] for i in items}
    deliveries = {
        d["id"]: d
        for d in Delivery.objects.filter(id__in=ids).values(
            "id", "contact_id", "sent_at", "campaign_id", "email"
        )
    }
    clicks_by_delivery: dict[int, list[dict]] = defaultdict(list)
    for item in context or items:
        if item["type"] == "clicked":
            clicks_by_delivery[item["delivery"]].append(item)
    for delivery_id, click in _stored_clicks(items):
        clicks_by_delivery[delivery_id].append(click)
    events = []
    for item in items:
        d = deliveries.get(item["delivery"])
        # Service messages (no campaign) carry campaign 0 in their open token.
        if d is None or (d["campaign_id"] or 0) != item["campaign"]:
            continue  # a token for a delivery that no longer exists
        reason = item["machine"]
        if not reason and item["type"] == "clicked":
            sent_at = d["sent_at"]
            if sent_at and item["at"] - sent_at < timedelta(seconds=tracking.SCANNER_CLICK_SECONDS):
                reason = "clicked within seconds of delivery (security scanner)"
            burst = [
                c
                for c in clicks_by_delivery[item["delivery"]]
                if abs((c["at"] - item["at"]).total_seconds()) <= tracking.BURST_SECONDS
            ]
            if len({c["link"] for c in burst}) >= tracking.BURST_LINKS:
                reason = "clicked every link at once (security scanner)"
        data = {"ip": item["ip"], "user_agent": item["ua"][:300]}
        if item["type"] == "clicked":
            data["url"] = item["url"]
            data["link"] = item["link"]
        if reason:
            data["machine_reason"] = reason
        events.append(
            DomainEvent(
                item["type"],
                data,
                email=d["email"],
                contact_id=d["contact_id"],
                campaign_id=d["campaign_id"],
                delivery_id=item["delivery"],
                machine=bool(reason),
                at=item["at"],
            )
        )
    with transaction.atomic():
        store(events)  # multi-row INSERTs: the flush must not hold the GIL for long
        people = sorted({e.contact_id for e in events if e.contact_id and not e.machine})
        if people:
            # Scores are recomputed by the task worker, off the tracking path.
            transaction.on_commit(lambda: engagement.recompute_later.enqueue(people))


def _stored_clicks(items: list[dict]) -> list[tuple[int, dict]]:
    """Clicks already stored within the burst window of this batch's clicks, per delivery:
    a burst whose first clicks an earlier flush (or another process) wrote."""
    clicks = [i for i in items if i["type"] == "clicked"]
    if not clicks:
        return []
    window = timedelta(seconds=tracking.BURST_SECONDS)
    rows = Event.objects.filter(
        type=Event.Type.CLICKED,
        delivery_id__in={c["delivery"] for c in clicks},
        created_at__gte=min(c["at"] for c in clicks) - window,
        created_at__lte=max(c["at"] for c in clicks) + window,
    ).values_list("delivery_id", "created_at", "data")[:1000]
    return [(d, {"at": at, "link": (data or {}).get("link")}) for d, at, data in rows]


writer = EventWriter()
atexit.register(writer.close)
