"""Kill the delivery worker with SIGKILL mid-send, start it again: every message is delivered,
none is lost, and the only duplicates are messages of the batches that were in flight."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from mailwright.contacts.models import Contact, Subscription
from mailwright.delivery import sending
from mailwright.delivery.models import Delivery
from tests.conftest import make_campaign

pytestmark = pytest.mark.django_db(transaction=True)

RECIPIENTS = 2000
LANES = 2
BATCH = 25


def database_url() -> str:
    sd = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{sd['NAME']}"
    user = quote(sd.get("USER") or "")
    password = f":{quote(sd['PASSWORD'])}" if sd.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{sd['HOST']}:{sd['PORT']}/{sd['NAME']}"


def start_worker(
    tmp_path, sink, processes: int = 1, relay_url: str = "", lease: int = 5
) -> subprocess.Popen:
    """A worker subprocess on the test database. The short default lease makes killed
    workers' batches come back quickly; a lease shorter than a batch takes would let another
    worker send it again, so tests about exactly-once sending use a normal lease."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "MW_DATA_DIR": str(tmp_path),
        "MW_SECRET_KEY": settings.SECRET_KEY,
        "MW_RELAY_URL": relay_url or f"smtp://{sink.host}:{sink.port}",
        "MW_LEASE_SECONDS": str(lease),
        "MW_WORKER_IDLE_SECONDS": "0.2",
    }
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mailwright",
            "worker",
            "--processes",
            str(processes),
            "--lanes",
            str(LANES),
            "--batch-size",
            str(BATCH),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def wait_for(predicate, timeout: float, what: str, worker: subprocess.Popen) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        if worker.poll() is not None:
            raise AssertionError(f"worker exited early: {worker.stderr.read().decode()[-3000:]}")
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def test_sigkill_mid_send_loses_nothing(smtp_sink, newsletter, tmp_path):
    now = timezone.now()
    Contact.objects.bulk_create(
        [Contact(email=f"k{i}@example.com", name=f"K {i}") for i in range(RECIPIENTS)]
    )
    Subscription.objects.bulk_create(
        [
            Subscription(contact=c, topic=newsletter, state="confirmed", basis="test")
            for c in Contact.objects.all()
        ]
    )
    campaign = make_campaign(newsletter)
    assert sending.start(campaign.id).recipients_total == RECIPIENTS
    assert now  # start time for the record

    kills = 0
    for threshold in (300, 1100):
        worker = start_worker(tmp_path, smtp_sink)
        wait_for(
            lambda t=threshold: len(smtp_sink.messages) >= t, 120, f"{threshold} messages", worker
        )
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
        kills += 1
        in_flight = Delivery.objects.filter(state=Delivery.State.SENDING).count()
        # Only claimed batches were interrupted (earlier kills' leases may not have expired).
        assert in_flight <= kills * LANES * BATCH

    worker = start_worker(tmp_path, smtp_sink)
    try:
        wait_for(
            lambda: sending.delivery_counts(campaign.id)["sent"] == RECIPIENTS,
            180,
            "every delivery to be recorded as sent",
            worker,
        )
    finally:
        worker.send_signal(signal.SIGTERM)
        _, err = worker.communicate(timeout=30)
    assert worker.returncode == 0, err.decode()[-2000:]

    received = Counter(smtp_sink.handler.recipients())
    expected = {f"k{i}@example.com" for i in range(RECIPIENTS)}
    assert set(received) == expected, "every recipient received the message"
    duplicates = sum(n - 1 for n in received.values())
    assert duplicates <= kills * LANES * BATCH, (
        f"{duplicates} duplicates beyond the batches in flight"
    )
    counts = sending.delivery_counts(campaign.id)
    assert counts == {**counts, "sent": RECIPIENTS, "queued": 0, "sending": 0, "deferred": 0}
    assert len(received) == counts["sent"]


