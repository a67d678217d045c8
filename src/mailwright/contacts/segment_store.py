"""Stored, named segments: create, change and delete them (atomic and audited, the `do_*`
actions), count a tree and list its members. The API and the staff UI both call these.

A segment a draft campaign uses cannot be deleted (the draft would silently widen to
everyone on its topics); once a campaign has started its audience is frozen in the delivery
ledger, so deleting the segment then only clears the campaign's reference (SET_NULL)."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import QuerySet

from mailwright.audit import log as audit
from mailwright.audit.actors import Actor
from mailwright.contacts.models import Contact, Segment
from mailwright.contacts.segments import compile_segment

MAX_NAME = 200
MAX_DESCRIPTION = 5000
TREE = "tree"  # the root of node paths in errors about a stored segment's tree


class SegmentStoreError(ValueError):
    """A stored segment cannot be saved or deleted; `code` is invalid, conflict or in_use."""

    def __init__(self, message: str, field: str = "", code: str = "invalid") -> None:
        super().__init__(message)
        self.field, self.code = field, code


def count(tree: dict | None, root: str = "segment") -> int:
    """How many contacts the tree matches (one COUNT query). Raises SegmentError."""
    return Contact.objects.filter(compile_segment(tree, root)).count()


def members(tree: dict | None, root: str = "segment") -> QuerySet[Contact]:
    """The contacts the tree matches, newest first. Raises SegmentError."""
    return Contact.objects.filter(compile_segment(tree, root)).order_by("-id")


def _clean(name, description, tree) -> tuple[str, str, dict]:
    if not isinstance(name, str) or not name.strip():
        raise SegmentStoreError("the name must not be blank", "name")
    if len(name.strip()) > MAX_NAME:
        raise SegmentStoreError(f"the name is longer than {MAX_NAME} characters", "name")
    if not isinstance(description, str) or len(description) > MAX_DESCRIPTION:
        raise SegmentStoreError(
            f"the description must be text of at most {MAX_DESCRIPTION:,} characters",
            "description",
        )
    if not isinstance(tree, dict):
        raise SegmentStoreError("the tree must be a JSON object (a segment filter tree)", TREE)
    compile_segment(tree, TREE)  # raises SegmentError naming the node
    return name.strip(), description.strip(), tree


def _save(segment: Segment, name: str) -> None:
    try:
        with transaction.atomic():
            segment.save()
    except IntegrityError:
        raise SegmentStoreError(
            f"a segment named {name!r} exists", "name", code="conflict"
        ) from None


def _snapshot(segment: Segment) -> dict:
    return {"name": segment.name, "description": segment.description, "tree": segment.tree}


@transaction.atomic
def do_create_segment(*, name: str, tree: dict, description: str = "", by: Actor) -> Segment:
    name, description, tree = _clean(name, description, tree)
    segment = Segment(name=name, description=description, tree=tree)
    _save(segment, name)
    audit.record(by, "segment.create", "segment", segment.pk, after=_snapshot(segment))
    return segment


@transaction.atomic
def do_update_segment(segment_id: int, *, by: Actor, **changes) -> Segment:
    """Change any of name, description and tree; the others stay as they are."""
    unknown = set(changes) - {"name", "description", "tree"}
    if unknown:
        raise SegmentStoreError(f"cannot change {', '.join(sorted(unknown))}", sorted(unknown)[0])
    segment = Segment.objects.select_for_update().get(pk=segment_id)
    before = _snapshot(segment)
    merged = {**before, **changes}
    name, description, tree = _clean(merged["name"], merged["description"], merged["tree"])
    segment.name, segment.description, segment.tree = name, description, tree
    _save(segment, name)
    after = _snapshot(segment)
    if after != before:
        changed = [k for k in after if after[k] != before[k]]
        audit.record(
            by,
            "segment.update",
            "segment",
            segment.pk,
            before={k: before[k] for k in changed},
            after={k: after[k] for k in changed},
        )
    return segment


def drafts_using(segment: Segment) -> list:
    """Draft campaigns whose audience this segment decides, locked (campaigns are a higher
    layer: reached through the reverse relation)."""
    return list(segment.campaigns.select_for_update().filter(state="draft").order_by("id"))


@transaction.atomic
def do_delete_segment(segment_id: int, *, by: Actor) -> None:
    segment = Segment.objects.select_for_update().get(pk=segment_id)
    drafts = drafts_using(segment)
    if drafts:
        names = ", ".join(f"{c.name!r} (id {c.pk})" for c in drafts[:5])
        raise SegmentStoreError(
            f"draft campaign{'s' if len(drafts) > 1 else ''} {names} use"
            f"{'' if len(drafts) > 1 else 's'} this segment; pick another segment there first",
            code="in_use",
        )
    snapshot = _snapshot(segment)
    pk = segment.pk
    segment.delete()
    audit.record(by, "segment.delete", "segment", pk, before=snapshot)
