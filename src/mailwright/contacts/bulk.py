"""Bulk actions on contacts' own fields (the list's "add tag" / "remove tag"), and what every
bulk action shares: chunks of 1,000 contacts, each in its own transaction, and one audit row
per operation with the count and the ids (as ranges, so "all 200,000 matching" stays small).
The consent-changing bulk actions (subscribe, unsubscribe, delete) are in
consent.bulk_actions."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import QuerySet

from mailwright.audit import log as audit
from mailwright.audit.actors import Actor
from mailwright.contacts import fields
from mailwright.contacts.listing import CHUNK, id_chunks
from mailwright.contacts.models import Contact


@dataclass
class BulkResult:
    """What a bulk action did: `changed` contacts, and those skipped, counted by reason."""

    action: str
    matched: int = 0
    changed: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    ids: list[int] = field(default_factory=list)  # every contact the action was applied to
    extra: dict[str, int] = field(default_factory=dict)  # e.g. {"suppressed": 3}

    def skip(self, reason: str, count: int = 1) -> None:
        if count:
            self.skipped[reason] = self.skipped.get(reason, 0) + count

    def summary(self) -> str:
        noun = "contact" if self.changed == 1 else "contacts"
        text = f"{self.changed:,} {noun} changed"
        for what, n in self.extra.items():
            text += f" ({n:,} {what})"
        if self.skipped:
            parts = ", ".join(f"{n:,} {why}" for why, n in sorted(self.skipped.items()))
            text += f"; skipped: {parts}"
        return text


def id_ranges(ids: Iterable[int]) -> list[list[int]]:
    """Sorted ids as [first, last] runs: [1, 2, 3, 7] → [[1, 3], [7, 7]]."""
    runs: list[list[int]] = []
    for i in sorted(ids):
        if runs and i == runs[-1][1] + 1:
            runs[-1][1] = i
        else:
            runs.append([i, i])
    return runs


def audit_bulk(by: Actor, result: BulkResult, detail: dict) -> None:
    """The one audit row of a bulk operation."""
    audit.record(
        by,
        f"contact.bulk_{result.action}"[:64],
        "contact",
        "",
        after={
            **detail,
            "matched": result.matched,
            "changed": result.changed,
            "skipped": result.skipped,
            **result.extra,
            "ids": id_ranges(result.ids),
        },
    )


def do_bulk_tag(qs: QuerySet[Contact], tag: str, *, add: bool, by: Actor) -> BulkResult:
    """Add `tag` to (or remove it from) every contact of `qs`; erased people are left alone."""
    tag = fields.clean_tag(tag, "tag")
    result = BulkResult("add_tag" if add else "remove_tag")
    for ids in id_chunks(qs, CHUNK):
        with transaction.atomic():
            rows = Contact.objects.select_for_update().filter(id__in=ids).order_by("id")
            changed = []
            for pk, tags, status in rows.values_list("id", "tags", "status"):
                result.matched += 1
                tags = tags if isinstance(tags, list) else []
                if status == Contact.Status.ERASED:
                    result.skip("erased")
                elif add and tag in tags:
                    result.skip("already tagged")
                elif add and len(tags) >= fields.MAX_TAGS:
                    result.skip(f"already {fields.MAX_TAGS} tags")
                elif not add and tag not in tags:
                    result.skip("not tagged")
                else:
                    new = [*tags, tag] if add else [t for t in tags if t != tag]
                    changed.append(Contact(pk=pk, tags=new))
            Contact.objects.bulk_update(changed, ["tags"], batch_size=500)
            result.changed += len(changed)
            result.ids += [c.pk for c in changed]
    audit_bulk(by, result, {"tag": tag})
    return result
