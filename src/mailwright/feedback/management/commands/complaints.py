"""`mailwright complaints parse FILE…`: what the complaint (ARF) parser makes of saved
messages."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand

from mailwright.feedback.management.commands.bounces import delivery_id, read_files
from mailwright.feedback.parsing import parse_message


class Command(BaseCommand):
    help = (
        "Complaint parsing: `complaints parse FILE…` prints, for each saved message, one JSON "
        "line with whether it is a complaint (ARF feedback report), the complaining recipient, "
        "the original Message-ID, the feedback type and the delivery its verified VERP address "
        "points to (what ties a report with a redacted recipient to the contact)."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        parse = sub.add_parser("parse", help="parse saved messages (.eml files)")
        parse.add_argument("files", nargs="+", metavar="FILE")
        parse.add_argument(
            "--bounce-domain",
            default=None,
            help="our bounce domain (default: the BOUNCE_DOMAIN setting)",
        )

    def handle(self, *args, **opts):
        domain = opts["bounce_domain"] or settings.BOUNCE_DOMAIN
        domains = {domain} if domain else None

        def emit(raw: bytes) -> dict:
            parsed = parse_message(raw, bounce_domains=domains)
            return {
                "complaint": parsed.complaint,
                "recipient": parsed.complaint_recipient,
                "original_message_id": parsed.original_message_id,
                "feedback_type": parsed.feedback_type,
                "delivery": delivery_id(parsed.verp_token),
            }

        read_files(self, opts["files"], emit)
