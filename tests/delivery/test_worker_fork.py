"""Forked worker processes and the batch paths they run.

ForkedProcess and the Supervisor with forked children; `worker --processes N` end to end
(children forked from the launcher, each message sent once, SIGTERM stops the whole tree);
the claim walking the partial index of pending rows; record_batch skipping rows another
worker took over and writing more than one chunk; a batch sent in several SEND_CHUNKs."""

from __future__ import annotations

import asyncio
import os
import re
import select
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from email import message_from_bytes
from email import policy as email_policy

import psutil
import pytest
from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from mailwright.campaigns.models import Campaign
from mailwright.consent.models import Suppression
from mailwright.contacts.models import Contact, Subscription, Topic
from mailwright.delivery import ledger, sending, service
from mailwright.delivery.engine import SEND_CHUNK, Engine, default_transport
from mailwright.delivery.models import Delivery
from mailwright.feedback.models import Event
from mailwright.supervisor import ForkedChild, ForkedProcess, Supervisor
from tests.conftest import make_campaign, run_worker
from tests.delivery.test_crash_recovery import database_url, make_audience

S = Delivery.State
db = pytest.mark.django_db(transaction=True)


# --- helpers ---------------------------------------------------------------------------------


def read_ready(fd: int, timeout: float = 10) -> bytes:
    """What a forked child wrote to a pipe once it was running its target."""
    ready, _, _ = select.select([fd], [], [], timeout)
    assert ready, "the forked child did not start its target in time"
    return os.read(fd, 256)


def gone(pid: int) -> bool:
    """The process has exited (a zombie has exited too: only its parent has not reaped it)."""
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def wait_until(predicate, timeout: float, what: str, detail=None) -> None:
    """Wait for predicate(); on a timeout, `detail()` says what the test saw (the worker's log,
    the counts), so a failure in CI can be read without rerunning it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}" + (f"\n{detail()}" if detail else ""))


def sleep_forever() -> None:
    time.sleep(600)


# --- ForkedProcess -----------------------------------------------------------------------------


def _return() -> None:
    return None


def _exit_3() -> None:
    raise SystemExit(3)


def _raise() -> None:
    raise ValueError("boom in the forked child")


@pytest.mark.parametrize(("target", "code"), [(_return, 0), (_exit_3, 3), (_raise, 1)])
def test_forked_process_exit_codes(target, code, capfd):
    proc = ForkedProcess(target)
    assert proc.pid != os.getpid()
    assert proc.wait(timeout=20) == code
    assert proc.returncode == code and proc.poll() == code
    if code == 1:
        assert "ValueError: boom in the forked child" in capfd.readouterr().err


def test_forked_child_runs_the_target_in_a_child_of_this_process():
    r, w = os.pipe()

    def target():
        os.write(w, f"{os.getpid()} {os.getppid()}".encode())

    try:
        proc = ForkedProcess(target)
        pid, ppid = map(int, read_ready(r).split())
        assert proc.wait(timeout=20) == 0
    finally:
        os.close(r)
        os.close(w)
    assert pid == proc.pid != os.getpid()
    assert ppid == os.getpid()


def test_sys_exit_without_a_code_is_success():
    assert ForkedProcess(sys.exit).wait(timeout=20) == 0


def _start_ready_sleeper() -> tuple[ForkedProcess, int]:
    """A child that says when its target runs, then sleeps. Forked while this process
    ignores SIGTERM, so only the child's reset to the default action lets SIGTERM end it."""
    r, w = os.pipe()

    def target():
        os.write(w, b"ready")
        time.sleep(600)

    previous = signal.signal(signal.SIGTERM, signal.SIG_IGN)
    try:
        proc = ForkedProcess(target)
    finally:
        signal.signal(signal.SIGTERM, previous)
        os.close(w)
    try:
        assert read_ready(r) == b"ready"
    except BaseException:
        proc.kill()
        proc.wait(timeout=10)
        raise
    finally:
        os.close(r)
    return proc, proc.pid


def test_wait_with_a_timeout_raises_then_sigterm_ends_the_child():
    proc, pid = _start_ready_sleeper()
    try:
        started = time.monotonic()
        with pytest.raises(subprocess.TimeoutExpired):
            proc.wait(timeout=0.3)
        assert 0.25 <= time.monotonic() - started < 10
        assert proc.poll() is None and proc.returncode is None
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == -signal.SIGTERM
    finally:
        if proc.returncode is None:
            proc.kill()
            proc.wait(timeout=10)
    assert gone(pid)
    proc.send_signal(signal.SIGTERM)  # like Popen: signalling an ended child does nothing
    proc.kill()


