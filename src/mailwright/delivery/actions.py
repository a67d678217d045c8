"""Delivery actions outside the worker's batch record (which has its own batched writer in
`ledger.py`): each atomic and audited."""

from __future__ import annotations

from django.db import transaction

from mailwright.audit import log as audit
from mailwright.audit.actors import Actor
from mailwright.delivery.models import Delivery


@transaction.atomic
def do_mark_bounced(delivery: Delivery, detail: str, *, by: Actor) -> bool:
    """A message the relay accepted bounced later (a DSN or a relay's webhook)."""
    changed = Delivery.objects.filter(pk=delivery.pk, state=Delivery.State.SENT).update(
        state=Delivery.State.BOUNCED, last_reply=f"bounced later: {detail}".strip()[:1000]
    )
    if changed:
        delivery.state = Delivery.State.BOUNCED
        audit.record(
            by,
            "delivery.bounced",
            "delivery",
            delivery.pk,
            before={"state": Delivery.State.SENT},
            after={"state": Delivery.State.BOUNCED},
        )
    return bool(changed)
