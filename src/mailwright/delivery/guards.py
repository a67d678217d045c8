"""Reputation guards: a campaign pauses itself, and says why, when after a minimum number
of deliveries its hard-bounce or complaint rate passes the configured threshold."""

from __future__ import annotations

import logging

from django.conf import settings
from django.db.models import Count, Q

from mailwright.campaigns.models import Campaign
from mailwright.delivery.models import Delivery
from mailwright.feedback.models import Event

log = logging.getLogger(__name__)


def rates(campaign_id: int) -> tuple[int, float, float]:
    """(deliveries attempted, hard-bounce rate, complaint rate) of a campaign."""
    row = Delivery.objects.filter(campaign_id=campaign_id).aggregate(
        attempted=Count("id", filter=Q(state__in=[Delivery.State.SENT, Delivery.State.BOUNCED])),
        bounced=Count("id", filter=Q(state=Delivery.State.BOUNCED)),
    )
    attempted = row["attempted"] or 0
    complaints = Event.objects.filter(campaign_id=campaign_id, type=Event.Type.COMPLAINED).count()
    if not attempted:
        return 0, 0.0, 0.0
    return attempted, row["bounced"] / attempted, complaints / attempted


def check(campaign_ids) -> list[int]:
    """Pause every sending campaign among these that crossed a threshold; returns their ids."""
    paused = []
    for cid in set(c for c in campaign_ids if c is not None):
        attempted, bounce_rate, complaint_rate = rates(cid)
        if attempted < settings.GUARD_MIN_DELIVERIES:
            continue
        reason = ""
        if bounce_rate > settings.GUARD_BOUNCE_RATE:
            reason = (
                f"hard-bounce rate {bounce_rate:.1%} after {attempted} deliveries is above "
                f"{settings.GUARD_BOUNCE_RATE:.1%}: check where this list came from"
            )
        elif complaint_rate > settings.GUARD_COMPLAINT_RATE:
            reason = (
                f"complaint rate {complaint_rate:.2%} after {attempted} deliveries is above "
                f"{settings.GUARD_COMPLAINT_RATE:.2%}: recipients are marking it as spam"
            )
        if reason and Campaign.objects.filter(pk=cid, state=Campaign.State.SENDING).update(
            state=Campaign.State.PAUSED, paused_reason=f"Paused automatically: {reason}"
        ):
            log.warning("campaign %s paused by the reputation guard: %s", cid, reason)
            paused.append(cid)
            from mailwright.feedback import webhooks

            webhooks.emit(
                "campaign.paused",
                {
                    "campaign": cid,
                    "reason": reason,
                    "attempted": attempted,
                    "bounce_rate": bounce_rate,
                    "complaint_rate": complaint_rate,
                },
            )
    return paused
