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

from django.db import connection
from django.utils import timezone

from mailwright.audit.actors import Actor
from mailwright.consent import bulksql, ledger
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
    """address → why it may not be imported, for the suppressed or erased ones (one query).
    With no suppression entry at all (a new installation's first import), no address can
    match: the HMAC per address is skipped. The caller's transaction sees any entry added
    before it started, as the lookup would."""
    if not Suppression.objects.exists():
        return {}
    by_hash: dict[str, str] = {}
    for email in emails:
        for digest in address_hashes(email):
            by_hash[digest] = email
    found: dict[str, str] = {}
    rows = bulksql.select_in(Suppression, ("email_hash", "reason"), "email_hash", list(by_hash))
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


# A contact that may get subscriptions: (its row's position, id, address, status); a plain
# tuple, built once per row of a batch.
_Live = tuple[int, int, str, str]


def _insert_contacts(rows: list[Incoming], now) -> dict[str, int]:
    """INSERT the new contacts; returns key → id."""
    # JSON text: SQLite stores it as it is, PostgreSQL's COPY parses it into jsonb (the
    # field's get_db_prep_save cost ~8 µs a value for the same text).
    dumps = bulksql.json_text
    empty_list, empty_dict = dumps([]), dumps({})
    db_date = connection.ops.adapt_datefield_value  # looked up once, not per value
    values = []
    for r in rows:
        values.append(
            (
                r.email,
                r.key,
                r.name,
                r.language or "en",
                r.time_zone or "UTC",
                None if r.birthday is None else db_date(r.birthday),
                None if r.anniversary is None else db_date(r.anniversary),
                dumps(r.tags) if r.tags else empty_list,
                dumps(r.attributes) if r.attributes else empty_dict,
            )
        )
    bulksql.insert_rows(Contact, CONTACT_COLUMNS, values, now=now)
    return dict(bulksql.select_in(Contact, ("email_key", "id"), "email_key", [r.key for r in rows]))


CONTACT_COLUMNS = (
    "email",
    "email_key",
    "name",
    "language",
    "time_zone",
    "birthday",
    "anniversary",
    "tags",
    "attributes",
)
UPDATE_COLUMNS = (*FIELDS, "tags", "attributes", "updated_at")


def _update_contacts(contacts: list[Contact], now) -> None:
    at = bulksql.db_datetime(now)
    bulksql.update_rows(
        Contact,
        UPDATE_COLUMNS,
        [
            (
                c.name,
                c.language,
                c.time_zone,
                bulksql.db_date(c.birthday),
                bulksql.db_date(c.anniversary),
                bulksql.db_json(Contact, "tags", c.tags),
                bulksql.db_json(Contact, "attributes", c.attributes),
                at,
                c.pk,
            )
            for c in contacts
        ],
    )


def upsert_batch(
    rows: list[Incoming], *, topics: list[Topic], basis: str, by: Actor
) -> list[Outcome]:
    """Create or update these contacts (distinct keys) and subscribe them to `topics` by the
    rules above. Must run inside the caller's transaction. One Outcome per row, in order."""
    outcomes: list[Outcome] = [Outcome(UNCHANGED) for _ in rows]
    refused = suppression_reasons([r.email for r in rows])
    existing = {
        c.email_key: c for c in bulksql.objects_in(Contact, "email_key", [r.key for r in rows])
    }
    new: list[int] = []
    changed: list[Contact] = []
    live: list[_Live] = []  # rows whose contact may get subscriptions
    for i, row in enumerate(rows):
        if row.email in refused:
            outcomes[i] = Outcome(REJECTED, refused[row.email])
            continue
        contact = existing.get(row.key)
        if contact is None:
            new.append(i)
            outcomes[i].result = IMPORTED
            continue
        if contact.status == Contact.Status.ERASED:
            outcomes[i] = Outcome(REJECTED, SUPPRESSED_REASONS[Suppression.Reason.ERASED])
            continue
        if _merge_fields(contact, row):
            changed.append(contact)
            outcomes[i].result = UPDATED
        live.append((i, contact.pk, contact.email, contact.status))

    known = len(live)  # the contacts that existed before this batch; the rest are new
    now = timezone.now()
    if new:
        ids = _insert_contacts([rows[i] for i in new], now)
        active = Contact.Status.ACTIVE
        for i in new:
            row = rows[i]
            live.append((i, ids[row.key], row.email, active))
    _update_contacts(changed, now)
    for i, pk, _, _ in live:
        outcomes[i].contact_id = pk
    if topics:
        _subscribe(rows, outcomes, live, known, topics=topics, basis=basis, by=by, now=now)
    return outcomes


def _subscribe(rows, outcomes, live: list[_Live], known: int, *, topics, basis, by, now) -> None:
    """Subscribe the live contacts; only the first `known` of them (contacts that existed
    before the batch) can have subscriptions already, so only theirs are read."""
    row_of = {pk: i for i, pk, _, _ in live[:known]}
    topic_ids = {t.pk for t in topics}
    current = {
        (contact_id, topic_id): (pk, state)
        for pk, contact_id, topic_id, state in bulksql.select_in(
            Subscription, ("id", "contact_id", "topic_id", "state"), "contact_id", list(row_of)
        )
        if topic_id in topic_ids
    }
    # Evidence is only asked for where it decides something: a confirmed subscription and
    # a row without evidence.
    doubtful = {
        cid
        for (cid, _), (_, state) in current.items()
        if state == State.CONFIRMED and not rows[row_of[cid]].evidence
    }
    evidence = confirmed_with_evidence(list(doubtful)) if doubtful else set()
    creates: list[tuple] = []
    updates: list[tuple] = []
    entries: list[ledger.Entry] = []
    basis = basis[:300]
    at = bulksql.db_datetime(now)
    topic_list = [(t.pk, t.key, t.consent_version) for t in topics]
    no_row = (None, "")
    Entry = ledger.Entry
    for index, contact_id, email, status in live:
        if status in WITHDRAWN:
            continue  # unsubscribed from everything, bounced or complained: withdrawal wins
        row = rows[index]
        outcome = outcomes[index]
        wanted = State.CONFIRMED if row.evidence else State.PENDING
        for topic_id, topic_key, version in topic_list:
            pk, state = current.get((contact_id, topic_id), no_row) if current else no_row
            if state:
                target = merged_state(
                    [(state, (contact_id, topic_key) in evidence), (wanted, row.evidence)]
                )
            else:
                target = wanted
            if target == state:
                continue
            if pk is None:
                creates.append((contact_id, topic_id, target, basis))
            else:
                updates.append((target, basis, at, pk))
            entries.append(
                Entry(contact_id, email, topic_key, LEDGER_ACTIONS[target], state, target, version)
            )
            if outcome.result == UNCHANGED:
                outcome.result = UPDATED
            if target == State.PENDING:
                outcome.pending_topics.append(topic_key)
    bulksql.insert_rows(
        Subscription, ("contact_id", "topic_id", "state", "basis"), creates, now=now
    )
    bulksql.update_rows(Subscription, ("state", "basis", "updated_at"), updates)
    ledger.append_many(entries, by=by, basis=basis)
