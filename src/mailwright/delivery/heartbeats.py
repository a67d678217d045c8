"""Delivery worker heartbeats, and taking back the leases of a dead worker on the same host.

Every delivery worker process keeps a WorkerHeartbeat row: created when it starts, touched
every HEARTBEAT_SECONDS with one UPDATE (last seen, messages sent), deleted when it stops.

When a worker starts, and at each of its heartbeats, it looks at the other rows of its host.
A row whose process is dead has its leases handed back at once (ledger.release_leases), so a
restarted worker resumes a killed one's batches without waiting out MW_LEASE_SECONDS:

* same boot and pid namespace (Linux): the process is checked in /proc. It is dead when its
  pid is gone, is a zombie, or is now another process (a different start time: pid reuse).
  A live process is never taken over, however late its heartbeat.
* otherwise (another boot, another container with the same host name, no /proc): the process
  cannot be checked from here, so it counts as dead only when its heartbeat has been silent
  for UNVERIFIABLE_DEAD_AFTER seconds (a container restarted under the same host name).

Workers on other hosts are never taken over: their leases run out as before.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import close_old_connections, transaction
from django.utils import timezone

from mailwright.delivery import ledger
from mailwright.delivery.models import WorkerHeartbeat

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 5.0
# /metrics reports a worker as up while its last heartbeat is younger than this.
UP_WITHIN = 30.0
# A worker whose process cannot be checked (see above) is dead after this much silence: well
# above a heartbeat delayed by a busy database (SQLite's busy timeout is 30 s by default).
UNVERIFIABLE_DEAD_AFTER = 60.0
# Rows of workers on other hosts that stopped without a goodbye are forgotten after a day.
FORGET_AFTER = timedelta(days=1)


@dataclass(frozen=True)
class Identity:
    """What tells this process apart from any other, now or later."""

    host: str
    pid: int
    boot_id: str  # Linux: random per boot
    pid_namespace: str  # Linux: e.g. "pid:[4026531836]", one per container
    process_start: int | None  # Linux: clock ticks after boot when the process started


def _read(path: str) -> str:
    try:
        with open(path) as fh:
            return fh.read().strip()
    except OSError:
        return ""


def process_status(pid: int) -> tuple[str, int] | None:
    """(state letter, start time in clock ticks after boot) of a process, from /proc; None
    if there is no such process (or no /proc)."""
    stat = _read(f"/proc/{pid}/stat")
    if not stat:
        return None
    # The command name (field 2) may hold spaces and parentheses: split after the last ')'.
    fields = stat.rsplit(")", 1)[-1].split()
    try:
        return fields[0], int(fields[19])
    except (IndexError, ValueError):
        return None


def identity() -> Identity:
    pid = os.getpid()
    status = process_status(pid)
    try:
        namespace = os.readlink("/proc/self/ns/pid")
    except OSError:
        namespace = ""
    return Identity(
        host=socket.gethostname(),
        pid=pid,
        boot_id=_read("/proc/sys/kernel/random/boot_id"),
        pid_namespace=namespace,
        process_start=status[1] if status else None,
    )


def new_worker_id(me: Identity) -> str:
    """host-xxxx-pid: readable, and unique even when a restarted container's worker gets its
    predecessor's pid. Short enough that `worker:token` fits Delivery.lease_owner."""
    return f"{me.host[:40]}-{secrets.token_hex(2)}-{me.pid}"


def is_dead(row: WorkerHeartbeat, me: Identity, now: datetime) -> bool:
    """Whether the worker of `row` is known to be gone (see the module's docstring)."""
    if row.host != me.host:
        return False
    checkable = (
        me.boot_id
        and me.pid_namespace
        and row.process_start is not None
        and (row.boot_id, row.pid_namespace) == (me.boot_id, me.pid_namespace)
    )
    if checkable:
        status = process_status(row.pid)
        if status is None:
            return True
        state, started = status
        return state in ("Z", "X") or started != row.process_start
    return (now - row.last_seen_at).total_seconds() > UNVERIFIABLE_DEAD_AFTER


class Heartbeat:
    """The heartbeat row of one worker. Every method runs on the engine's database thread."""

    def __init__(self, worker: str, me: Identity | None = None) -> None:
        self.worker = worker
        self.me = me or identity()
        self.started_at = timezone.now()

    def start(self) -> list[str]:
        """Register, forget long-gone rows, and take back the leases of dead predecessors on
        this host before the first claim. Returns the workers taken over."""
        close_old_connections()
        now = timezone.now()
        WorkerHeartbeat.objects.filter(last_seen_at__lt=now - FORGET_AFTER).delete()
        self._register(now)
        return self.take_over(now)

    def _register(self, now: datetime) -> None:
        WorkerHeartbeat.objects.update_or_create(
            worker=self.worker,
            defaults={
                "host": self.me.host,
                "pid": self.me.pid,
                "boot_id": self.me.boot_id,
                "pid_namespace": self.me.pid_namespace,
                "process_start": self.me.process_start,
                "started_at": self.started_at,
                "last_seen_at": now,
            },
        )

    def beat(self, sent: int) -> list[str]:
        """One UPDATE; then the dead workers of this host, if any, are taken over."""
        close_old_connections()  # a connection the database dropped is replaced
        now = timezone.now()
        touched = WorkerHeartbeat.objects.filter(worker=self.worker).update(
            last_seen_at=now, sent=sent
        )
        if not touched:  # another worker took this one for dead (see UNVERIFIABLE_DEAD_AFTER)
            log.warning("heartbeat row of %s was gone; registering again", self.worker)
            self._register(now)
            WorkerHeartbeat.objects.filter(worker=self.worker).update(sent=sent)
        return self.take_over(now)

    def take_over(self, now: datetime | None = None) -> list[str]:
        now = now or timezone.now()
        others = WorkerHeartbeat.objects.filter(host=self.me.host).exclude(worker=self.worker)
        dead = [row for row in others if is_dead(row, self.me, now)]
        if not dead:
            return []
        workers = [row.worker for row in dead]
        with transaction.atomic():
            released = ledger.release_leases(workers)
            WorkerHeartbeat.objects.filter(pk__in=[row.pk for row in dead]).delete()
        for row in dead:
            log.warning(
                "delivery worker %s (pid %s, last seen %s) is gone; its leases are handed back",
                row.worker,
                row.pid,
                row.last_seen_at.isoformat(timespec="seconds"),
            )
        if released:
            log.warning("%d deliveries of dead workers can be claimed again now", released)
        return workers

    def stop(self) -> None:
        WorkerHeartbeat.objects.filter(worker=self.worker).delete()