def test_sigint_gets_its_default_action_in_the_child():
    """Not Python's KeyboardInterrupt (which would end the child with code 1)."""
    proc, _ = _start_ready_sleeper()
    try:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == -signal.SIGINT
    finally:
        if proc.returncode is None:
            proc.kill()
            proc.wait(timeout=10)


def test_kill_ends_the_child():
    proc, pid = _start_ready_sleeper()
    proc.kill()
    assert proc.wait(timeout=10) == -signal.SIGKILL
    assert gone(pid)


PARENT_SCRIPT = """
import os, sys, time
from mailwright.supervisor import ForkedProcess

def target():
    print("child", os.getpid(), flush=True)
    time.sleep(600)

ForkedProcess(target)
print("parent", os.getpid(), flush=True)
time.sleep(600)
"""


def test_a_forked_child_dies_with_its_parent():
    """PR_SET_PDEATHSIG: a SIGKILLed launcher leaves no worker behind."""
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT_SCRIPT], stdout=subprocess.PIPE, text=True
    )
    child_pid = None
    try:
        lines = {}
        while len(lines) < 2:
            line = parent.stdout.readline()
            assert line, f"the script ended early (exit {parent.wait(timeout=10)})"
            parts = line.split()
            if len(parts) != 2 or parts[0] not in ("child", "parent"):
                continue  # anything else the interpreter printed (a warning under load)
            lines[parts[0]] = int(parts[1])
        child_pid = lines["child"]
        assert lines["parent"] == parent.pid
        grandchild = psutil.Process(child_pid)
        assert grandchild.ppid() == parent.pid and not gone(child_pid)
        parent.send_signal(signal.SIGKILL)
        parent.wait(timeout=10)
        wait_until(lambda: gone(child_pid), 5, "the orphaned child to be killed")
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait(timeout=10)
        if child_pid is not None and not gone(child_pid):
            os.kill(child_pid, signal.SIGKILL)
        parent.stdout.close()


# --- Supervisor with forked children -----------------------------------------------------------


@pytest.fixture
def keep_signal_handlers():
    """Supervisor.run() installs SIGINT/SIGTERM handlers in this process: put them back."""
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    yield
    for sig, handler in saved.items():
        signal.signal(sig, handler)


def test_supervisor_restarts_a_crashing_forked_child_and_stops_on_sigterm(
    tmp_path, keep_signal_handlers, caplog
):
    starts = tmp_path / "starts"

    def crash_twice():
        with open(starts, "a") as f:
            f.write(f"{os.getpid()}\n")
        if len(starts.read_text().split()) < 3:
            raise RuntimeError("crashed")
        os.kill(os.getppid(), signal.SIGTERM)  # the third start stops the supervisor
        time.sleep(600)

    child = ForkedChild(name="crasher", argv=[], target=crash_twice, backoff=0.05)
    supervisor = Supervisor([child], poll=0.02)
    watchdog = threading.Timer(60, lambda: setattr(supervisor, "stopping", True))
    watchdog.start()
    caplog.set_level("INFO", logger="mailwright.supervisor")
    try:
        assert supervisor.run() == 0
    finally:
        watchdog.cancel()
    pids = [int(p) for p in starts.read_text().split()]
    assert len(pids) == 3 and len(set(pids)) == 3, pids
    assert child.restarts == 2
    assert child.process.pid == pids[-1]
    # The running third start was stopped by shutdown(), not left behind.
    assert child.process.returncode == -signal.SIGTERM
    assert all(gone(pid) for pid in pids)
    crashes = [r.getMessage() for r in caplog.records if "exited with code 1" in r.getMessage()]
    assert len(crashes) == 2, crashes


def test_supervisor_shutdown_stops_forked_children_and_kills_stubborn_ones(tmp_path):
    ready = tmp_path / "ready"

    def polite():
        with open(ready, "a") as f:
            f.write("polite\n")
        time.sleep(600)

    def stubborn():
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        with open(ready, "a") as f:
            f.write("stubborn\n")
        time.sleep(600)

    children = [
        ForkedChild(name="polite", argv=[], target=polite),
        ForkedChild(name="stubborn", argv=[], target=stubborn),
    ]
    supervisor = Supervisor(children)
    try:
        for child in children:
            child.start()
        wait_until(
            lambda: ready.exists() and len(ready.read_text().split()) == 2, 20, "both children"
        )
        assert all(c.process.poll() is None for c in children)
        started = time.monotonic()
        supervisor.shutdown(grace=1.0)
        assert time.monotonic() - started < 10
    finally:
        for child in children:
            if child.process.poll() is None:
                child.process.kill()
                child.process.wait(timeout=10)
    assert children[0].process.returncode == -signal.SIGTERM
    assert children[1].process.returncode == -signal.SIGKILL
    assert all(gone(c.process.pid) for c in children)