def make_audience(topic, count: int) -> None:
    Contact.objects.bulk_create(
        [Contact(email=f"k{i}@example.com", name=f"K {i}") for i in range(count)], batch_size=2000
    )
    Subscription.objects.bulk_create(
        [
            Subscription(contact_id=cid, topic=topic, state="confirmed", basis="test")
            for cid in Contact.objects.values_list("id", flat=True)
        ],
        batch_size=2000,
    )


def test_random_sigkills_during_a_20000_recipient_send(fast_sink, newsletter, tmp_path):
    """Two worker processes (the whole process tree is killed each time) against a fast
    sink; SIGKILL at random points, several times."""
    import random

    total, processes = 20_000, 2
    sink = fast_sink(store=False)
    received = sink.rcpt_counts
    make_audience(newsletter, total)
    campaign = make_campaign(newsletter)
    assert sending.start(campaign.id).recipients_total == total
    rng = random.Random(20_000)
    points = sorted(rng.sample(range(1_000, 16_000), 4))
    # A lease long enough that a loaded machine (two workers, the sink and the test on two
    # cores) finishes a batch inside it; shorter leases make killed batches return sooner.
    lease = 10
    for point in points:
        worker = start_worker(tmp_path, sink, processes=processes, lease=lease)
        wait_for(lambda p=point: sink.count >= p, 180, f"{point} messages", worker)
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
        time.sleep(0.3)  # the children die with their parent (PR_SET_PDEATHSIG)
    worker = start_worker(tmp_path, sink, processes=processes, lease=lease)
    try:
        wait_for(
            lambda: sending.delivery_counts(campaign.id)["sent"] == total,
            300,
            "every delivery to be recorded as sent",
            worker,
        )
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.communicate(timeout=60)
    assert set(received) == {f"k{i}@example.com" for i in range(total)}
    duplicates = sum(n - 1 for n in received.values())
    in_flight_bound = len(points) * processes * LANES * BATCH
    assert duplicates <= in_flight_bound, f"{duplicates} duplicates > {in_flight_bound}"
    counts = sending.delivery_counts(campaign.id)
    assert counts["sent"] == len(received) == total


def test_a_restarted_worker_takes_back_a_killed_workers_leases_at_once(
    fast_sink, newsletter, tmp_path
):
    """With a 10-minute lease, a worker killed mid-campaign leaves batches leased for 10
    minutes; the worker started after it hands them back at once (the dead process is
    checked in /proc), so the campaign finishes long before those leases would expire."""
    total, lease = 1000, 600
    sink = fast_sink(store=False, reply_delay=0.005)
    make_audience(newsletter, total)
    campaign = make_campaign(newsletter)
    assert sending.start(campaign.id).recipients_total == total

    worker = start_worker(tmp_path, sink, lease=lease)
    wait_for(lambda: sink.count >= 200, 120, "200 messages", worker)
    worker.send_signal(signal.SIGKILL)
    worker.wait(timeout=10)
    stranded = Delivery.objects.filter(state=Delivery.State.SENDING)
    assert stranded.exists(), "the killed worker held claimed batches"
    expires = min(stranded.values_list("lease_expires_at", flat=True))
    assert (expires - timezone.now()).total_seconds() > lease - 60

    worker = start_worker(tmp_path, sink, lease=lease)
    try:
        wait_for(
            lambda: sending.delivery_counts(campaign.id)["sent"] == total,
            (expires - timezone.now()).total_seconds(),
            "every delivery to be sent before the killed worker's leases expire",
            worker,
        )
        assert timezone.now() < expires
    finally:
        worker.send_signal(signal.SIGTERM)
        _, err = worker.communicate(timeout=60)
    assert worker.returncode == 0, err.decode()[-2000:]
    assert "is gone; its leases are handed back" in err.decode()
    assert set(sink.rcpt_counts) == {f"k{i}@example.com" for i in range(total)}
    duplicates = sum(n - 1 for n in sink.rcpt_counts.values())
    assert duplicates <= LANES * BATCH, f"{duplicates} duplicates beyond the batches in flight"
    assert sending.delivery_counts(campaign.id)["sending"] == 0
