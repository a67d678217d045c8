"""Which workers' leases a starting worker takes back: only those of dead processes on its own
host (or, where the process cannot be checked, of a heartbeat long silent); never a live
worker's, never another host's."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from mailwright.delivery import heartbeats, ledger
from mailwright.delivery.models import Delivery, RelaySlot, WorkerHeartbeat

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(sys.platform != "linux", reason="checks processes in /proc"),
]

S = Delivery.State


def leased(worker: str, n: int = 2) -> list[int]:
    now = timezone.now()
    rows = [
        Delivery.objects.create(
            email=f"{worker}-{i}@example.com",
            domain="example.com",
            stream=Delivery.Stream.SERVICE,
            content={"kind": "test", "subject": "s", "html": "", "text": "t"},
            state=S.SENDING,
            attempts=1,
            lease_owner=f"{worker}:abc{i}",
            lease_expires_at=now + timedelta(minutes=10),
            next_attempt_at=now,
            created_at=now,
            updated_at=now,
        )
        for i in range(n)
    ]
    RelaySlot.objects.create(
        relay_key=f"relay-{worker}",
        slot=0,
        owner=f"{worker}/0",
        expires_at=now + timedelta(minutes=10),
    )
    return [d.id for d in rows]


def heartbeat_row(worker: str, me: heartbeats.Identity, **changes) -> None:
    now = timezone.now()
    fields = {
        "host": me.host,
        "pid": me.pid,
        "boot_id": me.boot_id,
        "pid_namespace": me.pid_namespace,
        "process_start": me.process_start,
        "started_at": now,
        "last_seen_at": now,
        **changes,
    }
    WorkerHeartbeat.objects.create(worker=worker, **fields)


def test_only_dead_workers_on_this_host_lose_their_leases():
    me = heartbeats.identity()
    assert me.boot_id and me.pid_namespace and me.process_start
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    try:
        live_start = heartbeats.process_status(live.pid)[1]
        stale = timezone.now() - timedelta(seconds=heartbeats.UNVERIFIABLE_DEAD_AFTER + 5)
        cases = {
            # name: (heartbeat fields, taken over?)
            "live": ({"pid": live.pid, "process_start": live_start}, False),
            "dead": ({"pid": gone.pid, "process_start": live_start - 1}, True),
            "reused-pid": ({"pid": live.pid, "process_start": live_start - 1}, True),
            "other-host": ({"host": "elsewhere", "pid": gone.pid, "last_seen_at": stale}, False),
            "container-quiet": ({"pid_namespace": "pid:[1]", "last_seen_at": stale}, True),
            "container-beating": ({"pid_namespace": "pid:[1]", "pid": gone.pid}, False),
            "late-but-alive": (
                {"pid": live.pid, "process_start": live_start, "last_seen_at": stale},
                False,
            ),
        }
        rows = {}
        for name, (changes, _) in cases.items():
            heartbeat_row(name, me, **changes)
            rows[name] = leased(name)

        taken = heartbeats.Heartbeat("new-worker", me).start()

        expected = {name for name, (_, dead) in cases.items() if dead}
        assert set(taken) == expected
        assert set(WorkerHeartbeat.objects.values_list("worker", flat=True)) == (
            set(cases) - expected | {"new-worker"}
        )
        # The dead workers' rows are claimable at once; the others stay leased.
        claimed = ledger.claim_batch("claimer", 100, 60)
        assert {d.id for d in claimed} == {i for name in expected for i in rows[name]}
        assert set(RelaySlot.objects.exclude(owner="").values_list("owner", flat=True)) == {
            f"{name}/0" for name in set(cases) - expected
        }
    finally:
        live.kill()
        live.wait()


def test_a_stopped_worker_removes_its_heartbeat_and_a_running_one_counts(smtp_sink, monkeypatch):
    from mailwright.delivery.engine import Engine
    from tests.conftest import BackgroundLoop

    monkeypatch.setattr(heartbeats, "HEARTBEAT_SECONDS", 0.1)
    engine = Engine(smtp_sink.relay, lanes=1, idle_seconds=0.05, worker_id="beating")
    bg = BackgroundLoop()
    future = bg.submit(engine.run())
    try:
        deadline = timezone.now() + timedelta(seconds=20)
        row = None
        while timezone.now() < deadline:
            row = WorkerHeartbeat.objects.filter(worker="beating").first()
            if row and row.last_seen_at > row.started_at + timedelta(seconds=0.15):
                break
            time.sleep(0.05)
        assert row is not None and row.pid == heartbeats.identity().pid
        assert row.last_seen_at > row.started_at, "the heartbeat moves on"
    finally:
        bg.loop.call_soon_threadsafe(engine.stop)
        future.result(timeout=30)
        bg.close()
    assert not WorkerHeartbeat.objects.filter(worker="beating").exists()