# --- the worker command with --processes 2 -------------------------------------------------------

STOPPED = re.compile(r"delivery worker \S+-(\d+) stopped; (\d+) messages sent")


def launch_worker(tmp_path, sink, *extra: str, lease: int = 120):
    """`mailwright worker --processes 2` on the test database; stderr goes to a file."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "MW_DATA_DIR": str(tmp_path),
        "MW_SECRET_KEY": settings.SECRET_KEY,
        "MW_RELAY_URL": f"smtp://{sink.host}:{sink.port}",
        "MW_LEASE_SECONDS": str(lease),
        "MW_WORKER_IDLE_SECONDS": "0.2",
    }
    log_path = tmp_path / "worker.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "mailwright",
                "worker",
                "--processes",
                "2",
                "--lanes",
                "2",
                "--batch-size",
                "25",
                *extra,
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
    return proc, log_path


class TreeWatcher:
    """Polls the launcher's children with psutil: (pid, ppid, cmdline) of each one seen."""

    def __init__(self, launcher_pid: int) -> None:
        self.launcher = psutil.Process(launcher_pid)
        self.cmdline = self.launcher.cmdline()
        self.seen: dict[int, tuple[int, list[str]]] = {}

    def poll(self) -> None:
        if "mailwright" not in self.cmdline:
            # Read right after Popen, /proc/PID/cmdline can still be empty (the exec is not
            # complete): every fork then looked unlike its launcher, and the wait for "two
            # forked workers" ran out although all 3,000 messages had gone (CI, twice).
            try:
                self.cmdline = self.launcher.cmdline()
            except (psutil.NoSuchProcess, psutil.ZombieProcess):
                return
        try:
            children = self.launcher.children()
        except psutil.NoSuchProcess:
            return
        for child in children:
            if child.pid in self.seen:
                continue
            try:
                self.seen[child.pid] = (child.ppid(), child.cmdline())
            except (psutil.NoSuchProcess, psutil.ZombieProcess):
                continue

    def forked(self) -> set[int]:
        """Children that are forks of the launcher: its own command line, it as their parent."""
        return {
            pid
            for pid, (ppid, cmdline) in self.seen.items()
            if ppid == self.launcher.pid and cmdline == self.cmdline
        }


def stuck_report(sink, watcher, campaign_id: int, log_path) -> str:
    """What a send that did not get going looked like: the sink, the process tree, the
    deliveries by state, the other database sessions and the end of the worker's log."""
    lines = [
        f"sink received {sink.count}; launcher {watcher.launcher.pid} {watcher.cmdline}",
        f"children seen {watcher.seen}; forked {sorted(watcher.forked())}",
        f"deliveries {sending.delivery_counts(campaign_id)}",
        f"campaign state {Campaign.objects.get(pk=campaign_id).state}",
    ]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pid, state, wait_event_type, wait_event, left(query, 200)"
                " FROM pg_stat_activity WHERE datname = current_database()"
                " AND pid <> pg_backend_pid()"
            )
            lines += [f"session {row}" for row in cursor.fetchall()]
    lines.append(log_path.read_text(errors="replace")[-4000:])
    return "\n".join(lines)


def stopped_lines(log_path) -> dict[int, int]:
    text = log_path.read_text(errors="replace")
    return {int(pid): int(n) for pid, n in STOPPED.findall(text)}


