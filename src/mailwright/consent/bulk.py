"""The batched write path for imports (SPEC §2.3–2.4): many contacts with their subscriptions
in one round trip per table, by the same rules as `directory.upsert` and the merge rule
(`merging.merged_state`):

- an erased or suppressed address is never added or re-subscribed (the row is refused with
  the reason alone);
- a withdrawal always wins: an unsubscribed topic, or a contact who is unsubscribed from
  everything, bounced or complained, gets no subscription from an import;
- a confirmed subscription with evidence in the ledger is not downgraded by a row without
  evidence; a row with evidence confirms (with the import's basis), one without makes the
  subscription pending;
- every subscription change is a ledger event (channel "import"), written by
  `ledger.append_many` under one head lock.

The caller (imports.running) runs each batch in one transaction and writes one audit row per
import, not per row."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.utils import timezone

from mailwright.audit.actors import Actor
from mailwright.consent import ledger
from mailwright.consent.actions import LEDGER_ACTIONS
from mailwright.consent.hashing import address_hashes
from mailwright.consent.merging import confirmed_with_evidence, merged_state
from mailwright.consent.models import Suppression
from mailwright.contacts.models import Contact, Subscription, Topic

State = Subscription.State
SUPPRESSED_REASONS = {
    Suppression.Reason.HARD_BOUNCE: "suppressed (hard bounce)",
    Suppression.Reason.COMPLAINT: "suppressed (complaint)",
    Suppression.Reason.MANUAL: "suppressed (added to the suppression list)",
    Suppression.Reason.SOFT_BOUNCES: "suppressed (repeated soft bounces)",
    Suppression.Reason.ERASED: "erased at the person's request: cannot be added again",
}
WITHDRAWN = (Contact.Status.UNSUBSCRIBED, Contact.Status.BOUNCED, Contact.Status.COMPLAINED)
# Contact fields an import writes; a blank value in the file never clears one.
FIELDS = ("name", "language", "time_zone", "birthday", "anniversary")

IMPORTED, UPDATED, UNCHANGED, REJECTED = "imported", "updated", "unchanged", "rejected"


@dataclass(slots=True)
class Incoming:
    """One person from the file, already validated and cleaned."""

    email: str  # normalized (contacts.addresses.normalize_email), spelling kept
    key: str  # contacts.addresses.email_key
    name: str = ""
    language: str = ""
    time_zone: str = ""
    birthday: date | None = None
    anniversary: date | None = None
    tags: list[str] = field(default_factory=list)
    attributes: dict = field(default_factory=dict)  # cleaned, no None values
    evidence: bool = False  # the row carries consent evidence
    fill_only: bool = False  # a later duplicate: only fills blanks, never overwrites


@dataclass(slots=True)
class Outcome:
    """What happened to one Incoming: `result` is imported/updated/unchanged/rejected."""

    result: str
    reason: str = ""
    contact_id: int | None = None
    pending_topics: list[str] = field(default_factory=list)  # newly pending: opt-in candidates


def suppression_reasons(emails: list[str]) -> dict[str, str]:
    """address → why it may not be imported, for the suppressed or erased ones (one query)."""
    by_hash: dict[str, str] = {}
    for email in emails:
        for digest in address_hashes(email):
            by_hash[digest] = email
    found: dict[str, str] = {}
    rows = Suppression.objects.filter(email_hash__in=list(by_hash)).values_list(
        "email_hash", "reason"
    )
    for digest, reason in rows:
        found[by_hash[digest]] = SUPPRESSED_REASONS.get(reason, "suppressed")
    return found


def _merge_fields(contact: Contact, row: Incoming) -> bool:
    """Apply the row to the contact; True when something changed."""
    changed = False
    for name in FIELDS:
        value = getattr(row, name)
        if value in ("", None):
            continue
        current = getattr(contact, name)
        if row.fill_only and current not in ("", None, "en", "UTC"):
            continue
        if current != value:
            setattr(contact, name, value)
            changed = True
    if row.tags:
        tags = list(dict.fromkeys([*(contact.tags or []), *row.tags]))
        if tags != (contact.tags or []):
            contact.tags = tags
            changed = True
    if row.attributes:
        current = contact.attributes or {}
        if row.fill_only:
            merged = {**row.attributes, **current}
        else:
            merged = {**current, **row.attributes}
        if merged != current:
            contact.attributes = merged
            changed = True
    return changed


def _new_contact(row: Incoming) -> Contact:
    contact = Contact(email=row.email, tags=list(row.tags), attributes=dict(row.attributes))
    for name in FIELDS:
        value = getattr(row, name)
        if value not in ("", None):
            setattr(contact, name, value)
    return contact


def upsert_batch(
    rows: list[Incoming], *, topics: list[Topic], basis: str, by: Actor
) -> list[Outcome]:
    """Create or update these contacts (distinct keys) and subscribe them to `topics` by the
    rules above. Must run inside the caller's transaction. One Outcome per row, in order."""
    outcomes: list[Outcome] = [Outcome(UNCHANGED) for _ in rows]
    refused = suppression_reasons([r.email for r in rows])
    existing = {c.email_key: c for c in Contact.objects.filter(email_key__in=[r.key for r in rows])}
    new: list[tuple[int, Contact]] = []
    changed: list[Contact] = []
    live: list[tuple[int, Contact]] = []  # rows whose contact gets subscriptions
    for i, row in enumerate(rows):
        if row.email in refused:
            outcomes[i] = Outcome(REJECTED, refused[row.email])
            continue
        contact = existing.get(row.key)
        if contact is None:
            new.append((i, _new_contact(row)))
            outcomes[i].result = IMPORTED
            continue
        if contact.status == Contact.Status.ERASED:
            outcomes[i] = Outcome(REJECTED, SUPPRESSED_REASONS[Suppression.Reason.ERASED])
            continue
        if _merge_fields(contact, row):
            changed.append(contact)
            outcomes[i].result = UPDATED
        live.append((i, contact))

    now = timezone.now()
    if new:
        created = Contact.objects.bulk_create([c for _, c in new])
        for (i, _), contact in zip(new, created, strict=True):
            live.append((i, contact))
    if changed:
        for contact in changed:
            contact.updated_at = now
        Contact.objects.bulk_update(changed, [*FIELDS, "tags", "attributes", "updated_at"])
    for i, contact in live:
        outcomes[i].contact_id = contact.pk
    if topics:
        _subscribe(rows, outcomes, live, topics=topics, basis=basis, by=by, now=now)
    return outcomes


