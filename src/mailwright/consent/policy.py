"""The one rule for who may be emailed (SPEC §3.7), called by campaigns and the engine alike:

- marketing needs a *confirmed* subscription to the campaign's topic, an active contact, no
  suppression, no pause, and the contact's own frequency choice respected;
- service mail (opt-in confirmations, transactional messages) needs only "not suppressed".
"""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from mailwright.contacts.models import Contact, Subscription
from mailwright.feedback.models import Suppression
from mailwright.feedback.suppression import suppressed_among

FREQUENCY_WINDOW = {
    Contact.Frequency.WEEKLY: timedelta(days=7),
    Contact.Frequency.MONTHLY: timedelta(days=30),
}


def marketing_audience(topic_ids: list[int], *, now=None, exclude_campaign: int | None = None):
    """Contacts who may receive marketing mail on any of these topics, as a queryset."""
    from mailwright.delivery.models import Delivery

    now = now or timezone.now()
    confirmed = Subscription.objects.filter(
        contact=OuterRef("pk"), topic_id__in=topic_ids, state=Subscription.State.CONFIRMED
    )
    suppressed = Suppression.objects.filter(email=OuterRef("email"))
    qs = (
        Contact.objects.filter(status=Contact.Status.ACTIVE)
        .filter(Exists(confirmed))
        .exclude(Exists(suppressed))
        .exclude(paused_until__gt=now)
    )
    for frequency, window in FREQUENCY_WINDOW.items():
        recent = Delivery.objects.filter(
            contact=OuterRef("pk"),
            stream=Delivery.Stream.MARKETING,
            created_at__gte=now - window,
        ).exclude(state__in=[Delivery.State.SUPPRESSED, Delivery.State.FAILED])
        if exclude_campaign is not None:
            recent = recent.exclude(campaign_id=exclude_campaign)
        qs = qs.exclude(Q(frequency=frequency) & Exists(recent))
    return qs


def marketing_still_allowed(deliveries) -> set[int]:
    """Of these leased marketing deliveries, the ids whose contact still consents right now
    (someone may have unsubscribed or paused since the audience was frozen). One query."""
    by_campaign: dict[int, list] = {}
    for d in deliveries:
        by_campaign.setdefault(d.campaign_id, []).append(d)
    allowed: set[int] = set()
    now = timezone.now()
    for items in by_campaign.values():
        topic_ids = list(items[0].campaign.topics.values_list("id", flat=True))
        ok = set(
            Contact.objects.filter(
                id__in=[d.contact_id for d in items if d.contact_id],
                status=Contact.Status.ACTIVE,
            )
            .filter(
                Exists(
                    Subscription.objects.filter(
                        contact=OuterRef("pk"),
                        topic_id__in=topic_ids,
                        state=Subscription.State.CONFIRMED,
                    )
                )
            )
            .exclude(paused_until__gt=now)
            .values_list("id", flat=True)
        )
        allowed.update(d.id for d in items if d.contact_id in ok)
    return allowed


def service_blocked(emails) -> set[str]:
    """Service mail goes to anyone not suppressed (hard bounce, complaint, erasure, manual)."""
    return suppressed_among(emails)
