from datetime import datetime
from typing import Literal

import pydantic
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpResponse
from ninja import Query, Router, Schema, Status
from pydantic import ConfigDict, Field

from mailwright.api.errors import ApiError, field_from_loc
from mailwright.api.pagination import page
from mailwright.api.schemas import (
    BatchIn,
    BatchOut,
    ContactIn,
    ContactOut,
    ContactPatch,
    ErasedOut,
    TimelineEntryOut,
)
from mailwright.audit.actors import Actor
from mailwright.consent import actions as consent_actions
from mailwright.consent import directory, privacy
from mailwright.contacts import export, listing
from mailwright.contacts.addresses import InvalidAddress, email_key, normalize_email
from mailwright.contacts.models import Contact, Segment, Topic
from mailwright.contacts.segments import compile_segment
from mailwright.feedback import engagement, timeline

router = Router(tags=["contacts"])


def actor(request) -> Actor:
    return Actor.from_api_key(request)


def contact_out(contact: Contact) -> dict:
    subs = contact.subscriptions.select_related("topic").order_by("topic__key")
    return {
        "id": contact.id,
        "email": contact.email,
        "name": contact.name,
        "language": contact.language,
        "attributes": contact.attributes,
        "tags": contact.tags,
        "time_zone": contact.time_zone,
        "birthday": contact.birthday,
        "anniversary": contact.anniversary,
        "status": contact.status,
        "created_at": contact.created_at,
        "subscriptions": [
            {"topic": s.topic.key, "state": s.state, "basis": s.basis, "updated_at": s.updated_at}
            for s in subs
        ],
    }


EDITABLE = ("name", "language", "attributes", "tags", "time_zone", "birthday", "anniversary")


def to_input(data: dict, email: str | None = None) -> directory.ContactInput:
    """`data` holds only the fields the client sent (`exclude_unset`): a field left out stays
    as it is; attributes are merged, tags replaced, a null date cleared."""
    subs = [directory.SubscriptionRequest(**s) for s in data.get("subscriptions") or []]
    return directory.ContactInput(
        email=email if email is not None else data["email"],
        name=data.get("name"),
        language=data.get("language"),
        attributes=data.get("attributes"),
        tags=data.get("tags"),
        time_zone=data.get("time_zone"),
        birthday=data.get("birthday", directory.KEEP),
        anniversary=data.get("anniversary", directory.KEEP),
        subscriptions=subs,
    )


@router.post("", response={201: ContactOut})
def create_contact(request, data: ContactIn):
    payload = data.model_dump(exclude_unset=True)
    contact, _ = directory.upsert(to_input(payload), by=actor(request), create_only=True)
    return Status(201, contact_out(contact))


class ContactFilters(Schema):
    """The contact list's filters (as in the UI list, docs/contacts.md), and a stored segment."""

    q: str = ""
    status: str = ""
    topic: str = ""
    state: str = ""
    tag: str = ""
    language: str = ""
    created_after: str = ""
    created_before: str = ""
    segment: int | None = None


def matching(request, segment: int | None) -> tuple[listing.ContactFilter, QuerySet]:
    """The filters read from the query string, and the contacts they (and `segment`) match."""
    try:
        chosen = listing.parse(request.GET)
    except listing.FilterError as exc:
        raise ApiError(422, "invalid", str(exc), exc.field) from None
    qs = chosen.queryset()
    if segment is not None:
        stored = Segment.objects.filter(pk=segment).values_list("tree", flat=True).first()
        if stored is None:
            raise ApiError(404, "not_found", f"no segment with id {segment}", "segment")
        qs = qs.filter(compile_segment(stored, "tree"))
    return chosen, qs


@router.get("", response=list[ContactOut])
def list_contacts(
    request,
    response: HttpResponse,
    filters: Query[ContactFilters],
    email: str = "",
    limit: int = 100,
    offset: int = 0,
):
    """Contacts, oldest first, filtered like the UI list; `?segment=ID`: only the members of
    that stored segment; `?email=`: the one contact with that address, in any case."""
    _, qs = matching(request, filters.segment)
    if email:
        try:
            qs = qs.filter(email_key=email_key(normalize_email(email)))
        except InvalidAddress as exc:
            raise ApiError(422, "invalid", str(exc), "email") from None
    return [contact_out(c) for c in page(request, response, qs.order_by("id"), limit, offset)]


@router.get("/export.csv", response=None)
def export_contacts(request, filters: Query[ContactFilters]):
    """Every contact matching the filters (and `?segment=ID`) as CSV (UTF-8 with BOM),
    streamed. Audited."""
    chosen, qs = matching(request, filters.segment)
    params = chosen.params() | ({"segment": filters.segment} if filters.segment else {})
    pieces = export.do_export(qs, by=actor(request), filters=params)
    return export.response(request, pieces, "contacts.csv")


