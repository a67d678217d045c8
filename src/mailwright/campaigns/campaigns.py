"""Create, edit, duplicate and delete campaigns (drafts and scheduled ones)."""

from __future__ import annotations

from django.db import transaction

from mailwright.audit import log as audit
from mailwright.audit.actors import Actor
from mailwright.campaigns.actions import CampaignStateError
from mailwright.campaigns.campaign_fields import SCHEDULING, scheduling_fields
from mailwright.campaigns.models import Campaign, Template
from mailwright.consent.directory import ContactError
from mailwright.contacts.addresses import InvalidAddress, normalize_email
from mailwright.contacts.models import Segment, Topic
from mailwright.contacts.segments import compile_segment


@transaction.atomic
def create_campaign(
    *,
    name: str,
    template_id: int,
    topic_keys: list[str],
    segment: dict | None = None,
    segment_id: int | None = None,
    from_email: str = "",
    from_name: str = "",
    reply_to: str = "",
    track_opens: bool = True,
    track_clicks: bool = True,
    **scheduling,
) -> Campaign:
    """`scheduling`: send_at, window, exclusion_group, exclusion_window_hours, ab_test
    (campaigns.campaign_fields)."""
    unknown = set(scheduling) - set(SCHEDULING)
    if unknown:
        raise ValueError(f"unknown campaign field(s): {', '.join(sorted(unknown))}")
    extra = scheduling_fields(scheduling, check_future=True)
    fields, topics = _validated(
        name=name,
        template_id=template_id,
        topic_keys=topic_keys,
        segment=segment,
        segment_id=segment_id,
        from_email=from_email,
        from_name=from_name,
        reply_to=reply_to,
    )
    campaign = Campaign.objects.create(
        **fields, **extra, track_opens=bool(track_opens), track_clicks=bool(track_clicks)
    )
    campaign.topics.set(topics)
    return campaign


@transaction.atomic
def update_campaign(campaign: Campaign, *, by: Actor | None = None, **changes) -> Campaign:
    """Change a draft or a scheduled campaign: any of create_campaign's arguments; those not
    given stay as they are. Audited: the fields that changed, before and after."""
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    before = _audited_view(campaign)
    ensure_editable(campaign)
    unknown = set(changes) - {*EDITABLE, *SCHEDULING, "template_id", "topic_keys", "segment_id"}
    if unknown:
        raise ValueError(f"cannot change {', '.join(sorted(unknown))}")
    wanted = {name: changes.pop(name) for name in SCHEDULING if name in changes}
    if "exclusion_group" in wanted or "exclusion_window_hours" in wanted:
        wanted.setdefault("exclusion_group", campaign.exclusion_group)
        wanted.setdefault("exclusion_window_hours", campaign.exclusion_window_hours)
    extra = scheduling_fields(wanted, check_future=True)
    if campaign.state == Campaign.State.SCHEDULED and "send_at" in extra and not extra["send_at"]:
        raise ContactError(
            "a scheduled campaign needs send_at; unschedule it to return it to draft",
            field="send_at",
        )
    current = {name: getattr(campaign, name) for name in EDITABLE}
    current["template_id"] = campaign.template_id
    current["segment_id"] = campaign.saved_segment_id
    current["topic_keys"] = [t.key for t in campaign.topics.all()]
    merged = {**current, **changes}
    switches = {name: bool(merged.pop(name)) for name in ("track_opens", "track_clicks")}
    fields, topics = _validated(**merged)
    for name, value in {**fields, **switches, **extra}.items():
        setattr(campaign, name, value)
    campaign.save()
    campaign.topics.set(topics)
    after = _audited_view(campaign)
    changed = sorted(name for name in after if after[name] != before[name])
    if changed:
        audit.record(
            by or Actor.system("mailwright"),
            "campaign.update",
            "campaign",
            campaign.pk,
            before={name: before[name] for name in changed},
            after={name: after[name] for name in changed},
        )
    return campaign


def _audited_view(campaign: Campaign) -> dict:
    """What the audit log keeps of a campaign's settings (JSON-safe)."""
    view = {name: getattr(campaign, name) for name in (*EDITABLE, *AUDITED_EXTRA)}
    view["template"] = campaign.template_id
    view["segment_id"] = campaign.saved_segment_id
    view["topics"] = sorted(t.key for t in campaign.topics.all())
    return {
        k: v if isinstance(v, str | int | float | bool | list | dict | None) else str(v)
        for k, v in view.items()
    }


