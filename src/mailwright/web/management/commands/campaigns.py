import json

from django.core.management.base import BaseCommand

from mailwright.web import scheduler


class Command(BaseCommand):
    help = "Campaign tasks. `mailwright campaigns tick`: run the scheduler once (cron, tests)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("tick", help="start due scheduled campaigns, decide due A/B tests")

    def handle(self, *args, **opts):
        done = scheduler.tick()
        self.stdout.write(json.dumps(done))
