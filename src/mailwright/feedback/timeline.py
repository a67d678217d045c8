"""A contact's timeline: every change of consent (the consent ledger), everything that
happened to mail sent to them (events: sent, opened, clicked, bounced, complained, …) and
their erasure, merged in time order. Served to the contact page and the API.

`contact_timeline` is a lazy sequence: it counts with two queries and reads a page by
fetching at most `stop` rows from each source, so Django's Paginator and the API's
limit/offset pagination page through it without loading everything."""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

from mailwright.consent.models import ConsentEvent
from mailwright.contacts.models import Contact
from mailwright.feedback.models import Event

CONSENT = "consent"  # the consent ledger (consent.models.ConsentEvent)
EVENT = "event"  # what happened to a message (feedback.models.Event)
PRIVACY = "privacy"  # the erasure of the person

# Consent ledger actions → timeline types (a mapping table, not an if-chain).
CONSENT_TYPES = {
    "subscribe_pending": "subscribed",  # awaiting confirmation (double opt-in)
    "subscribe_confirmed": "subscribed",  # confirmed at once (import, admin, API)
    "unsubscribe": "unsubscribed",
    "frequency": "preferences_changed",
    "pause": "preferences_changed",
    "resume": "preferences_changed",
    "language": "preferences_changed",
}


def consent_type(event: ConsentEvent) -> str:
    if event.action == "subscribe_confirmed" and event.state_from == "pending":
        return "confirmed"  # the double opt-in link was followed
    if event.action.startswith("suppressed:"):
        return "suppressed"
    return CONSENT_TYPES.get(event.action, event.action)


@dataclass(frozen=True)
class Entry:
    type: str
    at: datetime
    source: str  # consent | event | privacy
    data: dict = field(default_factory=dict)
    campaign_id: int | None = None
    campaign_name: str = ""
    machine: bool = False  # an open or click made by a machine, not the person
    id: int = 0  # the row's id in its source

    @property
    def label(self) -> str:
        return self.type.replace("_", " ").capitalize()

    def as_dict(self) -> dict:
        return {
            "type": self.type,
            "at": self.at,
            "source": self.source,
            "campaign": self.campaign_id,
            "machine": self.machine,
            "data": self.data,
        }

    @property
    def key(self) -> tuple:
        """Time order; at the same instant the ledger first, then events, by id."""
        return (self.at, (CONSENT, EVENT, PRIVACY).index(self.source), self.id)


def _from_consent(e: ConsentEvent) -> Entry:
    data = {
        "topic": e.topic_key,
        "action": e.action,
        "state_from": e.state_from,
        "state_to": e.state_to,
        "channel": e.channel,
        "actor": e.actor,
        "basis": e.basis,
    }
    if e.text_version is not None:
        data["text_version"] = e.text_version
    return Entry(consent_type(e), e.created_at, CONSENT, data, id=e.id)


def _from_event(e: Event) -> Entry:
    return Entry(
        e.type,
        e.created_at,
        EVENT,
        e.data if isinstance(e.data, dict) else {},
        campaign_id=e.campaign_id,
        campaign_name=e.campaign.name if e.campaign is not None else "",
        machine=e.machine,
        id=e.id,
    )


class ContactTimeline:
    """The contact's entries, oldest first (or newest first with `newest_first=True`)."""

    def __init__(self, contact: Contact, *, newest_first: bool = False) -> None:
        self.contact = contact
        self.newest_first = newest_first
        self._count: int | None = None

    def _consent(self):
        order = ("-created_at", "-id") if self.newest_first else ("created_at", "id")
        return ConsentEvent.objects.filter(contact=self.contact).order_by(*order)

    def _events(self):
        order = ("-created_at", "-id") if self.newest_first else ("created_at", "id")
        return (
            Event.objects.filter(contact=self.contact).select_related("campaign").order_by(*order)
        )

    def _erased(self) -> list[Entry]:
        at = self.contact.erased_at
        return [Entry("erased", at, PRIVACY, {}, id=self.contact.pk)] if at else []

    def count(self) -> int:
        if self._count is None:
            self._count = self._consent().count() + self._events().count() + len(self._erased())
        return self._count

    def __len__(self) -> int:
        return self.count()

    def _first(self, n: int) -> Iterator[Entry]:
        sources = [
            (_from_consent(e) for e in self._consent()[:n]),
            (_from_event(e) for e in self._events()[:n]),
            iter(self._erased()),
        ]
        return heapq.merge(*sources, key=lambda entry: entry.key, reverse=self.newest_first)

    def __getitem__(self, index):
        if isinstance(index, slice):
            start, stop, step = index.indices(self.count())
            if stop <= start:
                return []
            entries = list(self._first(stop))
            return entries[start:stop:step]
        if index < 0:
            index += self.count()
        entries = self[index : index + 1]
        if not entries:
            raise IndexError(index)
        return entries[0]

    def __iter__(self) -> Iterator[Entry]:
        return iter(self[:])


def contact_timeline(contact: Contact, *, newest_first: bool = False) -> ContactTimeline:
    return ContactTimeline(contact, newest_first=newest_first)
