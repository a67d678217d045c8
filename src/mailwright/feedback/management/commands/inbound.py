import asyncio
import contextlib
import logging
import signal

from django.conf import settings
from django.core.management.base import BaseCommand

from mailwright.feedback.inbound import serve


class Command(BaseCommand):
    help = (
        "Run the inbound SMTP server for the bounce/reply domain on MW_INBOUND_ADDR: bounces, "
        "complaints, auto-replies and List-Unsubscribe mailto requests."
    )

    def handle(self, *args, **opts):
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")

        async def main():
            task = asyncio.create_task(
                serve(settings.INBOUND_HOST, settings.INBOUND_PORT, settings.INBOUND_MAX_BYTES)
            )
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, task.cancel)
            with contextlib.suppress(asyncio.CancelledError):
                await task

        asyncio.run(main())
