import logging
import os

from django.core.management.base import BaseCommand

from mailwright.web import scheduler


class Command(BaseCommand):
    help = (
        "Run the campaign scheduler: start scheduled campaigns when due and decide A/B tests"
        " whose wait is over (every MW_SCHEDULER_INTERVAL seconds, default 15)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=None)

    def handle(self, *args, **opts):
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
        interval = opts["interval"] or float(
            os.environ.get("MW_SCHEDULER_INTERVAL", scheduler.DEFAULT_INTERVAL)
        )
        scheduler.run(interval)