@db
def test_worker_processes_2_until_idle_forks_two_senders_each_message_once(
    fast_sink, newsletter, tmp_path
):
    total = 2000
    sink = fast_sink(store=False)
    make_audience(newsletter, total)
    campaign = make_campaign(newsletter)
    sending.start(campaign.id)
    proc, log_path = launch_worker(tmp_path, sink, "--until-idle")
    try:
        watcher = TreeWatcher(proc.pid)
        deadline = time.monotonic() + 300
        while proc.poll() is None and time.monotonic() < deadline:
            watcher.poll()
            time.sleep(0.02)
        code = proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
    log = log_path.read_text(errors="replace")[-3000:]
    assert code == 0, log
    assert watcher.cmdline[-1] == "--until-idle"
    # Two children, both forks of the launcher (its command line, not `python -m …` again).
    assert len(watcher.seen) == 2, (watcher.seen, watcher.cmdline)
    assert watcher.forked() == set(watcher.seen), (watcher.seen, watcher.cmdline)
    # The two forked children are the processes that sent, between them, every message.
    stopped = stopped_lines(log_path)
    assert set(stopped) == watcher.forked(), log
    assert sum(stopped.values()) == total
    assert len(sink.rcpt_counts) == total
    assert max(sink.rcpt_counts.values()) == 1, "a message was sent twice"
    counts = sending.delivery_counts(campaign.id)
    assert counts["sent"] == total and counts["sending"] == 0
    assert Campaign.objects.get(pk=campaign.id).state == Campaign.State.SENT
    assert all(gone(pid) for pid in watcher.seen)


@db
def test_sigterm_stops_the_worker_tree_cleanly_and_loses_nothing(fast_sink, newsletter, tmp_path):
    total = 3000
    sink = fast_sink(store=False, reply_delay=0.02)  # slow enough to stop it mid-send
    make_audience(newsletter, total)
    campaign = make_campaign(newsletter)
    sending.start(campaign.id)
    proc, log_path = launch_worker(tmp_path, sink)
    try:
        watcher = TreeWatcher(proc.pid)

        def sending_started():
            watcher.poll()
            assert proc.poll() is None, log_path.read_text(errors="replace")[-3000:]
            return sink.count >= 200 and len(watcher.forked()) == 2

        wait_until(
            sending_started,
            240,
            "200 messages from two forked workers",
            lambda: stuck_report(sink, watcher, campaign.id, log_path),
        )
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
    log = log_path.read_text(errors="replace")[-3000:]
    assert code == 0, log
    children = watcher.forked()
    assert len(children) == 2 and set(watcher.seen) == children
    assert all(gone(pid) for pid in children), "a worker outlived the launcher"
    # Each child stopped by finishing its batches (not killed), and said what it sent.
    stopped = stopped_lines(log_path)
    assert set(stopped) == children, log
    counts = sending.delivery_counts(campaign.id)
    assert counts["sending"] == 0, "a claimed batch was left unrecorded"
    assert sum(stopped.values()) == counts["sent"] == sink.count == len(sink.rcpt_counts)
    assert 0 < counts["sent"] < total
    assert counts["queued"] + counts["deferred"] == total - counts["sent"]
    assert not Delivery.objects.exclude(lease_owner="").exists()

    # A later run sends the rest: every message exactly once.
    sink.reply_delay = 0
    Delivery.objects.filter(state=S.DEFERRED).update(next_attempt_at=timezone.now())
    run_worker(sink.relay, lanes=2, batch_size=100)
    assert sending.delivery_counts(campaign.id)["sent"] == total
    assert len(sink.rcpt_counts) == total
    assert max(sink.rcpt_counts.values()) == 1, "a message was sent twice"


@db
def test_sigterm_stops_an_until_idle_fan_out_cleanly(fast_sink, newsletter, tmp_path):
    total = 3000
    sink = fast_sink(store=False, reply_delay=0.02)
    make_audience(newsletter, total)
    campaign = make_campaign(newsletter)
    sending.start(campaign.id)
    proc, log_path = launch_worker(tmp_path, sink, "--until-idle")
    try:
        watcher = TreeWatcher(proc.pid)

        def sending_started():
            watcher.poll()
            assert proc.poll() is None, log_path.read_text(errors="replace")[-3000:]
            return sink.count >= 200 and len(watcher.forked()) == 2

        wait_until(
            sending_started,
            240,
            "200 messages from two forked workers",
            lambda: stuck_report(sink, watcher, campaign.id, log_path),
        )
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
    wait_until(lambda: all(gone(pid) for pid in watcher.seen), 10, "the children to end")
    counts = sending.delivery_counts(campaign.id)
    assert counts["sending"] == 0, f"claimed batches left unrecorded: {counts}"
    assert counts["sent"] == sink.count
    assert set(stopped_lines(log_path)) == watcher.forked()
    assert code == 0


# --- the claim -----------------------------------------------------------------------------------


def claim_params(now, streams=(), blocked=()):
    at = connection.ops.adapt_datetimefield_value(now)
    return [at, S.QUEUED, S.DEFERRED, at, S.SENDING, Campaign.State.SENDING, *streams, *blocked]


