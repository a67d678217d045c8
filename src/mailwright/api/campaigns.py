from django.http import HttpResponse
from ninja import Router, Status

from mailwright.api.campaign_schedule import delete_campaign, schedule_out
from mailwright.api.campaign_schemas import (
    NULLABLE,
    CampaignIn,
    CampaignOut,
    CampaignPatch,
    CampaignReportOut,
)
from mailwright.api.errors import ApiError
from mailwright.api.pagination import page
from mailwright.api.schemas import CampaignStateOut
from mailwright.audit.actors import Actor
from mailwright.campaigns.campaigns import create_campaign, do_duplicate, update_campaign
from mailwright.campaigns.models import Campaign
from mailwright.delivery import schedule, sending
from mailwright.feedback import reports

router = Router(tags=["campaigns"])


def campaign_out(c: Campaign, with_counts: bool = True) -> dict:
    return {
        "id": c.id,
        "name": c.name,
        "state": c.state,
        "template": c.template_id,
        "topics": sorted(t.key for t in c.topics.all()),
        "segment": c.segment,
        "segment_id": c.saved_segment_id,
        "from_email": c.from_email,
        "from_name": c.from_name,
        "reply_to": c.reply_to,
        "track_opens": c.track_opens,
        "track_clicks": c.track_clicks,
        "recipients_total": c.recipients_total,
        "created_at": c.created_at,
        "started_at": c.started_at,
        "finished_at": c.finished_at,
        "counts": sending.delivery_counts(c.id) if with_counts else None,
        **schedule_out(c),
    }


@router.post("", response={201: CampaignOut})
def create(request, data: CampaignIn):
    c = create_campaign(
        name=data.name,
        template_id=data.template,
        topic_keys=data.topics,
        segment=data.segment,
        segment_id=data.segment_id,
        from_email=data.from_email,
        from_name=data.from_name,
        reply_to=data.reply_to,
        track_opens=data.track_opens,
        track_clicks=data.track_clicks,
        send_at=data.send_at,
        window=data.window,
        exclusion_group=data.exclusion_group,
        exclusion_window_hours=data.exclusion_window_hours,
        ab_test=data.ab_test,
    )
    return Status(201, campaign_out(c))


@router.get("", response=list[CampaignOut])
def list_campaigns(
    request, response: HttpResponse, state: str = "", limit: int = 100, offset: int = 0
):
    qs = Campaign.objects.order_by("-id").prefetch_related("topics")
    if state:
        if state not in Campaign.State.values:
            raise ApiError(
                422, "invalid", f"state must be one of {', '.join(Campaign.State.values)}", "state"
            )
        qs = qs.filter(state=state)
    return [campaign_out(c, with_counts=False) for c in page(request, response, qs, limit, offset)]


@router.get("/{campaign_id}", response=CampaignOut)
def get_campaign(request, campaign_id: int):
    return campaign_out(Campaign.objects.get(pk=campaign_id))


@router.post("/{campaign_id}/duplicate", response={201: CampaignOut})
def duplicate(request, campaign_id: int):
    """A new draft copy ("Copy of …") of any campaign, sent or not; not scheduled. Answers
    the copy as GET /campaigns/{id} shows it."""
    copy = do_duplicate(campaign_id, by=Actor.from_api_key(request))
    return Status(201, campaign_out(Campaign.objects.get(pk=copy.pk)))


@router.patch("/{campaign_id}", response=CampaignOut)
def update(request, campaign_id: int, data: CampaignPatch):
    """Change a draft or a scheduled campaign (409 invalid_state once it is sending or
    sent: duplicate it instead)."""
    changes = data.model_dump(exclude_unset=True)
    for name, value in changes.items():
        if value is None and name not in NULLABLE:  # null: no segment, schedule, window, test
            raise ApiError(422, "invalid", f"{name} cannot be null", name)
    renamed = {"template": "template_id", "topics": "topic_keys"}
    changes = {renamed.get(name, name): value for name, value in changes.items()}
    campaign = Campaign.objects.get(pk=campaign_id)
    by = Actor.from_api_key(request)
    return campaign_out(update_campaign(campaign, by=by, **changes))


@router.delete("/{campaign_id}", response={204: None})
def delete(request, campaign_id: int):
    """Delete a draft or scheduled campaign (409 once it has started sending)."""
    return delete_campaign(request, campaign_id)


@router.post("/{campaign_id}/send", response=CampaignStateOut)
def send(request, campaign_id: int):
    """Start sending now, or, when send_at is in the future, schedule it (state
    `scheduled`; the preflight runs now and again when it starts)."""
    Campaign.objects.get(pk=campaign_id)  # 404 before anything else
    return schedule.send(campaign_id, by=Actor.from_api_key(request))


@router.post("/{campaign_id}/pause", response=CampaignStateOut)
def pause(request, campaign_id: int):
    Campaign.objects.get(pk=campaign_id)
    return sending.pause(campaign_id, by=Actor.from_api_key(request))


@router.post("/{campaign_id}/resume", response=CampaignStateOut)
def resume(request, campaign_id: int):
    Campaign.objects.get(pk=campaign_id)
    return sending.resume(campaign_id, by=Actor.from_api_key(request))


@router.post("/{campaign_id}/cancel", response=CampaignStateOut)
def cancel(request, campaign_id: int):
    Campaign.objects.get(pk=campaign_id)
    return sending.cancel(campaign_id, by=Actor.from_api_key(request))


@router.get("/{campaign_id}/report", response=CampaignReportOut)
def report(request, campaign_id: int):
    """The campaign report's figures (the same as the report page): counts, rates as
    fractions, clicks per link, receiving domains, opens and clicks per hour."""
    return reports.campaign_report(Campaign.objects.get(pk=campaign_id)).as_dict()
