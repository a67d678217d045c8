import asyncio
import gc
import logging
import os
import signal
import sys

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from mailwright.delivery.engine import Engine
from mailwright.supervisor import ForkedChild, ForkedProcess, Supervisor

log = logging.getLogger("mailwright.delivery.worker")


class Command(BaseCommand):
    # The system checks import every URL, view and API module (~24 MB per process) that a
    # worker never uses; `mailwright check` and the web process still run them.
    requires_system_checks = []
    help = (
        "Run the delivery worker: claim due deliveries in batches and send them. By default "
        "one process per CPU core (MW_WORKER_PROCESSES), each with MW_WORKER_CONNECTIONS lanes."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--processes",
            type=int,
            help="worker processes (default MW_WORKER_PROCESSES, 0 = one per CPU core)",
        )
        parser.add_argument(
            "--lanes",
            type=int,
            help="parallel SMTP connections per process (MW_WORKER_CONNECTIONS)",
        )
        parser.add_argument(
            "--batch-size", type=int, help="deliveries per claim (MW_WORKER_BATCH_SIZE)"
        )
        parser.add_argument(
            "--until-idle", action="store_true", help="exit when nothing is due instead of waiting"
        )

    def handle(self, *args, **opts):
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
        processes = opts["processes"]
        if processes is None:
            processes = settings.WORKER_PROCESSES
        if processes < 0:
            raise CommandError("--processes must be 0 (one per core) or more")
        processes = processes or os.cpu_count() or 1
        if processes > 1:
            return self._fan_out(processes, opts)
        self._run_one(opts)

    def _fan_out(self, processes: int, opts) -> None:
        """One forked process per worker. Everything a worker uses is imported here first
        and frozen out of the garbage collector's reach, so the children share those pages
        with this process and with each other (copy-on-write) instead of each importing
        Django again: ~60 MB a process otherwise."""
        self._preload()
        connections.close_all()  # nothing open may cross a fork
        gc.collect()
        gc.freeze()

        def target():
            self._run_one(opts)

        if not opts["until_idle"]:
            children = [
                ForkedChild(name=f"worker-{i + 1}", argv=[], target=target)
                for i in range(processes)
            ]
            sys.exit(Supervisor(children).run())
        # --until-idle: run each process once, no restarts; fail if any failed. A SIGTERM or
        # Ctrl-C is passed on, so each process finishes its batches in flight and records
        # them (dying here would kill them mid-batch through PR_SET_PDEATHSIG).
        procs = [ForkedProcess(target) for _ in range(processes)]

        def forward(signum, _frame):
            for proc in procs:
                proc.send_signal(signum)

        signal.signal(signal.SIGTERM, forward)
        signal.signal(signal.SIGINT, forward)
        codes = [p.wait() for p in procs]
        if any(codes):
            raise CommandError(f"a worker process failed (exit codes {codes})")

    @staticmethod
    def _preload() -> None:
        """Import what sending needs (and is otherwise imported lazily) before forking."""
        import jinja2.sandbox  # noqa: F401
        from cryptography.hazmat.primitives.asymmetric import ed25519, rsa  # noqa: F401

        from mailwright.delivery import dkim, smtp_client  # noqa: F401

        try:
            import uvloop  # noqa: F401
        except ImportError:
            pass

    def _run_one(self, opts) -> None:
        try:
            import uvloop

            uvloop.install()
        except ImportError:
            pass
        engine = Engine(lanes=opts["lanes"], batch_size=opts["batch_size"])

        async def main():
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, engine.stop)
            return await engine.run(until_idle=opts["until_idle"])

        sent = asyncio.run(main())
        log.info("delivery worker %s stopped; %s messages sent", engine.worker_id, sent)
