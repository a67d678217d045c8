"""/api/v1/segments: stored segments (CRUD), counting any tree, and a segment's members.
Invalid trees are 422 `invalid_segment` with the message naming the node
(`tree.and[2].value: ...`); the grammar is in docs/segments.md."""

from __future__ import annotations

from django.http import HttpResponse
from ninja import Router, Status

from mailwright.api.contacts import actor, contact_out
from mailwright.api.errors import ApiError
from mailwright.api.pagination import page
from mailwright.api.schemas import (
    ContactOut,
    SegmentCountIn,
    SegmentCountOut,
    SegmentIn,
    SegmentOut,
    SegmentPatch,
)
from mailwright.contacts import segment_store
from mailwright.contacts.models import Segment

router = Router(tags=["segments"])
STATUS = {"conflict": 409, "in_use": 409, "not_found": 404}


def segment_out(segment: Segment, with_count: bool) -> dict:
    return {
        "id": segment.id,
        "name": segment.name,
        "description": segment.description,
        "tree": segment.tree,
        "count": segment_store.count(segment.tree, segment_store.TREE) if with_count else None,
        "created_at": segment.created_at,
        "updated_at": segment.updated_at,
    }


def _refused(exc: segment_store.SegmentStoreError) -> ApiError:
    return ApiError(STATUS.get(exc.code, 422), exc.code, str(exc), exc.field or None)


@router.post("", response={201: SegmentOut})
def create_segment(request, data: SegmentIn):
    try:
        segment = segment_store.do_create_segment(**data.dict(), by=actor(request))
    except segment_store.SegmentStoreError as exc:
        raise _refused(exc) from None
    return Status(201, segment_out(segment, with_count=True))


@router.get("", response=list[SegmentOut])
def list_segments(
    request, response: HttpResponse, count: bool = False, limit: int = 100, offset: int = 0
):
    """Stored segments by name; `?count=1` adds how many contacts each matches now."""
    rows = page(request, response, Segment.objects.order_by("name"), limit, offset)
    return [segment_out(s, with_count=count) for s in rows]


@router.post("/count", response=SegmentCountOut)
def count_tree(request, data: SegmentCountIn):
    """How many contacts a tree matches, without storing it (the builder's live count)."""
    return {"count": segment_store.count(data.segment)}


@router.get("/{segment_id}", response=SegmentOut)
def get_segment(request, segment_id: int):
    return segment_out(Segment.objects.get(pk=segment_id), with_count=True)


@router.patch("/{segment_id}", response=SegmentOut)
def update_segment(request, segment_id: int, data: SegmentPatch):
    changes = data.dict(exclude_unset=True)
    for name, value in changes.items():
        if value is None:
            raise ApiError(422, "invalid", f"{name} cannot be null", name)
    Segment.objects.get(pk=segment_id)  # 404 before anything else
    try:
        segment = segment_store.do_update_segment(segment_id, by=actor(request), **changes)
    except segment_store.SegmentStoreError as exc:
        raise _refused(exc) from None
    return segment_out(segment, with_count=True)


@router.delete("/{segment_id}", response={204: None})
def delete_segment(request, segment_id: int):
    """409 `in_use` while a draft campaign uses it."""
    Segment.objects.get(pk=segment_id)
    try:
        segment_store.do_delete_segment(segment_id, by=actor(request))
    except segment_store.SegmentStoreError as exc:
        raise _refused(exc) from None
    return Status(204, None)


@router.get("/{segment_id}/contacts", response=list[ContactOut])
def segment_contacts(
    request, response: HttpResponse, segment_id: int, limit: int = 100, offset: int = 0
):
    """The contacts the segment matches now, newest first (X-Total-Count, Link: next)."""
    segment = Segment.objects.get(pk=segment_id)
    members = segment_store.members(segment.tree, segment_store.TREE)
    return [contact_out(c) for c in page(request, response, members, limit, offset)]
