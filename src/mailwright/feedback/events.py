"""Where every event ends up: the receiver of the domain-event bus (`audit.events`) stores
each event as an Event row and queues its outgoing webhooks, inside the emitter's
transaction. The worker's batches and the tracking writer come through here too, so an event
type has one row shape and one webhook payload shape whatever produced it."""

from __future__ import annotations

import json

from django.db import connection
from django.dispatch import receiver

from mailwright.audit.events import DomainEvent, occurred
from mailwright.delivery.models import Delivery
from mailwright.feedback import webhooks
from mailwright.feedback.models import Event

TRACKED = ("opened", "clicked")  # their payloads always say whether a machine did it
# One encoder for every row (json.dumps with options builds a new encoder per call).
_dumps = json.JSONEncoder(separators=(",", ":"), default=str).encode
COLUMNS = "type, delivery_id, campaign_id, contact_id, data, machine, created_at"


@receiver(occurred, dispatch_uid="feedback.events.store")
def _on_occurred(sender, events: list[DomainEvent], **_kwargs) -> None:
    store(events)


def store(events: list[DomainEvent]) -> None:
    """Insert the events (multi-row INSERTs) and queue the webhooks that want them."""
    _fill_deliveries(events)
    adapt = connection.ops.adapt_datetimefield_value
    adapted: dict[int, object] = {}  # a batch's events share one time: adapted once
    rows = []
    for e in events:
        at = adapted.get(id(e.at))
        if at is None:
            at = adapted[id(e.at)] = adapt(e.at)
        rows.append(
            (
                e.type,
                e.delivery_id,
                e.campaign_id,
                e.contact_id,
                _dumps(e.data),
                e.machine,
                at,
            )
        )
    insert_event_rows(rows)
    # A generator: the payloads are only built when some endpoint listens (rarely so).
    webhooks.emit_many(
        (e.type, {**e.payload(), "machine": e.machine} if e.type in TRACKED else e.payload())
        for e in events
        if e.type in webhooks.EVENT_TYPES
    )


def _fill_deliveries(events: list[DomainEvent]) -> None:
    """An event about a contact and a campaign (an unsubscribe from a campaign's link) is
    tied to the delivery that carried the link."""
    wanted = [e for e in events if e.delivery_id is None and e.campaign_id and e.contact_id]
    for e in wanted:
        e.delivery_id = (
            Delivery.objects.filter(contact_id=e.contact_id, campaign_id=e.campaign_id)
            .values_list("id", flat=True)
            .first()
        )


def insert_event_rows(rows: list[tuple]) -> None:
    """(type, delivery_id, campaign_id, contact_id, data JSON, machine, created_at) rows."""
    if not rows:
        return
    table = connection.ops.quote_name(Event._meta.db_table)
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 500):
            chunk = rows[start : start + 500]
            # Multi-row VALUES: one statement per chunk (an executemany is one per row).
            values = ", ".join(["(%s, %s, %s, %s, %s, %s, %s)"] * len(chunk))
            cursor.execute(
                f"INSERT INTO {table} ({COLUMNS}) VALUES {values}",  # noqa: S608
                [x for row in chunk for x in row],
            )
