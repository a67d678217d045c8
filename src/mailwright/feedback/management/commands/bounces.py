"""`mailwright bounces parse FILE…`: what the bounce parser makes of saved messages."""

from __future__ import annotations

import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from mailwright import tokens
from mailwright.feedback.parsing import parse_message


def delivery_id(verp_token: str | None) -> int | None:
    """Only a verified VERP token identifies a delivery: headers of the returned original
    (X-Mailwright-Delivery) can be forged by whoever sends us the "bounce"."""
    if not verp_token:
        return None
    try:
        return tokens.read_verp(verp_token)
    except tokens.BadToken:
        return None


def read_files(command: BaseCommand, paths: list[str], emit) -> None:
    """Read each file, call emit(path, raw) → dict, print one JSON line per file; exit 1 at the
    end if any file could not be read (the others are still processed)."""
    failed = 0
    for path in paths:
        try:
            raw = Path(path).read_bytes()
        except OSError as exc:
            failed += 1
            line = {"file": path, "error": exc.strerror or str(exc)}
        else:
            line = {"file": path, **emit(raw)}
        command.stdout.write(json.dumps(line))
    if failed:
        raise CommandError(f"{failed} file(s) could not be read", returncode=1)


class Command(BaseCommand):
    help = (
        "Bounce parsing: `bounces parse FILE…` prints, for each saved message, one JSON line "
        "with whether it is a bounce or an auto-reply, the failed recipients (kind, reason, "
        "status, diagnostic) and the delivery its verified VERP address points to."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        parse = sub.add_parser("parse", help="parse saved messages (.eml files)")
        parse.add_argument("files", nargs="+", metavar="FILE")
        parse.add_argument(
            "--explain",
            action="store_true",
            help='add an "explain" list to each line: which rule decided each field '
            "(the bounce detection, each recipient's address source, kind and reason)",
        )
        parse.add_argument(
            "--bounce-domain",
            default=None,
            help="our bounce domain: its addresses are never reported as failed recipients "
            "(default: the BOUNCE_DOMAIN setting)",
        )

    def handle(self, *args, **opts):
        domain = opts["bounce_domain"] or settings.BOUNCE_DOMAIN
        domains = {domain} if domain else None

        def emit(raw: bytes) -> dict:
            parsed = parse_message(raw, bounce_domains=domains)
            out = {
                "bounce": parsed.bounce,
                "delay": parsed.delay,
                "auto_reply": parsed.auto_reply,
                "recipients": [r.as_dict() for r in parsed.recipients],
                "delivery": delivery_id(parsed.verp_token),
            }
            if opts["explain"]:
                out["explain"] = parsed.trace
            return out

        read_files(self, opts["files"], emit)
