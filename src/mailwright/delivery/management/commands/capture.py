import asyncio
import contextlib
import logging
import signal

from django.conf import settings
from django.core.management.base import BaseCommand

from mailwright.delivery.capture import serve


class Command(BaseCommand):
    help = "Run the capture relay: an SMTP server on MW_CAPTURE_ADDR that stores every message."

    def handle(self, *args, **opts):
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")

        async def main():
            task = asyncio.create_task(
                serve(settings.CAPTURE_HOST, settings.CAPTURE_PORT, settings.CAPTURE_MAX_BYTES)
            )
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, task.cancel)
            with contextlib.suppress(asyncio.CancelledError):
                await task

        asyncio.run(main())
