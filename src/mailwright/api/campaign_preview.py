"""Preview a template or campaign as a contact, and send a campaign's test (SPEC §4.4):

POST /api/v1/campaigns/{id}/preview  {"contact": id} | {"email": "..."}
                                     | {"segment": id, "index": n}
POST /api/v1/templates/{id}/preview  (the same body)
   → {"subject", "html", "text", "contact"}; links in the preview are inert.
POST /api/v1/campaigns/{id}/test     {"emails": [...]?, "contact": id?}
   → 202 {"queued": n, "emails": [...], "deliveries": [...]}; service mail, no campaign id.
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status
from pydantic import ConfigDict, Field

from mailwright.api.errors import ApiError
from mailwright.campaigns.models import Campaign, Template
from mailwright.delivery import preview

router = Router(tags=["campaigns"])


class PreviewIn(Schema):
    model_config = ConfigDict(extra="forbid")
    contact: int | None = Field(None, description="preview as this contact")
    email: str | None = Field(None, max_length=320, description="... or the contact with it")
    segment: int | None = Field(None, description="... or a member of this stored segment")
    index: int = Field(0, ge=0, description="which member (in id order; wraps around)")


class PreviewOut(Schema):
    subject: str
    html: str
    text: str
    contact: dict


class TestSendIn(Schema):
    model_config = ConfigDict(extra="forbid")
    emails: list[str] | None = Field(None, description="default: the organisation's seed list")
    contact: int | None = Field(None, description="render as this contact (default: sample)")


class TestSendOut(Schema):
    queued: int
    emails: list[str]
    deliveries: list[int]


def _picked(data: PreviewIn) -> preview.Picked:
    given = [n for n in ("contact", "email", "segment") if getattr(data, n) is not None]
    if len(given) > 1:
        raise ApiError(422, "invalid", "give one of contact, email or segment", given[1])
    try:
        return preview.pick(
            contact=data.contact, email=data.email, segment=data.segment, index=data.index
        )
    except preview.PreviewError as exc:
        code = "not_found" if exc.status == 404 else "invalid"
        raise ApiError(exc.status, code, str(exc), exc.field) from None


@router.post("/campaigns/{campaign_id}/preview", response=PreviewOut)
def preview_campaign(request, campaign_id: int, data: PreviewIn):
    campaign = get_object_or_404(Campaign.objects.select_related("template"), pk=campaign_id)
    return preview.render(campaign.template, _picked(data), campaign)


@router.post("/templates/{template_id}/preview", response=PreviewOut)
def preview_template(request, template_id: int, data: PreviewIn):
    template = get_object_or_404(Template, pk=template_id, kind="marketing")
    return preview.render(template, _picked(data))


@router.post("/campaigns/{campaign_id}/test", response={202: TestSendOut})
def test_send(request, campaign_id: int, data: TestSendIn):
    campaign = get_object_or_404(Campaign.objects.select_related("template"), pk=campaign_id)
    try:
        rows = preview.send_test(campaign, emails=data.emails, contact=data.contact)
    except preview.PreviewError as exc:
        codes = {404: "not_found", 429: "rate_limited"}
        raise ApiError(exc.status, codes.get(exc.status, "invalid"), str(exc), exc.field) from None
    return Status(
        202,
        {
            "queued": len(rows),
            "emails": [d.email for d in rows],
            "deliveries": [d.id for d in rows],
        },
    )
