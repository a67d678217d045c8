"""Append events to the consent ledger; each event carries the hash of the one before it."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import NamedTuple

from django.db import transaction
from django.utils import timezone

from mailwright.audit.actors import Actor
from mailwright.audit.log import truncate_ip
from mailwright.consent import bulksql
from mailwright.consent.models import ConsentEvent, LedgerHead

GENESIS = "0" * 64
__all__ = ["GENESIS", "Actor", "Entry", "append", "append_many", "truncate_ip", "verify"]


def event_digest(prev_hash: str, fields: dict) -> str:
    payload = json.dumps(fields, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{prev_hash}|{payload}".encode()).hexdigest()


def pii_digest(email: str, source_ip: str, user_agent: str) -> str:
    payload = json.dumps([email, source_ip, user_agent], separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8", "surrogatepass")).hexdigest()


_quote = json.encoder.encode_basestring_ascii  # a str as json.dumps (ensure_ascii) writes it


def _json_scalar(value) -> str:
    """An int, str or None as json.dumps writes it."""
    if value is None:
        return "null"
    if type(value) is int:
        return int.__repr__(value)
    if type(value) is str:
        return _quote(value)
    return json.dumps(value, default=str)


class Digester:
    """`pii_digest` and `event_digest` for many events of one batch (one actor, basis and
    time), with the JSON written by hand: the constant parts once, each event's few strings
    through json's own escaping function. The bytes hashed are identical to those of the
    json.dumps above, which `verify` recomputes (tests/consent/test_ledger_digest.py proves it
    with hypothesis); json.dumps with sort_keys cost ~10 µs an event, this ~2."""

    def __init__(
        self, *, channel: str, actor: str, basis: str, at: str, source_ip: str, user_agent: str
    ) -> None:
        self._pii_tail = f",{_quote(source_ip)},{_quote(user_agent)}]"
        # The keys in sorted order: action, actor, at, basis, channel, contact, from, pii,
        # text_version, to, topic.
        self._middle = (
            f',"actor":{_quote(actor)},"at":{_quote(at)},"basis":{_quote(basis)}'
            f',"channel":{_quote(channel)},"contact":'
        )
        self._quoted: dict[str, str] = {}

    def _q(self, text: str) -> str:
        quoted = self._quoted.get(text)
        if quoted is None:
            quoted = self._quoted[text] = _json_scalar(text)
        return quoted

    def pii(self, email: str) -> str:
        payload = f"[{_quote(email)}{self._pii_tail}"
        return hashlib.sha256(payload.encode("utf-8", "surrogatepass")).hexdigest()

    def event(
        self, prev_hash: str, *, contact, pii, topic, action, state_from, state_to, text_version
    ) -> str:
        q = self._q
        payload = (
            f'{prev_hash}|{{"action":{q(action)}{self._middle}{_json_scalar(contact)}'
            f',"from":{q(state_from)},"pii":{_json_scalar(pii)}'
            f',"text_version":{_json_scalar(text_version)},"to":{q(state_to)}'
            f',"topic":{q(topic)}}}'
        )
        return hashlib.sha256(payload.encode()).hexdigest()


def hashed_fields(event: ConsentEvent) -> dict:
    return {
        "contact": event.contact_ref,
        "pii": event.pii_digest,
        "topic": event.topic_key,
        "action": event.action,
        "from": event.state_from,
        "to": event.state_to,
        "basis": event.basis,
        "text_version": event.text_version,
        "channel": event.channel,
        "actor": event.actor,
        "at": event.created_at.isoformat(),
    }


def append(
    *,
    contact,
    topic_key: str,
    action: str,
    state_from: str,
    state_to: str,
    by: Actor,
    basis: str = "",
    text_version: int | None = None,
) -> ConsentEvent:
    """Write one ledger event. Must run inside the caller's transaction."""
    with transaction.atomic():
        head, _ = LedgerHead.objects.select_for_update().get_or_create(
            id=1, defaults={"last_hash": GENESIS}
        )
        event = ConsentEvent(
            contact=contact,
            contact_ref=contact.id,
            email=contact.email,
            topic_key=topic_key,
            action=action,
            state_from=state_from,
            state_to=state_to,
            basis=basis[:300],
            text_version=text_version,
            channel=by.channel,
            actor=by.actor[:200],
            source_ip=truncate_ip(by.source_ip),
            user_agent=by.user_agent[:400],
            created_at=timezone.now(),
            prev_hash=head.last_hash,
        )
        event.pii_digest = pii_digest(event.email, event.source_ip, event.user_agent)
        event.hash = event_digest(head.last_hash, hashed_fields(event))
        event.save()
        head.last_hash = event.hash
        head.save(update_fields=["last_hash"])
    return event


