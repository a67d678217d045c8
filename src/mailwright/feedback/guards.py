"""Reputation guards: a campaign pauses itself, and says why, when after a minimum number
of deliveries its hard-bounce or complaint rate passes the configured threshold."""

from __future__ import annotations

import logging

from django.conf import settings

from mailwright.audit.actors import Actor
from mailwright.campaigns.actions import do_transition
from mailwright.campaigns.models import Campaign
from mailwright.feedback.rates import bounce_rate, campaign_counts, complaint_rate

log = logging.getLogger(__name__)
GUARD = Actor.system("reputation guard", channel="guard")


def rates(campaign_id: int) -> tuple[int, float, float]:
    """(deliveries attempted, hard-bounce rate, complaint rate) of a campaign, as
    feedback.rates defines them, from the cheap counts (two indexed queries)."""
    counts = campaign_counts(campaign_id, engagement=False)
    return (
        counts.attempted,
        bounce_rate(counts).value or 0.0,
        complaint_rate(counts).value or 0.0,
    )


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
        if not reason:
            continue
        paused_campaign = do_transition(
            cid,
            {Campaign.State.SENDING},
            Campaign.State.PAUSED,
            by=GUARD,
            reason=f"Paused automatically: {reason}",
            details={
                "attempted": attempted,
                "bounce_rate": bounce_rate,
                "complaint_rate": complaint_rate,
            },
            strict=False,
        )
        if paused_campaign is not None:
            log.warning("campaign %s paused by the reputation guard: %s", cid, reason)
            paused.append(cid)
    return paused
