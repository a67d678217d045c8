"""Process supervision for `mailwright up`: start each part as a child process, restart a
crashed child with back-off, stop all of them cleanly on Ctrl-C / SIGTERM."""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field

log = logging.getLogger("mailwright.supervisor")

BACKOFF_START = 1.0
BACKOFF_MAX = 30.0
STABLE_AFTER = 60.0  # a child that ran this long resets its back-off
READY_TIMEOUT = 30.0  # longest wait for a child's port before starting the next child


@dataclass
class Child:
    name: str
    argv: list[str]
    process: subprocess.Popen | None = None
    started_at: float = 0.0
    backoff: float = BACKOFF_START
    restart_at: float | None = None
    restarts: int = 0
    extra_env: dict = field(default_factory=dict)
    # (host, port) the child listens on: the children after it start once it accepts
    # connections there (the delivery worker needs the capture relay listening).
    ready: tuple[str, int] | None = None

    @staticmethod
    def preexec() -> None:
        """In the child: die with the parent, so a killed supervisor leaves no orphans."""
        if sys.platform.startswith("linux"):
            import ctypes

            libc = ctypes.CDLL("libc.so.6", use_errno=True)
            libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG

    def start(self) -> None:
        self.process = subprocess.Popen(self.argv, preexec_fn=self.preexec)
        self.started_at = time.monotonic()
        self.restart_at = None
        log.info("started %s (pid %s)", self.name, self.process.pid)


class Supervisor:
    def __init__(self, children: list[Child], poll: float = 0.2) -> None:
        self.children = children
        self.poll = poll
        self.stopping = False

    def _on_signal(self, signum, _frame) -> None:
        log.info("received %s, stopping", signal.Signals(signum).name)
        self.stopping = True

    def run(self) -> int:
        signal.signal(signal.SIGINT, self._on_signal)
        signal.signal(signal.SIGTERM, self._on_signal)
        for child in self.children:
            if self.stopping:
                break
            child.start()
            if child.ready is not None:
                self._await_listening(child)
        while not self.stopping:
            now = time.monotonic()
            for child in self.children:
                self._check(child, now)
            time.sleep(self.poll)
        self.shutdown()
        return 0

    def _await_listening(self, child: Child, timeout: float = READY_TIMEOUT) -> bool:
        """Wait (at most `timeout` seconds) until the child accepts connections on its port,
        so that the children started after it find it there."""
        host, port = child.ready
        if host in ("", "0.0.0.0", "::"):  # listening on every address: loopback is one
            host = "::1" if host == "::" else "127.0.0.1"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not self.stopping:
            if child.process.poll() is not None:
                break  # it died: _check reports and restarts it; start the others meanwhile
            try:
                socket.create_connection((host, port), timeout=1).close()
            except OSError:
                time.sleep(0.05)
                continue
            log.info("%s is listening on %s:%s", child.name, host, port)
            return True
        if not self.stopping:
            log.warning(
                "%s is not listening on %s:%s after %.1fs; starting the next parts anyway",
                child.name,
                host,
                port,
                time.monotonic() - deadline + timeout,
            )
        return False

    def _check(self, child: Child, now: float) -> None:
        if child.restart_at is not None:
            if now >= child.restart_at:
                child.restarts += 1
                child.start()
            return
        code = child.process.poll() if child.process else None
        if code is None:
            return
        ran = now - child.started_at
        if ran >= STABLE_AFTER:
            child.backoff = BACKOFF_START
        log.error(
            "%s exited with code %s after %.1fs; restarting in %.0fs",
            child.name,
            code,
            ran,
            child.backoff,
        )
        child.restart_at = now + child.backoff
        child.backoff = min(child.backoff * 2, BACKOFF_MAX)

    def shutdown(self, grace: float = 15.0) -> None:
        running = [c for c in self.children if c.process and c.process.poll() is None]
        for child in running:
            child.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + grace
        for child in running:
            remaining = max(0.1, deadline - time.monotonic())
            try:
                child.process.wait(timeout=remaining)
            except subprocess.TimeoutExpired:
                log.warning("%s did not stop in %.0fs; killing it", child.name, grace)
                child.process.kill()
                child.process.wait()
        log.info("all parts stopped")


class ForkedProcess:
    """A child made with fork() that runs `target` and exits: it starts with everything the
    parent imported, sharing those pages with the parent and its siblings (copy-on-write)
    instead of importing Django again. The parent must have no threads or open database
    connections. Offers the part of subprocess.Popen the Supervisor uses."""

    def __init__(self, target: Callable[[], object]) -> None:
        self.returncode: int | None = None
        parent = os.getpid()
        pid = os.fork()
        if pid == 0:  # the child: never returns
            code = 1
            try:
                Child.preexec()
                if os.getppid() != parent:  # the parent died before PDEATHSIG was set
                    os._exit(1)
                signal.signal(signal.SIGINT, signal.SIG_DFL)
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                target()
                code = 0
            except SystemExit as exc:
                if exc.code is None or isinstance(exc.code, int):
                    code = exc.code or 0
                else:
                    print(exc.code, file=sys.stderr)
            except BaseException:
                traceback.print_exc()
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)
        self.pid = pid

    def poll(self) -> int | None:
        if self.returncode is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() >= deadline:
                raise subprocess.TimeoutExpired(f"pid {self.pid}", timeout)
            time.sleep(0.05)
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if self.returncode is None:
            os.kill(self.pid, signum)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


@dataclass
class ForkedChild(Child):
    """A supervised part that runs a function in a forked process (see ForkedProcess)."""

    target: Callable[[], object] | None = None

    def start(self) -> None:
        self.process = ForkedProcess(self.target)
        self.started_at = time.monotonic()
        self.restart_at = None
        log.info("started %s (pid %s)", self.name, self.process.pid)


def part(name: str, *args: str, ready: tuple[str, int] | None = None) -> Child:
    return Child(name=name, argv=[sys.executable, "-m", "mailwright", *args], ready=ready)
