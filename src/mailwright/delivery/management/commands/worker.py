import asyncio
import logging
import signal

from django.core.management.base import BaseCommand

from mailwright.delivery.engine import Engine


class Command(BaseCommand):
    help = "Run the delivery worker: claim due deliveries in batches and send them."

    def add_arguments(self, parser):
        parser.add_argument(
            "--lanes", type=int, help="parallel SMTP connections (MW_WORKER_CONNECTIONS)"
        )
        parser.add_argument(
            "--batch-size", type=int, help="deliveries per claim (MW_WORKER_BATCH_SIZE)"
        )
        parser.add_argument(
            "--until-idle", action="store_true", help="exit when nothing is due instead of waiting"
        )

    def handle(self, *args, **opts):
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
        engine = Engine(lanes=opts["lanes"], batch_size=opts["batch_size"])

        async def main():
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, engine.stop)
            return await engine.run(until_idle=opts["until_idle"])

        sent = asyncio.run(main())
        self.stderr.write(f"delivery worker stopped; {sent} messages sent")
