"""Engagement score per contact, from recent *human* opens and clicks and purchase events
(machine opens from privacy proxies and scanners do not count). Recent activity weighs more:
each event's weight falls linearly to zero over WINDOW_DAYS.

score = Σ weight(type) × (1 − age / WINDOW_DAYS), weights: open 1, click 3, purchase 5.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django_tasks import task

from mailwright.contacts.models import Contact
from mailwright.feedback.models import Event

WINDOW_DAYS = 90
WEIGHTS = {Event.Type.OPENED: 1.0, Event.Type.CLICKED: 3.0, Event.Type.PURCHASED: 5.0}


def recompute(contact_ids: Iterable[int] | None = None, now=None) -> int:
    """Recompute the score of these contacts (all when None); returns how many were updated."""
    now = now or timezone.now()
    since = now - timedelta(days=WINDOW_DAYS)
    events = Event.objects.filter(
        type__in=list(WEIGHTS), machine=False, created_at__gte=since, contact__isnull=False
    )
    ids = None if contact_ids is None else set(contact_ids)
    if ids is not None:
        events = events.filter(contact_id__in=ids)
    scores: dict[int, float] = defaultdict(float)
    for contact_id, kind, at in events.values_list("contact_id", "type", "created_at").iterator():
        age_days = (now - at).total_seconds() / 86400
        scores[contact_id] += WEIGHTS[kind] * max(0.0, 1 - age_days / WINDOW_DAYS)
    targets = Contact.objects.all() if ids is None else Contact.objects.filter(id__in=ids)
    changed = []
    for contact in targets.only("id", "engagement_score").iterator():
        score = round(scores.get(contact.id, 0.0), 2)
        if score != contact.engagement_score:
            contact.engagement_score = score
            changed.append(contact)
    with transaction.atomic():
        Contact.objects.bulk_update(changed, ["engagement_score"], batch_size=1000)
    return len(changed)


@task()
def recompute_later(contact_ids: list[int]) -> int:
    """The background-task version, queued by the tracking writer after each flush."""
    return recompute(contact_ids)


def record_purchase(contact: Contact, *, amount: float | None, reference: str = "") -> Event:
    event = Event.objects.create(
        type=Event.Type.PURCHASED,
        contact=contact,
        data={"amount": amount, "reference": reference[:200]},
        created_at=timezone.now(),
    )
    recompute([contact.id])
    return event
