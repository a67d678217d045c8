"""Exclusion groups (SPEC §4.5): list them, add people a group reached outside Mailwright
(JSON rows or a CSV upload), list a group's entries."""

from __future__ import annotations

from datetime import datetime

from django.http import HttpResponse
from ninja import Router, Schema, Status

from mailwright.api.errors import ApiError
from mailwright.api.pagination import page
from mailwright.api.parser import BodyError, StrictJSONParser
from mailwright.audit.actors import Actor
from mailwright.campaigns.exclusions import (
    ExclusionError,
    check_group,
    do_add_exclusion_entries,
    groups,
    read_csv,
)
from mailwright.campaigns.models import ExclusionEntry

router = Router(tags=["exclusion groups"])


class GroupCampaignOut(Schema):
    id: int
    name: str
    state: str
    window_hours: int


class GroupOut(Schema):
    group: str
    entries: int
    latest_reached_at: datetime | None
    campaigns: list[GroupCampaignOut]


class EntryOut(Schema):
    id: int
    email: str
    contact_id: int | None
    channel: str
    reached_at: datetime
    created_at: datetime


class AddedOut(Schema):
    group: str
    added: int


class EntriesError(Exception):
    """422 with every bad row (`errors`: [{"index", "field", "message"}])."""

    def __init__(self, exc: ExclusionError) -> None:
        self.exc = exc


@router.get("", response=list[GroupOut])
def list_groups(request):
    return groups()


@router.get("/{group}/entries", response=list[EntryOut])
def list_entries(request, response: HttpResponse, group: str, limit: int = 100, offset: int = 0):
    return page(request, response, ExclusionEntry.objects.filter(group=group), limit, offset)


@router.post("/{group}/entries", response={201: AddedOut})
def add_entries(request, group: str):
    """A JSON list of {"email", "reached_at", "channel"} (up to 10,000), or a text/csv body
    with the columns email,reached_at,channel. All rows are added or none."""
    kind = (request.content_type or "").lower()
    try:
        check_group(group)
        if not request.body.strip():
            raise ExclusionError("the request body is empty: send a JSON list or a CSV file")
        if kind in ("text/csv", "application/csv"):
            rows = read_csv(request.body)
        elif kind == "application/json":
            try:
                rows = StrictJSONParser().parse_body(request)
            except BodyError as exc:
                code = "bad_request" if exc.status == 400 else "invalid"
                raise ApiError(exc.status, code, exc.message, exc.field) from None
            if not isinstance(rows, list):
                raise ApiError(
                    422, "invalid", "the body must be a JSON list of {email, reached_at, channel}"
                )
        else:
            raise ApiError(
                415, "unsupported_media_type", "send application/json (a list) or text/csv"
            )
        added = do_add_exclusion_entries(group, rows, Actor.from_api_key(request))
    except ExclusionError as exc:
        raise EntriesError(exc) from None
    return Status(201, {"group": group.strip(), "added": added})


def install(api) -> None:
    @api.exception_handler(EntriesError)
    def _bad_rows(request, err: EntriesError):
        out = {"error": {"code": "invalid", "message": str(err.exc), "field": None}}
        if err.exc.problems:
            out["errors"] = err.exc.problems
        return api.create_response(request, out, status=422)