def explain(sql: str, params: list) -> str:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
            return "\n".join(str(row[-1]) for row in cursor.fetchall())
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


@db
@pytest.mark.parametrize(
    ("streams", "blocked"), [((), ()), (("marketing",), ("gmail.com", "yahoo.com"))]
)
def test_the_claim_walks_the_partial_index_of_pending_rows(newsletter, streams, blocked):
    make_audience(newsletter, 300)
    campaign = make_campaign(newsletter)
    sending.start(campaign.id)
    # Some rows are already sent, as in a running campaign.
    first = Delivery.objects.filter(campaign=campaign).order_by("id")[:100]
    Delivery.objects.filter(id__in=list(first.values_list("id", flat=True))).update(state=S.SENT)
    sql = ledger._candidates_sql(
        len(streams), len(blocked), 100, connection.features.has_select_for_update_skip_locked
    )
    params = claim_params(timezone.now(), streams, blocked)
    if connection.vendor == "sqlite":
        plan = explain(sql, params)
        assert "delivery_pending" in plan, plan
        assert "TEMP B-TREE" not in plan, f"the claim sorts instead of walking the index:\n{plan}"
    else:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(f"ANALYZE {Delivery._meta.db_table}")
                plan = explain(sql, params)
                # On a few hundred rows, scanning the table (or another index) and sorting
                # is cheaper; without those, the planner must walk the partial index in its
                # order, which it can only do if the claim's WHERE implies its condition.
                # (At tens of thousands of rows it picks the index by itself.)
                settings_off = (
                    "enable_seqscan",
                    "enable_bitmapscan",
                    "enable_sort",
                    "enable_incremental_sort",
                )
                for setting in settings_off:
                    if "Index Scan using delivery_pending" in plan:
                        break
                    cursor.execute(f"SET LOCAL {setting} = off")
                    plan = explain(sql, params)
        assert "Index Scan using delivery_pending" in plan, plan
        assert "Sort" not in plan, f"the claim sorts instead of walking the index:\n{plan}"
    # And the statement runs with these parameters.
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        assert len(cursor.fetchall()) == 100


@db
def test_the_claim_takes_due_rows_in_stream_then_id_order_past_thousands_of_sent_rows(
    newsletter,
):
    total = 3000
    make_audience(newsletter, total)
    campaign = make_campaign(newsletter)
    sending.start(campaign.id)
    now = timezone.now()
    ids = list(
        Delivery.objects.filter(campaign=campaign).order_by("id").values_list("id", flat=True)
    )
    queued_tail = ids[-80:]
    Delivery.objects.filter(id__in=ids[:-80]).update(state=S.SENT, sent_at=now)
    # Among the sent rows: some due again, some not yet.
    due_deferred = ids[100:1100:200]  # 5 rows
    Delivery.objects.filter(id__in=due_deferred).update(
        state=S.DEFERRED, next_attempt_at=now - timedelta(minutes=1)
    )
    later = ids[1200:1205]
    Delivery.objects.filter(id__in=later).update(
        state=S.DEFERRED, next_attempt_at=now + timedelta(hours=1)
    )
    expired = ids[1500:1502]
    Delivery.objects.filter(id__in=expired).update(
        state=S.SENDING, lease_owner="dead:1", lease_expires_at=now - timedelta(seconds=5)
    )
    leased = ids[1600:1602]
    Delivery.objects.filter(id__in=leased).update(
        state=S.SENDING, lease_owner="alive:1", lease_expires_at=now + timedelta(minutes=5)
    )
    # A paused campaign's queued rows wait.
    other = Topic.objects.create(key="updates", name="Updates", consent_text="Updates")
    Subscription.objects.bulk_create(
        [
            Subscription(contact=c, topic=other, state="confirmed", basis="test")
            for c in Contact.objects.order_by("id")[:5]
        ]
    )
    paused = make_campaign(other)
    sending.start(paused.id)
    sending.pause(paused.id)
    # Service mail, queued last (highest ids), goes first.
    service_ids = [
        service.queue(
            c, kind="confirm", subject="Confirm", html="<p>x</p>", text="x", language="en"
        ).id
        for c in Contact.objects.order_by("-id")[:3]
    ]
    assert service_ids[0] > max(ids)

    expected = service_ids + sorted([*due_deferred, *expired, *queued_tail])
    sql = ledger._candidates_sql(0, 0, 1000, False)
    with connection.cursor() as cursor:
        cursor.execute(sql, claim_params(timezone.now()))
        assert [row[0] for row in cursor.fetchall()] == expected

    claimed = []
    for _ in range(4):
        batch = ledger.claim_batch("claimer", 40, 60)
        claimed.append([d.id for d in batch])
    # The batch itself comes back in the same order: service mail first (it is sent first),
    # then by id.
    assert claimed[0] == expected[:40]
    assert claimed[1] == expected[40:80]
    assert claimed[2] == expected[80:]
    assert claimed[3] == []
    rows = Delivery.objects.in_bulk(expected)
    assert all(
        rows[i].state == S.SENDING and rows[i].lease_owner.startswith("claimer:") for i in expected
    )
    assert {Delivery.objects.get(pk=i).lease_owner for i in leased} == {"alive:1"}
    assert set(Delivery.objects.filter(id__in=later).values_list("state", flat=True)) == {
        S.DEFERRED
    }
    assert not Delivery.objects.filter(campaign=paused).exclude(state=S.QUEUED).exists()


