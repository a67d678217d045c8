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

from mailwright.campaigns import sending
from mailwright.contacts.models import Contact, Subscription
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


def start_worker(tmp_path, sink) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "MW_DATA_DIR": str(tmp_path),
        "MW_SECRET_KEY": settings.SECRET_KEY,
        "MW_RELAY_URL": f"smtp://{sink.host}:{sink.port}",
        "MW_LEASE_SECONDS": "2",
        "MW_WORKER_IDLE_SECONDS": "0.2",
    }
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mailwright",
            "worker",
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
        assert in_flight <= LANES * BATCH  # only claimed batches were interrupted

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
