"""The domain-event bus. An app announces what happened with `emit`; the feedback app (the
layer that owns events and outgoing webhooks) stores each as an Event row and queues its
webhooks, inside the caller's transaction (webhooks go out after commit). Lower layers thus
never import the layer that reacts to them.

One payload shape per event type whatever the source: every event carries `email`,
`contact`, `campaign` and `delivery` (None when unknown) and its own `data`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.dispatch import Signal
from django.utils import timezone

# Receivers get `events: list[DomainEvent]`.
occurred = Signal()


@dataclass(slots=True)
class DomainEvent:
    type: str
    data: dict = field(default_factory=dict)
    email: str | None = None
    contact_id: int | None = None
    campaign_id: int | None = None
    delivery_id: int | None = None
    machine: bool = False
    at: datetime = field(default_factory=timezone.now)

    def payload(self) -> dict:
        """What webhooks receive."""
        return {
            "delivery": self.delivery_id,
            "campaign": self.campaign_id,
            "contact": self.contact_id,
            "email": self.email,
            **self.data,
        }


def emit(*events: DomainEvent) -> None:
    emit_many(list(events))


def emit_many(events: list[DomainEvent]) -> None:
    if events:
        occurred.send(sender=DomainEvent, events=events)
