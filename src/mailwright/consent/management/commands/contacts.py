"""`mailwright contacts dedupe`: list near-duplicate contacts (Gmail dots, googlemail.com,
plus-tags) for review; `--merge` merges every group listed into its oldest contact, by the
merge rule (a withdrawal always wins, evidenced consent is kept, both histories are kept)."""

import json

from django.core.management.base import BaseCommand

from mailwright.audit.actors import Actor
from mailwright.consent import dedupe
from mailwright.consent.merging import MergeError
from mailwright.contacts import near_duplicates


class Command(BaseCommand):
    help = "Contact tools: `contacts dedupe` lists near-duplicates; `--merge` merges them."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        find = sub.add_parser("dedupe", help="list near-duplicate contacts, optionally merge")
        find.add_argument("--merge", action="store_true", help="merge each group into its oldest")
        find.add_argument("--json", action="store_true", help="one JSON object per group")
        find.add_argument("--include-dismissed", action="store_true")

    def handle(self, *args, **opts):
        by = Actor.system("contacts dedupe", channel="admin")
        keys = list(near_duplicates.duplicate_keys(include_dismissed=opts["include_dismissed"]))
        found = merged = 0
        for start in range(0, len(keys), 500):
            for group in near_duplicates.groups(keys[start : start + 500]):
                found += 1
                self._show(group, opts["json"])
                if opts["merge"]:
                    try:
                        dedupe.merge_group(group.loose_key, by=by)
                    except MergeError as exc:
                        self.stderr.write(f"  not merged: {exc}")
                    else:
                        merged += len(group.contacts) - 1
        if not opts["json"]:
            summary = f"{found} group{'s' if found != 1 else ''} of near-duplicates"
            if opts["merge"]:
                summary += f"; {merged} contact{'s' if merged != 1 else ''} merged"
            elif found:
                summary += " (review them, then run with --merge or use Contacts → Duplicates)"
            self.stdout.write(summary)

    def _show(self, group, as_json: bool) -> None:
        if as_json:
            self.stdout.write(json.dumps(group.as_dict(), ensure_ascii=False))
            return
        self.stdout.write(f"{group.loose_key}: {'; '.join(group.reasons)}")
        for c in group.contacts:
            self.stdout.write(f"  #{c.id} {c.email} ({c.status}, since {c.created_at:%Y-%m-%d})")
