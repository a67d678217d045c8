import json

from django.core.management.base import BaseCommand, CommandError

from mailwright.audit.actors import Actor
from mailwright.consent import privacy


class Command(BaseCommand):
    help = (
        "Data-subject requests: `gdpr export EMAIL` prints everything held about a person as "
        "JSON; `gdpr erase EMAIL` removes their personal data (keeping a salted hash on the "
        "suppression list). Both are audited."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        export = sub.add_parser("export", help="print everything held about EMAIL as JSON")
        export.add_argument("email")
        erase = sub.add_parser("erase", help="erase EMAIL's personal data")
        erase.add_argument("email")
        erase.add_argument("--yes", action="store_true", help="do not ask for confirmation")
        for p in (export, erase):
            p.add_argument("--by", default="cli", help="who asked, for the audit log")

    def handle(self, *args, **opts):
        by = Actor(channel="admin", actor=f"cli: {opts['by']}"[:200])
        try:
            contact = privacy.find_contact(opts["email"])
        except privacy.PrivacyError as exc:
            raise CommandError(str(exc)) from None
        if opts["action"] == "export":
            self.stdout.write(
                json.dumps(privacy.export(contact, by=by), indent=2, ensure_ascii=False)
            )
            return
        if contact.status == contact.Status.ERASED:
            raise CommandError("this contact is already erased")
        if not opts["yes"]:
            answer = input(f"Erase {contact.email} permanently? Type 'erase' to confirm: ")
            if answer.strip() != "erase":
                raise CommandError("not erased")
        privacy.erase(contact, by=by)
        self.stderr.write(f"erased contact {contact.id}; the address is now blocked from returning")
