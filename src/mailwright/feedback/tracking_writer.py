"""The tracking endpoints' event writer: requests append to a buffer; a background thread
writes the buffer every 200 ms in one transaction (one INSERT for many events), classifying
scanner clicks (too soon after delivery, or every link at once) on the way."""

from __future__ import annotations

import atexit
import logging
import threading
import time
from collections import defaultdict
from datetime import timedelta

from django.db import close_old_connections, transaction

log = logging.getLogger(__name__)
FLUSH_SECONDS = 0.2


class EventWriter:
    def __init__(self) -> None:
        self._items: list[dict] = []
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    def add(self, item: dict) -> None:
        with self._lock:
            self._items.append(item)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="mw-tracking", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(FLUSH_SECONDS):
            self.flush()

    def flush(self) -> int:
        with self._lock:
            items, self._items = self._items, []
        if not items:
            return 0
        close_old_connections()
        try:
            write(items)
        except Exception:
            log.exception(
                "could not write %d tracking events; keeping them for the next try", len(items)
            )
            with self._lock:
                self._items[:0] = items
            return 0
        return len(items)

    def close(self) -> None:
        """Stop the thread and write what is buffered, retrying for a while if the
        database is briefly unavailable (shutdown must not drop accepted events)."""
        self._stop.set()
        thread = self._thread
        if thread is not None and thread.is_alive():
            thread.join(timeout=60)  # let a write in progress finish: it holds a whole batch
        for attempt in range(20):
            self.flush()
            with self._lock:
                if not self._items:
                    return
            time.sleep(min(2.0, 0.1 * 2**attempt))
        with self._lock:
            log.error(
                "dropping %d tracking events: the database stayed unavailable", len(self._items)
            )


def write(items: list[dict]) -> None:
    from mailwright.audit.events import DomainEvent
    from mailwright.delivery.models import Delivery
    from mailwright.feedback import engagement, tracking
    from mailwright.feedback.events import store

    ids = {i["delivery"] for i in items}
    deliveries = {
        d["id"]: d
        for d in Delivery.objects.filter(id__in=ids).values(
            "id", "contact_id", "sent_at", "campaign_id", "email"
        )
    }
    clicks_by_delivery: dict[int, list[dict]] = defaultdict(list)
    for item in items:
        if item["type"] == "clicked":
            clicks_by_delivery[item["delivery"]].append(item)
    events = []
    for item in items:
        d = deliveries.get(item["delivery"])
        if d is None or d["campaign_id"] != item["campaign"]:
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


writer = EventWriter()
atexit.register(writer.close)
