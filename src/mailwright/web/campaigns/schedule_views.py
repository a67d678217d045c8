"""Staff actions of a campaign's schedule and life cycle (SPEC §4.6): send now, unschedule,
duplicate, delete, pick an A/B winner. Thin views over delivery.schedule,
campaigns.campaigns and feedback.ab_winner; every change is audited there."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from mailwright.campaigns.actions import CampaignStateError
from mailwright.campaigns.campaigns import do_delete, do_duplicate
from mailwright.campaigns.lint import LintFailed
from mailwright.campaigns.models import Campaign
from mailwright.campaigns.rendering import TemplateError
from mailwright.contacts.segments import SegmentError
from mailwright.delivery import schedule, sending
from mailwright.feedback import ab_winner
from mailwright.web.shell.helpers import staff_actor

REFUSED = (CampaignStateError, TemplateError, SegmentError, LintFailed)


def detail_context(campaign: Campaign) -> dict:
    """What the campaign page's schedule panel shows."""
    return {
        "ab_due_at": ab_winner.decision_due_at(campaign),
        "variants": ab_winner.variant_rows(campaign) if campaign.ab_test else [],
    }


def _done(request, campaign_id: int, fn, message: str):
    try:
        fn()
    except REFUSED as exc:
        messages.error(request, f"Could not do that: {exc}")
    else:
        messages.success(request, message)
    return redirect("web:campaign_detail", campaign_id)


@login_required
@require_POST
def campaign_unschedule(request, campaign_id: int):
    get_object_or_404(Campaign, pk=campaign_id)
    by = staff_actor(request)
    return _done(
        request,
        campaign_id,
        lambda: schedule.unschedule(campaign_id, by=by),
        "Unscheduled: the campaign is a draft again.",
    )


@login_required
@require_POST
def campaign_send_now(request, campaign_id: int):
    get_object_or_404(Campaign, pk=campaign_id)
    by = staff_actor(request)
    return _done(
        request, campaign_id, lambda: sending.start(campaign_id, by=by), "Sending started."
    )


@login_required
@require_POST
def campaign_duplicate(request, campaign_id: int):
    get_object_or_404(Campaign, pk=campaign_id)
    copy = do_duplicate(campaign_id, by=staff_actor(request))
    messages.success(request, f"Created “{copy.name}” as a draft.")
    return redirect("web:campaign_detail", copy.pk)


@login_required
@require_POST
def campaign_delete(request, campaign_id: int):
    campaign = get_object_or_404(Campaign, pk=campaign_id)
    try:
        do_delete(campaign_id, by=staff_actor(request))
    except CampaignStateError as exc:
        messages.error(request, f"Could not delete it: {exc}")
        return redirect("web:campaign_detail", campaign_id)
    messages.success(request, f"Campaign “{campaign.name}” deleted.")
    return redirect("web:campaign_list")


@login_required
@require_POST
def campaign_pick_winner(request, campaign_id: int):
    campaign = get_object_or_404(Campaign.objects.select_related("template"), pk=campaign_id)
    try:
        variant = int(request.POST.get("variant", ""))
    except ValueError:
        messages.error(request, "Choose a variant.")
        return redirect("web:campaign_detail", campaign_id)
    by = staff_actor(request)
    return _done(
        request,
        campaign_id,
        lambda: ab_winner.decide(campaign, by=by, variant=variant),
        f"Variant {variant + 1} chosen: the rest of the audience gets it.",
    )


URLS = (
    ("unschedule", campaign_unschedule),
    ("send-now", campaign_send_now),
    ("duplicate", campaign_duplicate),
    ("delete", campaign_delete),
    ("ab-winner", campaign_pick_winner),
)