# --- record_batch ----------------------------------------------------------------------------


def started_campaign(topic, recipients: int) -> Campaign:
    make_audience(topic, recipients)
    campaign = make_campaign(topic)
    sending.start(campaign.id)
    return campaign


def message_id_for(delivery_id: int) -> str:
    return f"<{delivery_id}.test@mail.example.com>"


def take_over(*deliveries) -> None:
    """What another worker does when a lease expired: claim the row with its own token."""
    Delivery.objects.filter(id__in=[d.id for d in deliveries]).update(
        lease_owner="other-worker:abc", attempts=F("attempts") + 1
    )


@db
def test_record_batch_leaves_rows_taken_over_by_another_worker_alone(newsletter):
    campaign = started_campaign(newsletter, 30)
    batch = ledger.claim_batch("worker-a", 30, 60)
    assert len(batch) == 30
    stolen_sent, stolen_bounce = batch[7], batch[20]
    bounced, deferred = batch[3], batch[12]
    take_over(stolen_sent, stolen_bounce)
    outcomes = []
    for d in batch:
        if d in (bounced, stolen_bounce):
            outcomes.append(ledger.Outcome(d.id, S.BOUNCED, 550, "5.1.1 no such user", ""))
        elif d is deferred:
            outcomes.append(ledger.Outcome(d.id, S.DEFERRED, 452, "4.2.2 mailbox full", ""))
        else:
            outcomes.append(ledger.Outcome(d.id, S.SENT, 250, "2.0.0 ok", message_id_for(d.id)))
    before = timezone.now()
    ledger.record_batch(batch, outcomes)

    for stolen in (stolen_sent, stolen_bounce):
        row = Delivery.objects.get(pk=stolen.id)
        assert row.state == S.SENDING
        assert row.lease_owner == "other-worker:abc"
        assert row.message_id == "" and row.last_reply == "" and row.last_code is None
        assert row.attempts == 2
        assert not Event.objects.filter(delivery_id=stolen.id).exists()
    assert not Suppression.objects.filter(email=stolen_bounce.email).exists()
    assert Contact.objects.get(pk=stolen_bounce.contact_id).status == Contact.Status.ACTIVE

    sent = [d for d in batch if d not in (stolen_sent, stolen_bounce, bounced, deferred)]
    rows = Delivery.objects.in_bulk([d.id for d in sent])
    for d in sent:
        row = rows[d.id]
        assert row.state == S.SENT and row.message_id == message_id_for(d.id)
        assert row.lease_owner == "" and row.lease_expires_at is None
        assert row.last_code == 250 and row.sent_at >= before
        events = list(Event.objects.filter(delivery_id=d.id))
        assert [(e.type, e.data) for e in events] == [("sent", {"message_id": row.message_id})]
        assert events[0].campaign_id == campaign.id and events[0].contact_id == d.contact_id
    row = Delivery.objects.get(pk=bounced.id)
    assert row.state == S.BOUNCED and row.last_code == 550 and row.lease_owner == ""
    assert Suppression.objects.filter(email=bounced.email).count() == 1
    assert Event.objects.get(delivery_id=bounced.id).type == "bounced"
    row = Delivery.objects.get(pk=deferred.id)
    assert row.state == S.DEFERRED and row.next_attempt_at > before and row.lease_owner == ""
    assert Event.objects.get(delivery_id=deferred.id).data == {
        "code": 452,
        "reply": "4.2.2 mailbox full",
    }
    assert Event.objects.count() == 28
    # Two rows are still another worker's: the campaign is not finished.
    assert Campaign.objects.get(pk=campaign.id).state == Campaign.State.SENDING


