"""Scheduling (SPEC §4.6): a campaign with a future send_at waits in state `scheduled`; the
scheduler (web.scheduler, `mailwright scheduler` / `mailwright campaigns tick`) starts it when
due. The preflight runs when it is scheduled, so errors show at once, and again when it
starts. An A/B test's rest of the audience is frozen here once the winner is known (the
feedback layer decides, feedback.ab_winner)."""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from mailwright.audit.actors import Actor
from mailwright.campaigns.actions import CampaignStateError, do_ab_decided, do_transition
from mailwright.campaigns.lint import LintFailed
from mailwright.campaigns.models import Campaign
from mailwright.campaigns.rendering import TemplateError
from mailwright.contacts.segments import SegmentError
from mailwright.delivery import sending, windows
from mailwright.delivery.models import Delivery

log = logging.getLogger(__name__)
S = Campaign.State
SCHEDULER = Actor.system("scheduler", channel="worker")


def send(campaign_id: int, *, by: Actor) -> Campaign:
    """POST /campaigns/{id}/send: a draft whose send_at is in the future is scheduled (after
    the preflight); otherwise (no send_at, or it has passed) it starts now."""
    campaign = Campaign.objects.select_related("template").get(pk=campaign_id)
    if campaign.state == S.DRAFT and campaign.send_at and campaign.send_at > timezone.now():
        with transaction.atomic():
            campaign = Campaign.objects.select_for_update().get(pk=campaign_id)
            if campaign.state != S.DRAFT:
                raise CampaignStateError(f"campaign is {campaign.state}; only a draft can be sent")
            sending.preflight(campaign)
            return do_transition(
                campaign_id,
                {S.DRAFT},
                S.SCHEDULED,
                by=by,
                details={"send_at": campaign.send_at.isoformat()},
            )
    return sending.start(campaign_id, by=by)


def unschedule(campaign_id: int, *, by: Actor, reason: str = "") -> Campaign:
    """Back to draft (send_at is kept, so sending it again schedules it again)."""
    return do_transition(campaign_id, {S.SCHEDULED}, S.DRAFT, by=by, reason=reason)


def due(now: datetime) -> list[int]:
    return list(
        Campaign.objects.filter(state=S.SCHEDULED, send_at__lte=now)
        .order_by("send_at", "id")
        .values_list("id", flat=True)
    )


def start_due(now: datetime | None = None) -> list[int]:
    """Start every scheduled campaign that is due; return the ids this call started. Safe
    to run in several processes at once: start() locks the campaign and checks it is still
    scheduled, so a campaign is started once. A campaign that fails its preflight now goes
    back to draft, with the reason in the audit log."""
    started = []
    for cid in due(now or timezone.now()):
        try:
            sending.start(cid, by=SCHEDULER, allowed=frozenset({S.SCHEDULED}))
        except (CampaignStateError, TemplateError, SegmentError, LintFailed) as exc:
            # The template may have been edited since it was scheduled: back to draft, with
            # the reason, and the other due campaigns still start.
            if isinstance(exc, LintFailed):
                exc = "; ".join(f"{e['code']} ({e['where']})" for e in exc.errors)
            if Campaign.objects.filter(pk=cid, state=S.SCHEDULED).exists():
                log.warning("scheduled campaign %s cannot start: %s", cid, exc)
                do_transition(
                    cid,
                    {S.SCHEDULED},
                    S.DRAFT,
                    by=SCHEDULER,
                    details={"error": str(exc)[:500]},
                    strict=False,
                )
            continue  # else another scheduler started it, or it was unscheduled
        started.append(cid)
    return started


def freeze_rest(campaign_id: int, winner: int, *, by: Actor, now: datetime | None = None) -> int:
    """Record an A/B test's winner and freeze everyone not yet in the ledger (the audience
    evaluated now) with the winning variant; returns how many."""
    now = now or timezone.now()
    with transaction.atomic():
        campaign = (
            Campaign.objects.select_for_update().select_related("template").get(pk=campaign_id)
        )
        if campaign.ab_phase != "sample" or campaign.state not in (S.SENDING, S.PAUSED):
            chosen = ", winner already chosen" if campaign.ab_winner is not None else ""
            raise CampaignStateError(
                "the A/B test of this campaign is not waiting for a winner"
                f" (campaign is {campaign.state}{chosen})"
            )
        variants = len(campaign.ab_test["variants"])
        if not 0 <= winner < variants:
            raise CampaignStateError(f"variant must be 0 … {variants - 1}")
        got = Delivery.objects.filter(campaign_id=campaign_id, contact_id=OuterRef("pk"))
        rest = sending.audience(campaign).exclude(Exists(got))
        sending.without_jit()
        inserted = sending.freeze(campaign, rest, now, variant=winner)
        windows.spread(campaign, now)
        do_ab_decided(
            campaign_id,
            winner,
            by=by,
            at=now,
            details={"rest": inserted},
            recipients_total=campaign.recipients_total + inserted,
        )
    if not inserted:
        sending.finish_if_done([campaign_id])
    return inserted