class Entry(NamedTuple):
    """One event for `append_many`: contact (id and address), topic and the state change.
    A named tuple, not a dataclass: an import builds one per subscription, and a tuple is
    built and unpacked in C."""

    contact_id: int
    email: str
    topic_key: str
    action: str
    state_from: str
    state_to: str
    text_version: int | None = None


EVENT_COLUMNS = (
    "contact_id",
    "contact_ref",
    "email",
    "topic_key",
    "action",
    "state_from",
    "state_to",
    "basis",
    "text_version",
    "channel",
    "actor",
    "source_ip",
    "user_agent",
    "created_at",
    "pii_digest",
    "erased",
    "prev_hash",
    "hash",
)


def append_many(entries: list[Entry], *, by: Actor, basis: str = "") -> int:
    """Write many ledger events with one head lock and one INSERT (the batched variant of
    `append`, for imports): the chain is computed here, in order. Must run inside the
    caller's transaction. Returns how many were written. The rows go in with one
    executemany (consent.bulksql), not through the model."""
    if not entries:
        return 0
    with transaction.atomic():
        head, _ = LedgerHead.objects.select_for_update().get_or_create(
            id=1, defaults={"last_hash": GENESIS}
        )
        now = timezone.now()
        at = now.isoformat()
        source_ip = truncate_ip(by.source_ip)
        user_agent = by.user_agent[:400]
        actor = by.actor[:200]
        basis = basis[:300]
        prev = head.last_hash
        rows = []
        created = bulksql.db_datetime(now)
        digester = Digester(
            channel=by.channel,
            actor=actor,
            basis=basis,
            at=at,
            source_ip=source_ip,
            user_agent=user_agent,
        )
        channel, event, pii_of = by.channel, digester.event, digester.pii
        for contact_id, email, topic_key, action, state_from, state_to, version in entries:
            pii = pii_of(email)
            digest = event(
                prev,
                contact=contact_id,
                pii=pii,
                topic=topic_key,
                action=action,
                state_from=state_from,
                state_to=state_to,
                text_version=version,
            )
            rows.append(
                (
                    contact_id,
                    contact_id,
                    email,
                    topic_key,
                    action,
                    state_from,
                    state_to,
                    basis,
                    version,
                    channel,
                    actor,
                    source_ip,
                    user_agent,
                    created,
                    pii,
                    False,
                    prev,
                    digest,
                )
            )
            prev = digest
        bulksql.insert_rows(ConsentEvent, EVENT_COLUMNS, rows, now=now)
        head.last_hash = prev
        head.save(update_fields=["last_hash"])
    return len(rows)


@dataclass(frozen=True)
class ChainReport:
    checked: int
    broken_event_id: int | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return not self.reason


def verify() -> ChainReport:
    """Walk the chain in order and name the first link that does not match."""
    prev = GENESIS
    checked = 0
    for event in ConsentEvent.objects.order_by("id").iterator(chunk_size=2000):
        if event.prev_hash != prev:
            return ChainReport(checked, event.id, "previous-hash link broken (row deleted?)")
        if event.hash != event_digest(prev, hashed_fields(event)):
            return ChainReport(checked, event.id, "event content does not match its hash (edited)")
        if not event.erased and event.pii_digest != pii_digest(
            event.email, event.source_ip, event.user_agent
        ):
            return ChainReport(checked, event.id, "address, IP or user agent edited")
        prev = event.hash
        checked += 1
    head = LedgerHead.objects.filter(id=1).first()
    if head and head.last_hash != prev:
        return ChainReport(
            checked, None, "newest events are missing (ledger head points past them)"
        )
    return ChainReport(checked)