@db
def test_record_batch_writes_more_than_one_chunk_of_sent_rows(newsletter):
    total = 1203  # three chunks of at most 500 rows
    campaign = started_campaign(newsletter, total)
    batch = ledger.claim_batch("worker-a", total, 60)
    assert len(batch) == total
    stolen = [batch[0], batch[501], batch[1202]]
    deferred = {batch[499].id, batch[1000].id}
    take_over(*stolen)
    outcomes = [
        ledger.Outcome(d.id, S.DEFERRED, 451, "4.3.0 later", "")
        if d.id in deferred
        else ledger.Outcome(d.id, S.SENT, 250, f"2.0.0 queued as {d.id}", message_id_for(d.id))
        for d in batch
    ]
    ledger.record_batch(batch, outcomes)

    stolen_ids = {d.id for d in stolen}
    rows = Delivery.objects.in_bulk([d.id for d in batch])
    for d in batch:
        row = rows[d.id]
        if d.id in stolen_ids:
            assert (row.state, row.message_id, row.lease_owner) == (
                S.SENDING,
                "",
                "other-worker:abc",
            )
        elif d.id in deferred:
            assert row.state == S.DEFERRED and row.message_id == ""
        else:
            assert row.state == S.SENT, d.id
            assert row.message_id == message_id_for(d.id)
            assert row.last_reply == f"2.0.0 queued as {d.id}"
            assert row.lease_owner == "" and row.sent_at is not None
    events = {}
    for delivery_id, kind, data in Event.objects.values_list("delivery_id", "type", "data"):
        assert delivery_id not in events, f"two events for delivery {delivery_id}"
        events[delivery_id] = (kind, data)
    assert set(events) == {d.id for d in batch} - stolen_ids
    for delivery_id, (kind, data) in events.items():
        if delivery_id in deferred:
            assert kind == "deferred"
        else:
            assert (kind, data) == ("sent", {"message_id": message_id_for(delivery_id)})
    counts = sending.delivery_counts(campaign.id)
    assert counts["sent"] == total - 5 and counts["sending"] == 3 and counts["deferred"] == 2


@db
def test_a_claim_while_record_batch_runs_skips_the_rows_being_recorded(newsletter, monkeypatch):
    """The batch's lease expired (a slow relay), and another worker claims while this one is
    recording it: the rows being recorded are locked, so the claim passes over them instead
    of taking them over and having its result overwritten. (SQLite: the claim waits for the
    one writer, so it cannot interleave at all.)"""
    if connection.vendor == "sqlite":
        pytest.skip("SQLite has one writer at a time: the claim cannot interleave")
    started_campaign(newsletter, 10)
    batch = ledger.claim_batch("worker-a", 10, 60)
    Delivery.objects.filter(id__in=[d.id for d in batch]).update(
        lease_expires_at=timezone.now() - timedelta(seconds=5)
    )
    original = ledger.write_rows
    claimed: list = []

    def claim_then_write(rows, now):
        def other_worker():
            try:
                claimed.extend(ledger.claim_batch("worker-b", 10, 60))
            finally:
                connection.close()

        thread = threading.Thread(target=other_worker)
        thread.start()
        thread.join(timeout=30)
        assert not thread.is_alive(), "the claim waited on the rows being recorded"
        original(rows, now)

    monkeypatch.setattr(ledger, "write_rows", claim_then_write)
    ledger.record_batch(
        batch, [ledger.Outcome(d.id, S.SENT, 250, "ok", message_id_for(d.id)) for d in batch]
    )
    assert claimed == []
    rows = Delivery.objects.in_bulk([d.id for d in batch])
    assert {(r.state, r.lease_owner) for r in rows.values()} == {(S.SENT, "")}
    assert all(rows[d.id].message_id == message_id_for(d.id) for d in batch)


