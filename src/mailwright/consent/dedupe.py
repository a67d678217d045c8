"""Reviewing near-duplicates: merge a group an operator accepted (by the merge rule in
consent.merging), or dismiss it. The CLI (`mailwright contacts dedupe`) and the UI's review
page both call these."""

from __future__ import annotations

from mailwright.audit.actors import Actor
from mailwright.consent.merging import MergeError, do_merge
from mailwright.contacts import near_duplicates
from mailwright.contacts.models import Contact


def merge_group(
    key: str,
    *,
    by: Actor,
    survivor_id: int | None = None,
    merge_ids: list[int] | None = None,
) -> Contact:
    """Merge the group's chosen contacts (default: all) into the chosen survivor (default:
    the oldest). Raises MergeError when the group or a chosen contact is gone."""
    group = near_duplicates.group_for(key)
    if group is None:
        raise MergeError("these contacts are no longer near-duplicates (merged or changed)")
    members = {c.id: c for c in group.contacts}
    survivor = members.get(survivor_id) if survivor_id is not None else group.contacts[0]
    if survivor is None:
        raise MergeError("the contact to keep is not in this group")
    chosen = merge_ids if merge_ids is not None else [i for i in members if i != survivor.id]
    others = [members[i] for i in chosen if i in members and i != survivor.id]
    if len(others) != len([i for i in chosen if i != survivor.id]):
        raise MergeError("a contact to merge is not in this group")
    return do_merge(survivor, others, by=by)
