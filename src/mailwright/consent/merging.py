"""Merging contacts that are one person (SPEC §2.4): case variants of an address, or
near-duplicates an operator accepted. The rule, the same for a merge, an import and the
migration that made address keys case-insensitive:

- a withdrawal always wins: unsubscribed from a topic anywhere means unsubscribed; the most
  restrictive contact status wins (complained > bounced > unsubscribed > active);
- a confirmed subscription with evidence in the consent ledger (an event that confirmed it)
  is kept; without evidence, pending beats confirmed;
- the survivor's own fields win, blanks are filled from the others; tags are united;
- both histories are kept: ledger events, deliveries and events move to the survivor (the
  ledger's `contact_ref` stays as it was written, so the hash chain still verifies), and the
  merge itself is a ledger entry and an audit row.
"""

from __future__ import annotations

from django.db import transaction

from mailwright.audit import log as audit
from mailwright.audit.actors import Actor
from mailwright.consent import ledger
from mailwright.consent.models import ConsentEvent
from mailwright.consent.signals import merging
from mailwright.contacts import actions as contact_actions
from mailwright.contacts.addresses import email_key
from mailwright.contacts.models import Contact, Subscription

STATUS_RANK = {
    Contact.Status.ACTIVE: 0,
    Contact.Status.UNSUBSCRIBED: 1,
    Contact.Status.BOUNCED: 2,
    Contact.Status.COMPLAINED: 3,
}
FREQUENCY_RANK = {
    Contact.Frequency.EVERY: 0,
    Contact.Frequency.DEFAULT: 1,
    Contact.Frequency.WEEKLY: 2,
    Contact.Frequency.MONTHLY: 3,
}
State = Subscription.State


class MergeError(ValueError):
    """The contacts cannot be merged; the message says why."""


def merged_state(states: list[tuple[str, bool]]) -> str:
    """One subscription state from several (state, confirmed-with-evidence) pairs."""
    found = {state for state, _ in states}
    if State.UNSUBSCRIBED in found:
        return State.UNSUBSCRIBED
    if any(state == State.CONFIRMED and evidence for state, evidence in states):
        return State.CONFIRMED
    if State.PENDING in found:
        return State.PENDING
    return State.CONFIRMED


def confirmed_with_evidence(contact_ids: list[int]) -> set[tuple[int, str]]:
    """(contact id, topic key) pairs whose confirmation is in the ledger."""
    rows = ConsentEvent.objects.filter(
        contact_id__in=contact_ids, state_to=State.CONFIRMED
    ).values_list("contact_id", "topic_key")
    return set(rows)


@transaction.atomic
def do_merge(survivor: Contact, others: list[Contact], *, by: Actor) -> Contact:
    """Merge `others` into `survivor` by the rule above; the others are deleted."""
    ids = [c.pk for c in others if c.pk != survivor.pk]
    if not ids:
        raise MergeError("choose at least one other contact to merge")
    locked = {
        c.pk: c for c in Contact.objects.select_for_update().filter(pk__in=[survivor.pk, *ids])
    }
    if len(locked) != len(ids) + 1:
        raise MergeError("one of the contacts no longer exists (merged or deleted meanwhile)")
    if any(c.status == Contact.Status.ERASED for c in locked.values()):
        raise MergeError("an erased person cannot be merged")
    keep, gone = locked[survivor.pk], [locked[i] for i in ids]
    everyone = [keep, *gone]
    before = {"status": keep.status, "merged": ids}

    changed = _merge_subscriptions(keep, everyone, by)
    _merge_fields(keep, gone)
    # The layers above move what they hold (deliveries, events) to the survivor.
    merging.send(sender=Contact, survivor=keep, merged_ids=ids)
    ConsentEvent.objects.filter(contact_id__in=ids).update(contact=keep)
    Contact.objects.filter(pk__in=ids).delete()
    keep.save()  # after the others are gone: the survivor may take the shared key
    worst = max((c.status for c in everyone), key=STATUS_RANK.__getitem__)
    if worst != keep.status:
        contact_actions.do_set_status(keep, worst, by=by)
    for removed in gone:
        ledger.append(
            contact=keep,
            topic_key="",
            action=f"merged:{removed.pk}"[:32],
            state_from="",
            state_to="",
            by=by,
        )
    audit.record(
        by,
        "contact.merge",
        "contact",
        keep.pk,
        before=before,
        after={"status": keep.status, "subscriptions": changed},
    )
    survivor.refresh_from_db()
    return survivor


def _merge_subscriptions(keep: Contact, everyone: list[Contact], by: Actor) -> dict[str, str]:
    ids = [c.pk for c in everyone]
    evidence = confirmed_with_evidence(ids)
    by_topic: dict[int, list[Subscription]] = {}
    subs = Subscription.objects.select_for_update().filter(contact_id__in=ids)
    for sub in subs.select_related("topic"):
        by_topic.setdefault(sub.topic_id, []).append(sub)
    changed = {}
    for rows in by_topic.values():
        topic = rows[0].topic
        state = merged_state([(s.state, (s.contact_id, topic.key) in evidence) for s in rows])
        mine = next((s for s in rows if s.contact_id == keep.pk), None)
        previous = mine.state if mine else ""
        if mine is None:
            source = next(s for s in rows if s.state == state)
            mine = Subscription(contact=keep, topic=topic, basis=source.basis)
        if previous == state and mine.pk:
            continue
        mine.state = state
        if not mine.basis:
            mine.basis = next((s.basis for s in rows if s.state == state and s.basis), "")
        mine.save()
        ledger.append(
            contact=keep,
            topic_key=topic.key,
            action="merge",
            state_from=previous,
            state_to=state,
            basis=mine.basis,
            by=by,
        )
        changed[topic.key] = state
    return changed


def _merge_fields(keep: Contact, gone: list[Contact]) -> None:
    for other in gone:
        for name in ("name", "birthday", "anniversary", "paused_until", "erased_at"):
            if not getattr(keep, name) and getattr(other, name):
                setattr(keep, name, getattr(other, name))
        if keep.language == "en" and other.language != "en":
            keep.language = other.language
        if keep.time_zone == "UTC" and other.time_zone != "UTC":
            keep.time_zone = other.time_zone
        keep.attributes = {**(other.attributes or {}), **(keep.attributes or {})}
        keep.tags = list(dict.fromkeys([*(keep.tags or []), *(other.tags or [])]))
        keep.engagement_score = max(keep.engagement_score, other.engagement_score)
        if FREQUENCY_RANK[other.frequency] > FREQUENCY_RANK[keep.frequency]:
            keep.frequency = other.frequency
        if other.created_at and other.created_at < keep.created_at:
            keep.created_at = other.created_at  # the person has been known since then


def merge_case_variants(by: Actor | None = None) -> int:
    """Contacts left without a key by the migration (a case variant of an older contact's
    address) are merged into the contact holding the key. Returns how many were merged."""
    by = by or Actor.system("address-key migration", channel="admin")
    merged = 0
    for contact in Contact.objects.filter(email_key__isnull=True).exclude(
        status=Contact.Status.ERASED
    ):
        owner = Contact.objects.filter(email_key=email_key(contact.email)).first()
        if owner is None:
            contact.save()  # fills its key
            continue
        do_merge(owner, [contact], by=by)
        merged += 1
    for contact in Contact.objects.filter(email_key__isnull=True):
        contact.save()
    return merged
