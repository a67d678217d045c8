"""Campaign state actions: every change of a campaign's state goes through `do_transition`,
atomic and audited; leaving for `paused` or `sent` is announced on the event bus
(`campaign.paused`, `campaign.sent` webhooks). The delivery layer's life cycle (start, cancel,
finish) and the feedback layer's reputation guard call it."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from mailwright.audit import log as audit
from mailwright.audit.actors import Actor
from mailwright.audit.events import DomainEvent, emit
from mailwright.campaigns.models import Campaign

S = Campaign.State
ANNOUNCED = {S.PAUSED: "campaign.paused", S.SENT: "campaign.sent"}


class CampaignStateError(ValueError):
    """The campaign is not in a state that allows this action."""


@transaction.atomic
def do_transition(
    campaign_id: int,
    allowed: set[str],
    target: str,
    *,
    by: Actor,
    reason: str = "",
    details: dict | None = None,
    strict: bool = True,
    **fields,
) -> Campaign | None:
    """Move the campaign from one of `allowed` to `target`. `strict`: refuse with
    CampaignStateError when it is elsewhere (an operator's request), else return None (a
    guard or the worker finding it already moved on). `fields` are set with the state."""
    campaign = Campaign.objects.select_for_update().get(pk=campaign_id)
    if campaign.state not in allowed:
        if not strict:
            return None
        raise CampaignStateError(f"campaign is {campaign.state}; cannot move to {target}")
    before = campaign.state
    now = timezone.now()
    campaign.state = target
    if target in (S.CANCELLED, S.SENT):
        campaign.finished_at = now
    if target == S.PAUSED:
        campaign.paused_reason = reason
    elif before == S.PAUSED:
        campaign.paused_reason = ""
    for name, value in fields.items():
        setattr(campaign, name, value)
    campaign.save(
        update_fields=["state", "finished_at", "paused_reason", *fields],
    )
    audit.record(
        by,
        f"campaign.{target}",
        "campaign",
        campaign.pk,
        before={"state": before},
        after={"state": target, **({"reason": reason} if reason else {}), **(details or {})},
    )
    if target in ANNOUNCED:
        emit(
            DomainEvent(
                ANNOUNCED[target],
                {**({"reason": reason} if reason else {}), **(details or {})},
                campaign_id=campaign.pk,
                at=now,
            )
        )
    return campaign


@transaction.atomic
def do_ab_decided(
    campaign_id: int, winner: int, *, by: Actor, at, details: dict | None = None, **fields
) -> Campaign:
    """Record an A/B test's winning variant (audited; the `campaign.ab_decided` event)."""
    campaign = Campaign.objects.select_for_update().get(pk=campaign_id)
    before = {"ab_phase": campaign.ab_phase, "ab_winner": campaign.ab_winner}
    campaign.ab_phase = "decided"
    campaign.ab_winner = winner
    campaign.ab_decided_at = at
    for name, value in fields.items():
        setattr(campaign, name, value)
    campaign.save(update_fields=["ab_phase", "ab_winner", "ab_decided_at", *fields])
    after = {"ab_phase": "decided", "ab_winner": winner, **(details or {})}
    audit.record(by, "campaign.ab_decided", "campaign", campaign.pk, before=before, after=after)
    emit(
        DomainEvent(
            "campaign.ab_decided",
            {"variant": winner, **(details or {})},
            campaign_id=campaign.pk,
            at=at,
        )
    )
    return campaign
