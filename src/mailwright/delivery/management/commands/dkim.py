"""`mailwright dkim generate|rotate|list`: DKIM keys for sending domains.

Private keys stay in the database; nothing here ever prints them."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from mailwright.audit.actors import Actor
from mailwright.delivery import actions, dkim
from mailwright.delivery.models import DkimKey

ALGORITHM_CHOICES = ("ed25519", "rsa", "ed25519-sha256", "rsa-sha256")


CLI = Actor(channel="cli", actor="mailwright dkim")


class Command(BaseCommand):
    help = "Manage DKIM signing keys: generate, rotate, list (with the DNS records to publish)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", metavar="{generate,rotate,list}")
        sub.required = True
        gen = sub.add_parser("generate", help="make a new active key for DOMAIN")
        gen.add_argument("domain")
        gen.add_argument("--algorithm", default="rsa", help="rsa (RSA-2048, default) or ed25519")
        rot = sub.add_parser(
            "rotate", help="make a new active key for DOMAIN and retire the current one"
        )
        rot.add_argument("domain")
        rot.add_argument(
            "--algorithm", default=None, help="ed25519 or rsa (default: the current key's)"
        )
        lst = sub.add_parser("list", help="list keys and the DNS records to publish")
        lst.add_argument("domain", nargs="?")

    def handle(self, *args, **opts):
        try:
            action = opts["action"]
            if action == "generate":
                key = actions.do_generate_dkim_key(
                    opts["domain"], self._algorithm(opts["algorithm"]), by=CLI
                )
                self._created(key, "Generated")
            elif action == "rotate":
                algorithm = opts["algorithm"]
                key = actions.do_rotate_dkim_key(
                    opts["domain"], self._algorithm(algorithm) if algorithm else None, by=CLI
                )
                self._created(key, "Rotated: new")
                retiring = DkimKey.objects.filter(domain=key.domain, active=False).exclude(
                    pk=key.pk
                )
                for old in retiring:
                    if dkim.key_state(old) == "retiring":
                        name, _ = dkim.dns_record(old)
                        until = old.retired_at + dkim.RETIRING_PERIOD
                        self.stdout.write(
                            f"Retiring {name}: keep its TXT record published until "
                            f"{until:%Y-%m-%d}, then remove it."
                        )
            else:
                self._list(opts.get("domain"))
        except (dkim.InvalidDomain, dkim.UnknownAlgorithm) as exc:
            raise CommandError(str(exc)) from None

    @staticmethod
    def _algorithm(value: str) -> str:
        if (value or "").strip().lower() not in ALGORITHM_CHOICES:
            raise CommandError(f"unknown algorithm {value!r}: use ed25519 or rsa")
        return dkim.normalize_algorithm(value)

    def _created(self, key: DkimKey, verb: str) -> None:
        name, value = dkim.dns_record(key)
        self.stdout.write(f"{verb} {key.get_algorithm_display()} key for {key.domain}")
        self.stdout.write(f"selector: {key.selector} (active)")
        self.stdout.write("")
        self.stdout.write("Publish this DNS TXT record, then run `mailwright dns check DOMAIN`:")
        self.stdout.write(f"  name:  {name}")
        self.stdout.write(f"  value: {value}")
        self.stdout.write("  zone file:")
        self.stdout.write(f"    {dkim.zone_file_line(key)}")
        if key.algorithm == dkim.ED25519:
            self.stdout.write("")
            self.stdout.write(
                "Note: Gmail and many other receivers do not verify Ed25519 signatures (they "
                "report dkim=fail), so mail signed only with this key has no passing DKIM "
                "there. Prefer `--algorithm rsa` for mail to the general public."
            )

    def _list(self, domain: str | None) -> None:
        keys = DkimKey.objects.all()
        if domain:
            keys = keys.filter(domain=dkim.normalize_domain(domain))
        keys = list(keys.order_by("domain", "-created_at", "-id"))
        if not keys:
            self.stdout.write("No DKIM keys." if not domain else f"No DKIM keys for {domain}.")
            return
        for key in keys:
            state = dkim.key_state(key)
            name, value = dkim.dns_record(key)
            line = (
                f"{key.domain}  {key.selector}  {key.algorithm}  {state}  "
                f"created {key.created_at:%Y-%m-%d %H:%M}"
            )
            if key.retired_at:
                line += f"  retired {key.retired_at:%Y-%m-%d %H:%M}"
            self.stdout.write(line)
            if state == "retired":
                self.stdout.write(f"  {name}: no longer needed; its TXT record may be removed")
            else:
                self.stdout.write(f"  TXT {name}")
                self.stdout.write(f"      {value}")
