from django.core.management.base import BaseCommand, CommandError

from mailwright.api import keys
from mailwright.api.models import ApiKey


class Command(BaseCommand):
    help = "Manage API keys: create (prints the key alone on stdout, once), list, revoke."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="create a key and print it")
        create.add_argument("name", nargs="?", help="what the key is for")
        create.add_argument("--name", dest="name_opt", help="the same, as an option")
        create.add_argument(
            "--scope",
            choices=ApiKey.Scope.values,
            default=ApiKey.Scope.FULL,
            help="full (default), or send: only send and read service messages",
        )
        sub.add_parser("list", help="list keys (never shows the keys themselves)")
        revoke = sub.add_parser("revoke", help="revoke a key by id")
        revoke.add_argument("id", type=int)

    def handle(self, *args, **opts):
        action = opts["action"]
        if action == "create":
            try:
                name = opts["name"] or opts["name_opt"]
                if not name:
                    raise CommandError("give the key a name: apikey create NAME [--scope send]")
                record, key = keys.create(name, scope=opts["scope"])
            except ValueError as exc:
                raise CommandError(str(exc)) from None
            self.stdout.write(key)
            self.stderr.write(
                f"created API key {record.id} ({record.name}, scope {record.scope});"
                " it is not shown again"
            )
        elif action == "list":
            for k in ApiKey.objects.order_by("id"):
                state = f"revoked {k.revoked_at:%Y-%m-%d}" if k.revoked_at else "active"
                self.stdout.write(f"{k.id}\t{k.prefix}…\t{k.name}\t{k.scope}\t{state}")
        elif action == "revoke":
            if not keys.revoke(opts["id"]):
                raise CommandError(f"no active API key with id {opts['id']}")
            self.stderr.write(f"revoked API key {opts['id']}")
