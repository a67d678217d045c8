"""The same engine in several worker processes against one database: no message is sent
twice, and a relay's daily cap holds across all of them. A relay that goes down defers
everything, loses nothing, and sending resumes when it comes back."""

from __future__ import annotations

import signal
import time

import pytest
from django.utils import timezone

from mailwright.delivery import sending
from mailwright.delivery.models import Delivery, UsageCounter
from tests.conftest import make_campaign, run_worker
from tests.delivery.test_crash_recovery import make_audience, start_worker, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("processes", [1, 2, 4])
def test_n_worker_processes_send_each_message_exactly_once(
    processes, fast_sink, newsletter, tmp_path
):
    total = 3000
    sink = fast_sink(store=False)
    make_audience(newsletter, total)
    campaign = make_campaign(newsletter)
    sending.start(campaign.id)
    worker = start_worker(tmp_path, sink, processes=processes, lease=120)
    try:
        wait_for(
            lambda: sending.delivery_counts(campaign.id)["sent"] == total, 240, "all sent", worker
        )
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.communicate(timeout=60)
    assert worker.returncode == 0
    assert len(sink.rcpt_counts) == total
    assert max(sink.rcpt_counts.values()) == 1, "a message was sent twice"
    owners = {o.split(":")[0] for o in Delivery.objects.values_list("lease_owner", flat=True) if o}
    assert not owners  # every lease was released when its batch was recorded


def test_daily_cap_holds_across_worker_processes(fast_sink, newsletter, tmp_path):
    sink = fast_sink(store=False)
    make_audience(newsletter, 1000)
    campaign = make_campaign(newsletter)
    sending.start(campaign.id)
    env_url = f"smtp://{sink.host}:{sink.port}?daily=500&name=capped"
    worker = start_worker(tmp_path, sink, processes=4, relay_url=env_url, lease=120)
    try:
        wait_for(lambda: sink.count >= 500, 120, "500 messages", worker)
        time.sleep(2)  # give the four processes every chance to overshoot
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.communicate(timeout=60)
    assert sink.count == 500
    assert UsageCounter.objects.get(scope="relay-day:capped").used == 500
    assert sending.delivery_counts(campaign.id)["queued"] == 500


def test_relay_down_then_back_loses_nothing(fast_sink, newsletter):
    sink = fast_sink()
    port = sink.port
    make_audience(newsletter, 300)
    campaign = make_campaign(newsletter)
    sending.start(campaign.id)
    sink.stop()  # the relay goes down before anything is sent
    run_worker(sink.relay, lanes=2, batch_size=50)
    counts = sending.delivery_counts(campaign.id)
    assert counts["deferred"] == 300 and counts["sent"] == 0
    assert Delivery.objects.filter(last_reply__startswith="connection failed").count() == 300

    from tests.smtp_servers import FastSink

    back = FastSink(port=port).start()  # the same relay comes back
    try:
        Delivery.objects.update(next_attempt_at=timezone.now())
        run_worker(back.relay, lanes=2, batch_size=50)
        assert sending.delivery_counts(campaign.id)["sent"] == 300
        assert sorted(set(back.recipients())) == sorted(back.recipients())
        assert len(back.recipients()) == 300
    finally:
        back.stop()


def test_relay_dies_mid_send_and_returns(fast_sink, newsletter):
    sink = fast_sink(disconnect_after=120)
    make_audience(newsletter, 400)
    campaign = make_campaign(newsletter)
    sending.start(campaign.id)
    run_worker(sink.relay, lanes=1, batch_size=50)
    sink.disconnect_after = None
    for _ in range(5):
        Delivery.objects.filter(state="deferred").update(next_attempt_at=timezone.now())
        run_worker(sink.relay, lanes=2, batch_size=50)
    assert sending.delivery_counts(campaign.id)["sent"] == 400
    assert set(sink.rcpt_counts) == {f"k{i}@example.com" for i in range(400)}
    # Only messages whose acceptance was lost with the connection can repeat.
    assert sum(n - 1 for n in sink.rcpt_counts.values()) <= 50
