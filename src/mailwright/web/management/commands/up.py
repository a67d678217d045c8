import logging
import os
import secrets
import sys

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand

from mailwright.supervisor import Supervisor, part


class Command(BaseCommand):
    help = (
        "Migrate, create the first admin account if none exists, then run and supervise the "
        "web app, delivery worker, task worker, campaign scheduler, inbound SMTP server and "
        "capture relay."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--no-capture",
            action="store_true",
            help="Do not start the capture relay (use when MW_RELAY_URL points at a real relay).",
        )

    def handle(self, *args, **opts):
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
        call_command("migrate", interactive=False, verbosity=0)
        self._first_admin()
        # In dependency order: the SMTP servers accept connections before the delivery
        # worker starts (else its first batches would be deferred by a refused connection).
        children = []
        if not opts["no_capture"]:
            capture = (settings.CAPTURE_HOST, settings.CAPTURE_PORT)
            children.append(part("capture", "capture", ready=capture))
        inbound = (settings.INBOUND_HOST, settings.INBOUND_PORT)
        children += [
            part("inbound", "inbound", ready=inbound),
            part("worker", "worker"),
            part("tasks", "tasks"),
            part("scheduler", "scheduler"),
            part("web", "web"),
        ]
        if os.environ.get("MW_MAILBOX_URL"):
            children.append(part("mailbox", "inbound", "--mailbox"))
        starting = f"Mailwright is starting at {settings.BASE_URL}/ (Ctrl-C stops it)"
        if settings.LOG_FORMAT == "json":  # every line on stderr is then a JSON object
            logging.getLogger("mailwright.up").info(starting)
        else:
            self.stderr.write(starting)
        sys.exit(Supervisor(children).run())

    def _first_admin(self) -> None:
        User = get_user_model()
        if User.objects.exists():
            return
        password = secrets.token_urlsafe(12)
        User.objects.create_superuser("admin", "", password)
        self.stdout.write(
            "\nCreated the first admin account. This password is shown only once:\n"
            f"  login:    {settings.BASE_URL}/login/\n"
            f"  user:     admin\n"
            f"  password: {password}\n"
            "Change it after logging in (Account → Change password).\n"
        )
        self.stdout.flush()