def _subscribe(rows, outcomes, live, *, topics, basis, by, now) -> None:
    ids = [c.pk for _, c in live]
    topic_ids = [t.pk for t in topics]
    current = {
        (contact_id, topic_id): (pk, state)
        for pk, contact_id, topic_id, state in Subscription.objects.filter(
            contact_id__in=ids, topic_id__in=topic_ids
        ).values_list("pk", "contact_id", "topic_id", "state")
    }
    # Evidence is only asked for where it decides something: a confirmed subscription and
    # a row without evidence.
    row_of = {c.pk: i for i, c in live}
    doubtful = {
        cid
        for (cid, _), (_, state) in current.items()
        if state == State.CONFIRMED and not rows[row_of[cid]].evidence
    }
    evidence = confirmed_with_evidence(list(doubtful)) if doubtful else set()
    creates: list[Subscription] = []
    updates: list[Subscription] = []
    entries: list[ledger.Entry] = []
    basis = basis[:300]
    for i, contact in live:
        row = rows[i]
        if contact.status in WITHDRAWN:
            continue  # unsubscribed from everything, bounced or complained: withdrawal wins
        wanted = State.CONFIRMED if row.evidence else State.PENDING
        for topic in topics:
            pk, state = current.get((contact.pk, topic.pk), (None, ""))
            if state:
                target = merged_state(
                    [(state, (contact.pk, topic.key) in evidence), (wanted, row.evidence)]
                )
            else:
                target = wanted
            if target == state:
                continue
            if pk is None:
                sub = Subscription(contact_id=contact.pk, topic_id=topic.pk)
                sub.state, sub.basis = target, basis
                creates.append(sub)
            else:
                sub = Subscription(pk=pk, contact_id=contact.pk, topic_id=topic.pk)
                sub.state, sub.basis, sub.updated_at = target, basis, now
                updates.append(sub)
            entries.append(
                ledger.Entry(
                    contact.pk,
                    contact.email,
                    topic.key,
                    LEDGER_ACTIONS[target],
                    state,
                    target,
                    topic.consent_version,
                )
            )
            if outcomes[i].result == UNCHANGED:
                outcomes[i].result = UPDATED
            if target == State.PENDING:
                outcomes[i].pending_topics.append(topic.key)
    if creates:
        Subscription.objects.bulk_create(creates)
    if updates:
        Subscription.objects.bulk_update(updates, ["state", "basis", "updated_at"])
    ledger.append_many(entries, by=by, basis=basis)
