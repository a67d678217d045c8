"""Bulk consent actions of the contact list: subscribe to a topic, unsubscribe (from a topic or
from everything) with a reason, delete. Chunks of 1,000 contacts, each in its own
transaction; every subscription change is its own consent-ledger event (the ledger is the
per-person proof), the operation as a whole is one audit row (contacts.bulk.audit_bulk).

The same rules as the single-contact paths, stricter where a bulk action could undo a "no":
nobody who withdrew (unsubscribed from everything, bounced, complained, erased, suppressed, or
unsubscribed from the topic) is subscribed, a confirmation is never downgraded to pending, and
deleting someone who withdrew first puts their address on the suppression list, so deleting
cannot become a way to import them again."""

from __future__ import annotations

from django.db import transaction
from django.db.models import QuerySet

from mailwright.audit.actors import Actor
from mailwright.audit.events import DomainEvent, emit_many
from mailwright.consent.actions import set_state
from mailwright.consent.models import Suppression
from mailwright.consent.suppression import do_suppress, suppressed_among
from mailwright.contacts.bulk import BulkResult, audit_bulk
from mailwright.contacts.listing import CHUNK, id_chunks
from mailwright.contacts.models import Contact, Subscription, Topic

State = Subscription.State
Status = Contact.Status
WITHDRAWN = {Status.UNSUBSCRIBED, Status.COMPLAINED, Status.BOUNCED}
DELETE_DETAIL = "deleted after unsubscribing"


class BulkActionError(ValueError):
    """The bulk action cannot run as asked; `field` names the input at fault."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field


def _locked(ids: list[int]) -> list[Contact]:
    return list(Contact.objects.select_for_update().filter(id__in=ids).order_by("id"))


def do_bulk_subscribe(
    qs: QuerySet[Contact], topic: Topic, state: str, basis: str = "", *, by: Actor
) -> BulkResult:
    """Subscribe every contact of `qs` to `topic`, pending or confirmed (with its basis)."""
    basis = (basis or "").strip()[:300]
    if state not in (State.PENDING, State.CONFIRMED):
        raise BulkActionError("state must be 'pending' or 'confirmed'", "state")
    if state == State.CONFIRMED and not basis:
        raise BulkActionError(
            "a confirmed subscription needs its consent basis (how and when they agreed)",
            "basis",
        )
    result = BulkResult("subscribe")
    for ids in id_chunks(qs, CHUNK):
        with transaction.atomic():
            contacts = _locked(ids)
            subs = Subscription.objects.filter(contact_id__in=ids, topic=topic)
            current = dict(subs.values_list("contact_id", "state"))
            suppressed = suppressed_among(c.email for c in contacts if c.status == Status.ACTIVE)
            for contact in contacts:
                result.matched += 1
                now = current.get(contact.pk)
                if contact.status != Status.ACTIVE:
                    result.skip(f"status {contact.status}")
                elif contact.email in suppressed:
                    result.skip("suppressed")
                elif now == State.UNSUBSCRIBED:
                    result.skip("unsubscribed from this topic")
                elif now == state:
                    result.skip(f"already {state}")
                elif now == State.CONFIRMED:
                    result.skip("already confirmed")
                else:
                    set_state(contact, topic, state, by, basis, None)
                    result.changed += 1
                    result.ids.append(contact.pk)
    audit_bulk(by, result, {"topic": topic.key, "state": state, "basis": basis})
    return result


def do_bulk_unsubscribe(
    qs: QuerySet[Contact], topic: Topic | None, reason: str, *, by: Actor
) -> BulkResult:
    """Unsubscribe every contact of `qs` from `topic`, or from everything (`topic=None`: every
    subscription, and the status becomes `unsubscribed`). The reason is each ledger event's
    basis. Each person changed gets an `unsubscribed` event (and webhook), as one by one."""
    reason = (reason or "").strip()[:300]
    if not reason:
        raise BulkActionError("say why (e.g. 'asked by phone, 2026-05-01')", "reason")
    scope = "all" if topic is None else "topics"
    result = BulkResult("unsubscribe")
    for ids in id_chunks(qs, CHUNK):
        with transaction.atomic():
            contacts = _locked(ids)
            targets: dict[int, list[Topic]] = {}
            if topic is None:
                open_subs = Subscription.objects.filter(contact_id__in=ids).exclude(
                    state=State.UNSUBSCRIBED
                )
                for sub in open_subs.select_related("topic").order_by("topic__key"):
                    targets.setdefault(sub.contact_id, []).append(sub.topic)
            events, now_unsubscribed = [], []
            for contact in contacts:
                result.matched += 1
                if contact.status == Status.ERASED:
                    result.skip("erased")
                    continue
                mine = [topic] if topic is not None else targets.get(contact.pk, [])
                changed = [
                    t.key
                    for t in mine
                    if set_state(contact, t, State.UNSUBSCRIBED, by, reason, None) is not None
                ]
                status_change = topic is None and contact.status == Status.ACTIVE
                if not changed and not status_change:
                    result.skip("already unsubscribed")
                    continue
                if status_change:
                    now_unsubscribed.append(contact.pk)
                result.changed += 1
                result.ids.append(contact.pk)
                events.append(
                    DomainEvent(
                        "unsubscribed",
                        {"channel": by.channel, "scope": scope, "topics": changed},
                        email=contact.email,
                        contact_id=contact.pk,
                    )
                )
            Contact.objects.filter(id__in=now_unsubscribed, status=Status.ACTIVE).update(
                status=Status.UNSUBSCRIBED
            )
            emit_many(events)
    detail = {"topic": topic.key if topic else None, "scope": scope, "reason": reason}
    audit_bulk(by, result, detail)
    return result


def do_bulk_delete(qs: QuerySet[Contact], *, by: Actor) -> BulkResult:
    """Delete every contact of `qs` (erased people stay: their record is the proof). Whoever
    withdrew (unsubscribed from everything or any topic, complained, bounced) is first added
    to the suppression list (reason "manual", detail "deleted after unsubscribing")."""
    result = BulkResult("delete", extra={"suppressed": 0})
    for ids in id_chunks(qs, CHUNK):
        with transaction.atomic():
            contacts = _locked(ids)
            result.matched += len(contacts)
            live = [c for c in contacts if c.status != Status.ERASED]
            result.skip("erased", len(contacts) - len(live))
            said_no = set(
                Subscription.objects.filter(
                    contact_id__in=ids, state=State.UNSUBSCRIBED
                ).values_list("contact_id", flat=True)
            )
            withdrawn = [c for c in live if c.status in WITHDRAWN or c.pk in said_no]
            already = suppressed_among(c.email for c in withdrawn)
            for contact in withdrawn:
                if contact.email not in already:
                    do_suppress(contact.email, Suppression.Reason.MANUAL, DELETE_DETAIL, by=by)
                    result.extra["suppressed"] += 1
            Contact.objects.filter(id__in=[c.pk for c in live]).delete()
            result.changed += len(live)
            result.ids += [c.pk for c in live]
    audit_bulk(by, result, {})
    return result
