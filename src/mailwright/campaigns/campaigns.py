"""Create and edit campaigns (drafts)."""

from __future__ import annotations

from django.db import transaction

from mailwright.campaigns.models import Campaign, Template
from mailwright.campaigns.sending import CampaignStateError
from mailwright.consent.directory import ContactError
from mailwright.contacts.addresses import InvalidAddress, normalize_email
from mailwright.contacts.models import Topic
from mailwright.contacts.segments import compile_segment


@transaction.atomic
def create_campaign(
    *,
    name: str,
    template_id: int,
    topic_keys: list[str],
    segment: dict | None = None,
    from_email: str = "",
    from_name: str = "",
    reply_to: str = "",
) -> Campaign:
    name = name.strip()
    if not name:
        raise ContactError("the name is empty", field="name")
    template = Template.objects.filter(pk=template_id).first()
    if template is None:
        raise ContactError(f"no template with id {template_id}", field="template", code="not_found")
    topics = list(Topic.objects.filter(key__in=topic_keys))
    missing = sorted(set(topic_keys) - {t.key for t in topics})
    if missing:
        raise ContactError(
            f"unknown topic(s): {', '.join(missing)}", field="topics", code="unknown_topic"
        )
    if not topics:
        raise ContactError("choose at least one topic", field="topics")
    compile_segment(segment)  # raises SegmentError on a malformed tree
    addresses = {}
    for fieldname, value in (("from_email", from_email), ("reply_to", reply_to)):
        if value:
            try:
                addresses[fieldname] = normalize_email(value)
            except InvalidAddress as exc:
                raise ContactError(str(exc), field=fieldname) from None
    if any(ch in from_name for ch in "\r\n\x00"):
        raise ContactError("from_name contains a line break", field="from_name")
    campaign = Campaign.objects.create(
        name=name,
        template=template,
        segment=segment,
        from_email=addresses.get("from_email", ""),
        from_name=from_name.strip(),
        reply_to=addresses.get("reply_to", ""),
    )
    campaign.topics.set(topics)
    return campaign


def ensure_draft(campaign: Campaign) -> None:
    if campaign.state != Campaign.State.DRAFT:
        raise CampaignStateError(f"campaign is {campaign.state}; only a draft can be edited")
