import asyncio
import logging
import os
import signal
import subprocess
import sys

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from mailwright.delivery.engine import Engine
from mailwright.supervisor import Supervisor, part


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

    def _child_args(self, opts) -> list[str]:
        args = ["worker", "--processes", "1"]
        if opts["lanes"]:
            args += ["--lanes", str(opts["lanes"])]
        if opts["batch_size"]:
            args += ["--batch-size", str(opts["batch_size"])]
        if opts["until_idle"]:
            args.append("--until-idle")
        return args

    def _fan_out(self, processes: int, opts) -> None:
        children = [part(f"worker-{i + 1}", *self._child_args(opts)) for i in range(processes)]
        if not opts["until_idle"]:
            sys.exit(Supervisor(children).run())
        # --until-idle: run each process once, no restarts; fail if any failed.
        procs = [subprocess.Popen(c.argv, preexec_fn=c.preexec) for c in children]
        codes = [p.wait() for p in procs]
        if any(codes):
            raise CommandError(f"a worker process failed (exit codes {codes})")

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
        self.stderr.write(f"delivery worker {engine.worker_id} stopped; {sent} messages sent")