@router.post("/batch", response=BatchOut)
def batch_contacts(request, data: BatchIn):
    """Upsert up to 1,000 contacts by normalized email; bad rows are reported, not fatal."""
    created = updated = 0
    errors = []
    by = actor(request)
    for index, raw in enumerate(data.contacts):
        try:
            item = ContactIn.model_validate(raw)
        except pydantic.ValidationError as exc:
            first = exc.errors()[0]
            field = field_from_loc(first.get("loc", ()), prefixed=False)
            msg = "this field is required" if first.get("type") == "missing" else first["msg"]
            if field is None:
                msg = f"each contact must be a JSON object ({msg})"
            errors.append(
                {
                    "index": index,
                    "code": "invalid",
                    "message": f"{field}: {msg}" if field else msg,
                    "field": field,
                }
            )
            continue
        try:
            with transaction.atomic():
                payload = item.model_dump(exclude_unset=True)
                _, was_created = directory.upsert(to_input(payload), by=by)
        except directory.ContactError as exc:
            errors.append(
                {"index": index, "code": exc.code, "message": str(exc), "field": exc.field or None}
            )
            continue
        created += was_created
        updated += not was_created
    return {"created": created, "updated": updated, "errors": errors}


@router.get("/{contact_id}", response=ContactOut)
def get_contact(request, contact_id: int):
    return contact_out(Contact.objects.get(pk=contact_id))


@router.patch("/{contact_id}", response=ContactOut)
def update_contact(request, contact_id: int, data: ContactPatch):
    contact = Contact.objects.get(pk=contact_id)
    payload = data.dict(exclude_unset=True)
    by = actor(request)
    contact, _ = directory.upsert(to_input(payload, email=contact.email), by=by)
    privacy.record_rectification(contact, by, sorted(k for k in EDITABLE if k in payload))
    return contact_out(contact)


@router.get("/{contact_id}/consent", response=dict)
def get_consent_proof(request, contact_id: int):
    """The contact's consent record: subscriptions and every ledger event with the exact
    consent text shown, and the hash-chain links."""
    return privacy.consent_proof(Contact.objects.get(pk=contact_id))


@router.get("/{contact_id}/export", response=dict)
def export_contact(request, contact_id: int):
    """Everything held about the person (GDPR access request). Audited."""
    return privacy.export(Contact.objects.get(pk=contact_id), by=actor(request))


@router.post("/{contact_id}/erase", response=ErasedOut)
def erase_contact(request, contact_id: int):
    """Erase the person (GDPR erasure request): personal data removed everywhere, a salted
    hash of the address kept on the suppression list so it cannot come back. Audited."""
    contact = Contact.objects.get(pk=contact_id)
    if contact.status == Contact.Status.ERASED:
        raise ApiError(409, "erased", "this contact is already erased")
    privacy.erase(contact, by=actor(request))
    return {"id": contact.id, "status": contact.status}


class UnsubscribeIn(Schema):
    model_config = ConfigDict(extra="forbid")
    topics: list[str] | None = Field(None, max_length=200)


@router.post("/{contact_id}/unsubscribe", response=ContactOut)
def unsubscribe_contact(request, contact_id: int, data: UnsubscribeIn):
    """Unsubscribe from the given topics (by key), or from everything when `topics` is
    omitted: the same action, ledger entry, event and webhook as the recipient's own link."""
    contact = Contact.objects.get(pk=contact_id)
    topics = None
    if data.topics is not None:
        found = {t.key: t for t in Topic.objects.filter(key__in=data.topics)}
        unknown = [k for k in data.topics if k not in found]
        if unknown:
            raise ApiError(422, "unknown_topic", f"unknown topic {unknown[0]!r}", "topics")
        topics = list(found.values())
    consent_actions.do_unsubscribe(contact, by=actor(request), topics=topics)
    contact.refresh_from_db()
    return contact_out(contact)


class PurchaseIn(Schema):
    model_config = ConfigDict(extra="forbid")
    type: Literal["purchase"]
    amount: float | None = Field(None, ge=0, le=1e12)
    reference: str = Field("", max_length=200)


class EventOut(Schema):
    id: int
    type: str
    created_at: datetime


@router.post("/{contact_id}/events", response={201: EventOut})
def add_event(request, contact_id: int, data: PurchaseIn):
    """Record a purchase: it feeds the contact's engagement score (and segments)."""
    contact = Contact.objects.get(pk=contact_id)
    event = engagement.record_purchase(contact, amount=data.amount, reference=data.reference)
    return Status(201, event)


@router.get("/{contact_id}/timeline", response=list[TimelineEntryOut])
def get_timeline(
    request,
    response: HttpResponse,
    contact_id: int,
    order: Literal["oldest", "newest"] = "oldest",
    limit: int = 100,
    offset: int = 0,
):
    """Everything about the person in time order: consent changes from the consent ledger,
    what happened to mail sent to them (sent, opened, clicked, bounced, complained, …) and
    their erasure. The same timeline as the contact page."""
    entries = timeline.contact_timeline(
        Contact.objects.get(pk=contact_id), newest_first=order == "newest"
    )
    return [entry.as_dict() for entry in page(request, response, entries, limit, offset)]
