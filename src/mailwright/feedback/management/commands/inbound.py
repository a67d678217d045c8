import asyncio
import contextlib
import logging
import os
import signal
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from mailwright.feedback.inbound import serve
from mailwright.feedback.mailbox import MailboxConfig, poll


class Command(BaseCommand):
    help = (
        "Run the inbound SMTP server for the bounce/reply domain on MW_INBOUND_ADDR: bounces, "
        "complaints, auto-replies and List-Unsubscribe mailto requests."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--poll",
            metavar="URL",
            help="instead of the SMTP server, poll a mailbox (imaps://user:pass@host/FOLDER"
            "?marker=flag|delete|move:FOLDER or pop3s://user:pass@host); default MW_MAILBOX_URL",
        )
        parser.add_argument(
            "--mailbox",
            action="store_true",
            help="poll the mailbox in MW_MAILBOX_URL (keeps its password out of the process list)",
        )
        parser.add_argument("--once", action="store_true", help="poll once and exit")
        parser.add_argument("--interval", type=float, default=60, help="seconds between polls")

    def handle(self, *args, **opts):
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
        url = opts["poll"] or (
            os.environ.get("MW_MAILBOX_URL") if opts["once"] or opts["mailbox"] else None
        )
        if opts["mailbox"] and not url:
            raise CommandError("--mailbox needs MW_MAILBOX_URL")
        if url:
            return self._poll(url, opts)

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

    def _poll(self, url: str, opts) -> None:
        from django.core.exceptions import ImproperlyConfigured

        try:
            config = MailboxConfig.from_url(url)
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from None
        stopping = []
        signal.signal(signal.SIGTERM, lambda *_: stopping.append(1))
        while True:
            try:
                count = poll(config)
                self.stderr.write(f"mailbox {config.host}/{config.folder}: {count} processed")
            except (OSError, Exception) as exc:  # a mailbox outage must not stop polling
                if opts["once"]:
                    raise CommandError(f"mailbox poll failed: {exc}") from None
                logging.getLogger(__name__).warning("mailbox poll failed: %s", exc)
            if opts["once"] or stopping:
                return
            time.sleep(opts["interval"])
