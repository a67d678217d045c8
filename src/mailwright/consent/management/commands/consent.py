import json

from django.core.management.base import BaseCommand, CommandError

from mailwright.consent import ledger


class Command(BaseCommand):
    help = "Consent ledger tools: `consent verify` walks the hash chain."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("verify", help="check every event's hash and link to the one before")

    def handle(self, *args, **opts):
        report = ledger.verify()
        self.stdout.write(
            json.dumps(
                {
                    "ok": report.ok,
                    "checked": report.checked,
                    "broken_event": report.broken_event_id,
                    "reason": report.reason or None,
                }
            )
        )
        if not report.ok:
            raise CommandError(
                f"consent ledger broken at event {report.broken_event_id}: {report.reason}"
            )