@db
def test_a_campaign_whose_last_two_batches_are_recorded_at_once_is_marked_sent(
    newsletter, monkeypatch
):
    """Two workers record a campaign's last two batches concurrently: each one's check for
    outstanding rows, inside its transaction, sees the other's rows still `sending`. The
    check made again after commit must mark the campaign sent. (SQLite: one writer at a
    time, so the two never overlap.)"""
    if connection.vendor == "sqlite":
        pytest.skip("SQLite has one writer at a time: the two records cannot overlap")
    campaign = started_campaign(newsletter, 20)
    first = ledger.claim_batch("worker-a", 10, 60)
    second = ledger.claim_batch("worker-b", 10, 60)
    assert len(first) == len(second) == 10
    original = ledger.finish_if_done
    calls = []

    def check_then_let_the_other_worker_record(campaign_ids):
        calls.append(set(campaign_ids))
        original(campaign_ids)  # worker A, in its transaction: B's rows are still `sending`
        if len(calls) == 1:

            def other_worker():
                try:
                    ledger.record_batch(second, sent(second))
                finally:
                    connection.close()

            thread = threading.Thread(target=other_worker)
            thread.start()
            thread.join(timeout=30)
            assert not thread.is_alive()
            # B committed, but A has not: B saw A's rows still `sending` both times.
            assert Campaign.objects.get(pk=campaign.id).state == Campaign.State.SENDING

    def sent(batch):
        return [ledger.Outcome(d.id, S.SENT, 250, "ok", message_id_for(d.id)) for d in batch]

    monkeypatch.setattr(ledger, "finish_if_done", check_then_let_the_other_worker_record)
    ledger.record_batch(first, sent(first))
    assert sending.delivery_counts(campaign.id)["sent"] == 20
    assert Campaign.objects.get(pk=campaign.id).state == Campaign.State.SENT


# --- a batch sent in several chunks ----------------------------------------------------------


class RecordingTransport:
    """The real SMTP client, recording the recipients of each send_batch call."""

    def __init__(self, inner, calls: list) -> None:
        self.inner = inner
        self.calls = calls

    @property
    def eightbitmime(self) -> bool:
        return self.inner.eightbitmime

    async def send_batch(self, envelopes):
        self.calls.append([e.recipient for e in envelopes])
        return await self.inner.send_batch(envelopes)

    async def close(self) -> None:
        await self.inner.close()


@db
def test_a_batch_larger_than_a_send_chunk_maps_each_outcome_to_its_delivery(fast_sink, newsletter):
    total = 120
    assert SEND_CHUNK == 50
    campaign = started_campaign(newsletter, total)
    order = list(
        Delivery.objects.filter(campaign=campaign).order_by("id").values_list("id", "email")
    )
    bounce_id, bounce_email = order[SEND_CHUNK + 17]  # in the second chunk
    defer_id, defer_email = order[2 * SEND_CHUNK + 3]  # in the third
    sink = fast_sink(
        rcpt_replies={
            bounce_email: "550 5.1.1 no such user",
            defer_email: "452 4.2.2 mailbox full",
        }
    )
    calls: list[list[str]] = []

    def factory(relay):
        return RecordingTransport(default_transport(relay), calls)

    engine = Engine(
        sink.relay, lanes=1, batch_size=total, idle_seconds=0, transport_factory=factory
    )
    sent = asyncio.run(engine.run(until_idle=True))

    emails = [email for _, email in order]
    assert calls == [emails[:50], emails[50:100], emails[100:]]
    assert sent == total - 2
    assert sorted(sink.rcpt_counts) == sorted(set(emails) - {bounce_email, defer_email})
    assert max(sink.rcpt_counts.values()) == 1

    rows = Delivery.objects.in_bulk([i for i, _ in order])
    received = {}
    for m in sink.messages:
        msg = message_from_bytes(m.data, policy=email_policy.default)
        received[m.rcpt] = (str(msg["Message-ID"]).strip(), str(msg["To"]))
    for delivery_id, email in order:
        row = rows[delivery_id]
        assert row.attempts == 1 and row.lease_owner == ""
        if delivery_id in (bounce_id, defer_id):
            continue
        assert row.state == S.SENT, (email, row.state, row.last_reply)
        message_id, to = received[email]
        assert row.message_id and message_id == row.message_id, email
        assert email in to
    bounced = rows[bounce_id]
    assert bounced.state == S.BOUNCED and bounced.last_code == 550
    assert "no such user" in bounced.last_reply
    assert Suppression.objects.filter(email=bounce_email).exists()
    assert Contact.objects.get(email=bounce_email).status == Contact.Status.BOUNCED
    deferred = rows[defer_id]
    assert deferred.state == S.DEFERRED and deferred.last_code == 452
    assert "mailbox full" in deferred.last_reply
    assert deferred.next_attempt_at > timezone.now()
    assert set(Suppression.objects.values_list("email", flat=True)) == {bounce_email}
    assert Event.objects.get(delivery_id=bounce_id).type == "bounced"
    assert Event.objects.get(delivery_id=defer_id).type == "deferred"
    assert Event.objects.filter(type="sent", campaign=campaign).count() == total - 2
