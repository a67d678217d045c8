"""Service mail never waits behind marketing: it is claimed before a campaign's rows by the
next claim of any lane whose relay carries it, a long batch lets it through between its
chunks, and an idle worker is woken by the queuing itself (delivery/wake.py) instead of
sleeping out MW_WORKER_IDLE_SECONDS. Service-only relays never carry marketing.

Assertions are on order (how far the campaign got before a service message arrived at the
relay), not on wall-clock thresholds; the waits below are timeouts far under the idle time
a worker would otherwise sleep (30 s)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from django.conf import settings

from mailwright import tokens
from mailwright.contacts.models import Contact
from mailwright.delivery import sending, service, wake
from mailwright.delivery.engine import SEND_CHUNK
from mailwright.delivery.models import Delivery, Relay
from mailwright.delivery.relays import configured
from tests.conftest import make_campaign, run_worker
from tests.delivery.test_crash_recovery import database_url, make_audience
from tests.feedback import test_inbound
from tests.feedback.test_inbound import DOMAIN, arf, dsn
from tests.smtp_servers import FastSink

pytestmark = pytest.mark.django_db(transaction=True)

inbound = test_inbound.inbound  # the real inbound SMTP server, as a fixture here too
IDLE = 30.0  # the worker's idle sleep in these tests: anything slower than a nudge shows


class ArrivalSink(FastSink):
    """A FastSink that notes, for each service message (recipients svc…), how many messages
    it had received before it and when it arrived (at the end of DATA)."""

    def __init__(self, **options) -> None:
        super().__init__(**options)
        self.arrivals: dict[str, tuple[int, float]] = {}

    def _record(self, mail_from: str, rcpt: str, data: bytes, params: str) -> None:
        if rcpt.startswith("svc"):
            self.arrivals[rcpt] = (self.count, time.monotonic())
        super()._record(mail_from, rcpt, data, params)


@pytest.fixture
def sinks():
    started: list[ArrivalSink] = []

    def make(**options) -> ArrivalSink:
        sink = ArrivalSink(store=False, **options).start()
        started.append(sink)
        return sink

    yield make
    for sink in started:
        sink.stop()


@pytest.fixture
def data_dir(settings):
    """A short MW_DATA_DIR: a Unix socket path must fit in 104 bytes."""
    path = Path(tempfile.mkdtemp(prefix="mw-", dir="/tmp"))
    settings.DATA_DIR = path
    yield path
    shutil.rmtree(path, ignore_errors=True)


def service_contacts(count: int) -> list[Contact]:
    Contact.objects.bulk_create([Contact(email=f"svc{i}@example.org") for i in range(count)])
    return list(Contact.objects.filter(email__startswith="svc").order_by("id"))


def queue_service(contact: Contact) -> Delivery:
    return service.queue(
        contact,
        kind="password-reset",
        subject="Reset your password",
        html="<p>Your code: 123456</p>",
        text="Your code: 123456",
        language="en",
    )


def wait_until(predicate, timeout: float, what: str, worker=None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        if worker is not None and worker.poll() is not None:
            raise AssertionError(f"worker exited: {worker.stderr.read().decode()[-3000:]}")
        time.sleep(0.01)
    raise AssertionError(f"timed out ({timeout} s) waiting for {what}")


def start_campaign(topic, recipients: int) -> int:
    make_audience(topic, recipients)
    campaign = make_campaign(topic)
    assert sending.start(campaign.id).recipients_total == recipients
    return campaign.id


def wait_for_socket(data_dir: Path) -> None:
    wait_until(lambda: list((data_dir / "run" / "wake").glob("*.sock")), 10, "the wake socket")


# --- waking an idle worker ----------------------------------------------------------------


def test_idle_worker_is_woken_by_queued_service_mail(sinks, data_dir, background_worker):
    sink = sinks()
    first, second = service_contacts(2)
    engine = background_worker(sink.relay, lanes=2, idle_seconds=IDLE)
    wait_for_socket(data_dir)
    queue_service(first)
    wait_until(lambda: sink.count == 1, 10, "the first message")
    # Both lanes have now found nothing more and sleep for up to 30 s; the next password
    # reset wakes them.
    wait_until(lambda: engine._wakeups == 1, 10, "the first nudge to be read")
    time.sleep(0.3)
    queue_service(second)
    wait_until(lambda: sink.count == 2, 10, "the second message, long before the idle 30 s")
    assert second.email in sink.arrivals


def test_stale_wake_sockets_are_removed_and_live_ones_still_nudged(data_dir):
    assert wake.nudge() == 0  # no worker has run here: nothing to nudge, no error
    live = wake.listen("live-worker")
    assert live is not None
    # A worker killed without cleaning up leaves its socket file; a stray file may be there.
    dead = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    dead.bind(str(data_dir / "run" / "wake" / "dead-worker.sock"))
    dead.close()
    (data_dir / "run" / "wake" / "junk.sock").write_text("not a socket")
    try:
        assert wake.nudge() == 1
        assert live.drain() == 1
        left = sorted(p.name for p in (data_dir / "run" / "wake").iterdir())
        assert left == ["live-worker.sock"]
        # A nudge never blocks, even when the worker has not read its earlier ones.
        for _ in range(2000):
            assert wake.nudge() == 1
    finally:
        live.close()
    assert not (data_dir / "run" / "wake" / "live-worker.sock").exists()


def test_worker_whose_socket_cannot_be_bound_still_sends(sinks, settings, tmp_path):
    settings.DATA_DIR = tmp_path / ("x" * 120)  # too long for a socket path: polling only
    assert wake.listen("w") is None
    sink = sinks()
    (person,) = service_contacts(1)
    queue_service(person)  # its nudge finds no socket: no error
    assert run_worker(sink.relay) == 1
    assert person.email in sink.arrivals


# --- priority under load -------------------------------------------------------------------


def test_service_mail_queued_mid_campaign_goes_out_with_the_next_claim(
    sinks, data_dir, background_worker, newsletter
):
    lanes, batch, total = 2, 100, 3000
    sink = sinks(reply_delay=0.002)  # lanes stay busy with marketing batches
    start_campaign(newsletter, total)
    people = service_contacts(5)  # after the campaign's audience was frozen: not in it
    background_worker(sink.relay, lanes=lanes, batch_size=batch, idle_seconds=IDLE)
    queued_at = {}
    for contact in people:
        mark = 300 * (len(queued_at) + 1)
        wait_until(lambda m=mark: sink.count >= m, 60, "campaign progress")
        queued_at[contact.email] = sink.count
        queue_service(contact)
    wait_until(lambda: len(sink.arrivals) == len(people), 30, "every service message")
    for email, before in queued_at.items():
        arrived = sink.arrivals[email][0]
        # The lanes finish the batches they hold (at most lanes × batch), then the next
        # claim takes the service message first.
        assert arrived - before <= lanes * batch, (email, before, arrived)
    assert sink.count < total  # all of it while the campaign was still sending


def test_long_batch_lets_service_mail_through_between_its_chunks(
    sinks, data_dir, background_worker, newsletter
):
    total = 2000
    sink = sinks(reply_delay=0.02)
    start_campaign(newsletter, total)
    (person,) = service_contacts(1)
    # One lane, one batch of the whole campaign: without a look between chunks, the service
    # message would wait for all 2,000.
    background_worker(sink.relay, lanes=1, batch_size=total, idle_seconds=IDLE)
    wait_until(lambda: sink.count >= SEND_CHUNK, 60, "the first chunk")
    before = sink.count
    queue_service(person)
    wait_until(lambda: person.email in sink.arrivals, 60, "the service message")
    sink.reply_delay = 0  # the rest of the batch at full speed (the worker stops after it)
    assert sink.arrivals[person.email][0] - before <= 2 * SEND_CHUNK
    assert sink.arrivals[person.email][0] < total / 2


def test_service_relay_carries_service_only_and_is_woken_while_marketing_sends(
    sinks, data_dir, background_worker, newsletter
):
    bulk, tx = sinks(reply_delay=0.002), sinks()
    # Weighted so that a lane picking at random would almost never try tx.
    Relay.objects.create(name="bulk", url=bulk.relay_url(), stream="marketing", weight=1000)
    Relay.objects.create(name="tx", url=tx.relay_url(), stream="service")
    start_campaign(newsletter, 3000)
    first, *people = service_contacts(4)
    background_worker(None, lanes=2, batch_size=100, idle_seconds=IDLE)  # relays: the rows
    wait_until(lambda: bulk.count >= 300, 60, "marketing under way")
    queue_service(first)
    wait_until(lambda: tx.count == 1, 10, "the first service message")
    # Each lane that claimed on tx since found nothing more there and rests it for IDLE.
    mark = bulk.count + 300
    wait_until(lambda: bulk.count >= mark, 60, "more marketing")
    for contact in people:
        queue_service(contact)
        time.sleep(0.05)
    wait_until(lambda: tx.count == 4, 10, "the service messages, long before 30 s")
    assert bulk.count < 3000  # they did not wait for the campaign
    assert set(tx.rcpt_counts) == {c.email for c in [first, *people]}  # and nothing else
    assert not any(bulk.rcpt_counts.get(c.email) for c in [first, *people])  # (still sending)
    assert set(Delivery.objects.filter(stream="service").values_list("relay", flat=True)) == {"tx"}


def test_marketing_only_relay_never_carries_service_mail(sinks, data_dir, newsletter):
    bulk = sinks()
    # Weighted so that a lane picking at random would almost never try tx.
    Relay.objects.create(name="bulk", url=bulk.relay_url(), stream="marketing", weight=1000)
    start_campaign(newsletter, 50)
    (person,) = service_contacts(1)
    queue_service(person)
    run_worker(configured())
    assert bulk.count == 50
    assert Delivery.objects.get(stream="service").state == Delivery.State.QUEUED


# --- each stream's reputation, from real traffic -------------------------------------------


def test_service_bounces_and_complaints_count_for_the_service_stream_only(
    fast_sink, data_dir, newsletter, inbound, api
):
    sink = fast_sink(rcpt_replies={"svc3@example.org": "550 5.1.1 no such user"})
    start_campaign(newsletter, 6)
    people = service_contacts(4)
    for contact in people:
        queue_service(contact)
    run_worker(sink.relay)
    assert sink.count == 6 + 3
    # A later DSN for one service message and an abuse report for another.
    later, reported = (Delivery.objects.get(email=c.email) for c in people[:2])
    inbound(f"bounce+{tokens.verp_token(later.id)}@{DOMAIN}", dsn(later, "5.1.1", "550 gone"))
    inbound(f"fbl@{DOMAIN}", arf(reported))
    service_rep = api.get("/streams/service/reputation").json()
    marketing_rep = api.get("/streams/marketing/reputation").json()
    assert service_rep["counts"] == {"attempted": 4, "delivered": 2, "bounced": 2, "complaints": 1}
    assert service_rep["rates"] == {"bounce_rate": 0.5, "complaint_rate": 0.25}
    assert service_rep["status"] == "over"
    assert marketing_rep["counts"] == {
        "attempted": 6,
        "delivered": 6,
        "bounced": 0,
        "complaints": 0,
    }
    assert marketing_rep["status"] == "ok"


# --- a 50,000-recipient campaign ------------------------------------------------------------

CAMPAIGN_SIZE = int(os.environ.get("MW_TEST_SERVICE_CAMPAIGN", "50000"))
PROCESSES, LANES, BATCH = 2, 4, 100


def start_worker_processes(data_dir: Path, sink) -> subprocess.Popen:
    """`mailwright worker` as deployed: two processes, four lanes each, batches of 100, and a
    30 s idle sleep (so only the wake-up can explain a fast start)."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "MW_DATA_DIR": str(data_dir),
        "MW_SECRET_KEY": settings.SECRET_KEY,
        "MW_RELAY_URL": sink.relay_url(),
        "MW_WORKER_IDLE_SECONDS": str(IDLE),
    }
    command = [sys.executable, "-m", "mailwright", "worker", "--processes", str(PROCESSES)]
    command += ["--lanes", str(LANES), "--batch-size", str(BATCH)]
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def test_service_mail_during_a_50000_recipient_campaign_is_not_held_behind_it(
    sinks, data_dir, newsletter
):
    total = CAMPAIGN_SIZE
    sink = sinks()
    campaign_id = start_campaign(newsletter, total)
    people = service_contacts(400)
    worker = start_worker_processes(data_dir, sink)
    queued: dict[str, tuple[int, float]] = {}  # email -> (campaign messages received, time)
    try:
        wait_until(lambda: sink.count > 0, 60, "the campaign to start")
        began = time.monotonic()
        # A service message every 0.2 s while the first half of the campaign is sent.
        for contact in people:
            if sink.count >= total / 2:
                break
            queued[contact.email] = (sink.count, time.monotonic())
            queue_service(contact)
            time.sleep(0.2)
        wait_until(lambda: sink.count >= total + len(queued), 300, "everything", worker)
        duration = time.monotonic() - began
    finally:
        worker.send_signal(signal.SIGTERM)
        _, err = worker.communicate(timeout=60)
    assert worker.returncode == 0, err.decode()[-3000:]
    assert len(queued) >= 10, "the campaign went too fast to queue service mail during it"
    assert sending.delivery_counts(campaign_id)["sent"] == total
    in_flight = PROCESSES * LANES * BATCH  # what the lanes may hold when service mail comes
    behind, latencies = [], []
    for email, (before, at) in queued.items():
        arrived_count, arrived_at = sink.arrivals[email]
        behind.append(arrived_count - before)
        latencies.append(arrived_at - at)
    # Each service message reached the relay within the next ~two in-flight batches of the
    # campaign (≤ 1,600 of its messages, 3 % of 50,000), not after it.
    assert max(behind) <= 2 * in_flight, sorted(behind)[-5:]
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    print(
        f"\n{total} recipients in {duration:.1f} s; {len(queued)} service messages: "
        f"p50 {latencies[len(latencies) // 2] * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms, "
        f"max {latencies[-1] * 1000:.0f} ms; campaign messages ahead of them: "
        f"median {sorted(behind)[len(behind) // 2]}, max {max(behind)}"
    )
    assert latencies[-1] < duration / 10
