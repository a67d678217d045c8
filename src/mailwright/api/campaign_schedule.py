"""Scheduling and control endpoints of a campaign (SPEC §4.6): unschedule, delete,
pick an A/B winner; and the scheduling fields of a campaign as the API shows them."""

from __future__ import annotations

from ninja import Router, Status

from mailwright.api.campaign_schemas import WinnerIn
from mailwright.api.errors import ApiError
from mailwright.api.schemas import CampaignStateOut
from mailwright.audit.actors import Actor
from mailwright.campaigns.campaign_fields import window_out
from mailwright.campaigns.campaigns import do_delete
from mailwright.campaigns.models import Campaign
from mailwright.delivery import schedule
from mailwright.feedback import ab_winner

router = Router(tags=["campaigns"])


def schedule_out(c: Campaign) -> dict:
    return {
        "send_at": c.send_at,
        "window": window_out(c.window_start, c.window_end),
        "exclusion_group": c.exclusion_group,
        "exclusion_window_hours": c.exclusion_window_hours,
        "exclusions": c.exclusions or {},
        "ab_test": c.ab_test,
        "ab_phase": c.ab_phase,
        "ab_winner": c.ab_winner,
        "ab_decided_at": c.ab_decided_at,
        "ab_decision_due_at": ab_winner.decision_due_at(c),
    }


def delete_campaign(request, campaign_id: int):
    do_delete(campaign_id, by=Actor.from_api_key(request))
    return Status(204, None)


@router.post("/{campaign_id}/unschedule", response=CampaignStateOut)
def unschedule(request, campaign_id: int):
    """A scheduled campaign back to draft (its send_at is kept)."""
    Campaign.objects.get(pk=campaign_id)
    return schedule.unschedule(campaign_id, by=Actor.from_api_key(request))


@router.post("/{campaign_id}/ab/winner", response=CampaignStateOut)
def pick_winner(request, campaign_id: int, data: WinnerIn):
    """Choose the A/B test's winner now and send it to the rest of the audience."""
    campaign = Campaign.objects.select_related("template").get(pk=campaign_id)
    if not campaign.ab_test:
        raise ApiError(409, "invalid_state", "this campaign has no A/B test")
    if data.variant >= len(campaign.ab_test["variants"]):
        raise ApiError(
            422,
            "invalid",
            f"variant must be 0 … {len(campaign.ab_test['variants']) - 1}",
            "variant",
        )
    ab_winner.decide(campaign, by=Actor.from_api_key(request), variant=data.variant)
    return Campaign.objects.get(pk=campaign_id)
