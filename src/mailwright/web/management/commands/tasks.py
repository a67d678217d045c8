from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run the background-task worker (Django Tasks API, database backend)."

    def handle(self, *args, **opts):
        call_command("db_worker", queue_name="*", reload=False)
