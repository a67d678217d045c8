"""`mailwright dns check DOMAIN [--relay-host HOST] [--json]`: SPF, DKIM, DMARC and
alignment for a sending domain. Exit code 0 when everything needed is in place, 1 when an
item is missing, mismatched or could not be looked up, 2 for a malformed domain."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from mailwright.delivery import dkim, dns_check


class Command(BaseCommand):
    help = "Check the DNS records (SPF, DKIM, DMARC) of a sending domain."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", metavar="{check}")
        sub.required = True
        chk = sub.add_parser("check", help="look up and compare the records for DOMAIN")
        chk.add_argument("domain")
        chk.add_argument(
            "--relay-host", default=None, help="the SMTP relay's host name or IP, for SPF"
        )
        chk.add_argument("--json", action="store_true", help="print the report as JSON")

    def handle(self, *args, **opts):
        try:
            domain = dkim.normalize_domain(opts["domain"])
        except dkim.InvalidDomain as exc:
            raise CommandError(str(exc), returncode=2) from None
        report = dns_check.check(
            domain, resolver=dns_check.make_resolver(), relay_host=opts.get("relay_host")
        )
        if opts.get("json"):
            self.stdout.write(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
        else:
            self.stdout.write(dns_check.format_table(report), ending="")
        if not report.ok:
            raise SystemExit(1)
