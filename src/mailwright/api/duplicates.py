"""/api/v1/contacts/duplicates: near-duplicate contacts for review (Gmail dots,
googlemail.com, plus-tags), merged by the merge rule or dismissed — the API twin of
Contacts → Duplicates and `mailwright contacts dedupe` (docs/deduplication.md)."""

from __future__ import annotations

from django.http import HttpResponse
from ninja import Router, Schema, Status
from pydantic import ConfigDict, Field

from mailwright.api.contacts import actor, contact_out
from mailwright.api.errors import ApiError
from mailwright.api.pagination import page
from mailwright.api.schemas import ContactOut
from mailwright.consent import dedupe
from mailwright.consent.merging import MergeError
from mailwright.contacts import actions as contact_actions
from mailwright.contacts import near_duplicates

router = Router(tags=["contacts"])


class DuplicateGroupOut(Schema):
    key: str
    reasons: list[str]
    contacts: list[dict]


class MergeIn(Schema):
    model_config = ConfigDict(extra="forbid")
    key: str = Field(..., min_length=3, max_length=320)
    keep: int | None = Field(None, ge=1)
    merge: list[int] | None = Field(None, min_length=1, max_length=100)


class DismissIn(Schema):
    model_config = ConfigDict(extra="forbid")
    key: str = Field(..., min_length=3, max_length=320)


@router.get("/duplicates", response=list[DuplicateGroupOut])
def list_duplicates(request, response: HttpResponse, limit: int = 50, offset: int = 0):
    """Groups of contacts that probably share a mailbox, oldest contact first in each."""
    keys = page(request, response, near_duplicates.duplicate_keys(), limit, offset)
    return [group.as_dict() for group in near_duplicates.groups(keys)]


@router.post("/duplicates/merge", response=ContactOut)
def merge_duplicates(request, data: MergeIn):
    """Merge a group (`key` from the list) into `keep` (default: its oldest contact); `merge`
    names the ones to merge (default: all the others). Returns the contact kept."""
    try:
        kept = dedupe.merge_group(
            data.key, by=actor(request), survivor_id=data.keep, merge_ids=data.merge
        )
    except MergeError as exc:
        raise ApiError(409, "not_mergeable", str(exc), "key") from None
    return contact_out(kept)


@router.post("/duplicates/dismiss", response={204: None})
def dismiss_duplicates(request, data: DismissIn):
    """These are different people: the group is not listed again."""
    contact_actions.do_dismiss_duplicates(data.key, by=actor(request))
    return Status(204, None)
