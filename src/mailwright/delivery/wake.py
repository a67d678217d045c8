"""Waking idle delivery workers at once when service mail is queued.

An idle worker sleeps up to MW_WORKER_IDLE_SECONDS between looks at the ledger; a password
reset must not wait out that sleep. Each worker process binds a Unix datagram socket at
`{MW_DATA_DIR}/run/wake/<worker id>.sock` (listen); whoever queues service mail calls
nudge() once the row is committed, which sends one byte to every socket there. The worker's
event loop reads the byte and its idle lanes claim at once.

It works the same on SQLite and PostgreSQL, for any number of worker processes on this host,
without polling. Workers on other hosts (sharing a PostgreSQL database) are not reached:
they find the mail at their next idle look, as before. nudge() never raises and never
blocks: a socket whose worker is gone (connection refused, or not a socket) is removed; a
worker whose buffer is full has been nudged already.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import socket
from pathlib import Path

from django.conf import settings
from django.db import transaction

log = logging.getLogger(__name__)

SUFFIX = ".sock"
MAX_SOCKETS = 256  # a bound on the work of one nudge, far above the workers of one host
# sockaddr_un.sun_path is 108 bytes on Linux (104 on BSD and macOS), terminator included.
MAX_PATH = 103


def wake_dir() -> Path:
    return Path(settings.DATA_DIR) / "run" / "wake"


class Listener:
    """The socket one worker process is nudged through. The engine watches fileno() on its
    event loop and calls drain() when it is readable."""

    def __init__(self, sock: socket.socket, path: Path) -> None:
        self.sock = sock
        self.path = path

    def fileno(self) -> int:
        return self.sock.fileno()

    def drain(self) -> int:
        """Read every pending nudge; returns how many there were."""
        count = 0
        while True:
            try:
                self.sock.recv(64)
            except (BlockingIOError, InterruptedError):
                return count
            except OSError:
                return count
            count += 1

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()
        with contextlib.suppress(OSError):
            self.path.unlink()


def listen(name: str) -> Listener | None:
    """Bind this process's wake socket. None (logged) when it cannot be made: the worker
    then only polls, every MW_WORKER_IDLE_SECONDS."""
    directory = wake_dir()
    path = directory / f"{name}{SUFFIX}"
    if len(os.fsencode(path)) > MAX_PATH:
        log.warning("wake socket path too long (%d bytes): %s; polling only", len(str(path)), path)
        return None
    sock = None
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileNotFoundError):
            path.unlink()  # a predecessor's, with the same worker id: it is gone
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.setblocking(False)
        sock.bind(os.fspath(path))
    except OSError as exc:
        if sock is not None:
            sock.close()
        log.warning("cannot bind wake socket %s: %s; polling only", path, exc)
        return None
    return Listener(sock, path)


def nudge() -> int:
    """Wake every delivery worker on this host. Returns how many sockets took the byte.
    Never raises; never waits (non-blocking sends to at most MAX_SOCKETS sockets)."""
    try:
        entries = [e for e in os.scandir(wake_dir()) if e.name.endswith(SUFFIX)]
    except OSError:
        return 0  # no worker has ever run here
    sent = 0
    try:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    except OSError:
        return 0
    with sock:
        sock.setblocking(False)
        for entry in entries[:MAX_SOCKETS]:
            try:
                sock.sendto(b"!", entry.path)
                sent += 1
            except BlockingIOError:
                sent += 1  # its buffer is full of nudges it has not read yet: awake already
            except (ConnectionRefusedError, FileNotFoundError, NotADirectoryError):
                # Nobody bound there any more (a killed worker), or not a socket: remove it.
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)
            except OSError as exc:  # e.g. permissions: not ours to remove
                log.debug("wake socket %s: %s", entry.path, exc)
    return sent


def nudge_on_commit() -> None:
    """nudge() once the current transaction commits (at once outside one)."""
    transaction.on_commit(nudge)


def nudges(fn):
    """Decorate a function that queues service mail: once its transaction commits (at once
    outside one), the workers are nudged."""

    @functools.wraps(fn)
    def queue_and_nudge(*args, **kwargs):
        result = fn(*args, **kwargs)
        nudge_on_commit()
        return result

    return queue_and_nudge