AUDITED_EXTRA = (
    "send_at",
    "window_start",
    "window_end",
    "exclusion_group",
    "exclusion_window_hours",
    "ab_test",
)


EDITABLE = (
    "name",
    "segment",
    "from_email",
    "from_name",
    "reply_to",
    "track_opens",
    "track_clicks",
)


def _validated(
    *, name, template_id, topic_keys, segment, segment_id, from_email, from_name, reply_to
) -> tuple[dict, list[Topic]]:
    name = name.strip()
    if not name:
        raise ContactError("the name is empty", field="name")
    template = Template.objects.filter(pk=template_id).first()
    if template is None:
        raise ContactError(f"no template with id {template_id}", field="template", code="not_found")
    if template.kind != Template.Kind.MARKETING:
        raise ContactError(
            f"template {template_id} is a service template ({template.key}): campaigns use"
            " marketing templates; service templates are sent with POST /api/v1/messages",
            field="template",
        )
    topics = list(Topic.objects.filter(key__in=topic_keys))
    missing = sorted(set(topic_keys) - {t.key for t in topics})
    if missing:
        raise ContactError(
            f"unknown topic(s): {', '.join(missing)}", field="topics", code="unknown_topic"
        )
    if not topics:
        raise ContactError("choose at least one topic", field="topics")
    compile_segment(segment)  # raises SegmentError on a malformed tree
    saved = None
    if segment_id is not None:
        # Locked until the campaign is saved, so the segment cannot be deleted meanwhile
        # (deleting one a draft uses is refused: contacts.segment_store.do_delete_segment).
        saved = Segment.objects.select_for_update().filter(pk=segment_id).first()
        if saved is None:
            raise ContactError(
                f"no segment with id {segment_id}", field="segment_id", code="not_found"
            )
    addresses = {}
    for fieldname, value in (("from_email", from_email), ("reply_to", reply_to)):
        if value:
            try:
                addresses[fieldname] = normalize_email(value)
            except InvalidAddress as exc:
                raise ContactError(str(exc), field=fieldname) from None
    if any(ch in from_name for ch in "\r\n\x00"):
        raise ContactError("from_name contains a line break", field="from_name")
    fields = {
        "name": name,
        "template": template,
        "segment": segment,
        "saved_segment": saved,
        "from_email": addresses.get("from_email", ""),
        "from_name": from_name.strip(),
        "reply_to": addresses.get("reply_to", ""),
    }
    return fields, topics


EDITABLE_STATES = (Campaign.State.DRAFT, Campaign.State.SCHEDULED)


def ensure_editable(campaign: Campaign, doing: str = "edited") -> None:
    if campaign.state not in EDITABLE_STATES:
        raise CampaignStateError(
            f"campaign is {campaign.state}; only a draft or a scheduled campaign can be"
            f" {doing} (its messages are frozen once sending starts): duplicate it to make"
            " a new draft"
        )


def ensure_draft(campaign: Campaign) -> None:
    ensure_editable(campaign)


COPIED = (
    "template_id",
    "segment",
    "saved_segment_id",
    "from_email",
    "from_name",
    "reply_to",
    "track_opens",
    "track_clicks",
    "window_start",
    "window_end",
    "exclusion_group",
    "exclusion_window_hours",
    "ab_test",
)


@transaction.atomic
def do_duplicate(campaign_id: int, *, by: Actor) -> Campaign:
    """A new draft with the same content and settings ("Copy of …"), whatever the source's
    state; send_at is not copied (a copy is not scheduled)."""
    source = Campaign.objects.get(pk=campaign_id)
    copy = Campaign.objects.create(
        name=f"Copy of {source.name}"[:200], **{f: getattr(source, f) for f in COPIED}
    )
    copy.topics.set(source.topics.all())
    audit.record(
        by, "campaign.duplicate", "campaign", copy.pk, after={"from": source.pk, "name": copy.name}
    )
    return copy


@transaction.atomic
def do_delete(campaign_id: int, *, by: Actor) -> None:
    """Delete a draft or scheduled campaign (a campaign that has sent keeps its report)."""
    campaign = Campaign.objects.select_for_update().get(pk=campaign_id)
    ensure_editable(campaign, "deleted")
    before = {"name": campaign.name, "state": campaign.state}
    campaign.delete()
    audit.record(by, "campaign.delete", "campaign", campaign_id, before=before)
