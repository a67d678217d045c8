from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from ninja import Schema
from pydantic import ConfigDict, Field

from mailwright.consent.topics import KEY as TOPIC_KEY


class In(Schema):
    model_config = ConfigDict(extra="forbid")


class TopicIn(In):
    # Checked by consent.topics.check_key (the pattern here only documents it).
    key: str = Field(
        description="slug, e.g. newsletter", json_schema_extra={"pattern": TOPIC_KEY.pattern}
    )
    name: str = Field(min_length=1, max_length=200)
    description: str = Field("", max_length=5000)
    consent_text: str = Field("", max_length=5000)


class TopicOut(Schema):
    id: int
    key: str
    name: str
    description: str
    consent_text: str
    consent_version: int


class SubscriptionIn(In):
    topic: str = Field(max_length=64)
    state: Literal["pending", "confirmed"]
    basis: str = Field("", max_length=300)


class SubscriptionOut(Schema):
    topic: str
    state: str
    basis: str
    updated_at: datetime


class ContactFields(In):
    """The fields a writer may set; left out = unchanged (consent.directory validates)."""

    name: str | None = Field(None, max_length=200)
    language: str | None = Field(None, max_length=16)
    attributes: dict[str, Any] | None = Field(
        None,
        description="declared attributes only (GET /attributes), typed; merged into the"
        " contact's attributes, a null value removes one",
    )
    tags: list[str] | None = Field(
        None, max_length=200, description="at most 50, each 1-64 characters; replaces the list"
    )
    time_zone: str | None = Field(None, max_length=64, description="IANA, e.g. Europe/Warsaw")
    birthday: str | None = Field(None, max_length=32, description="YYYY-MM-DD, not in the future")
    anniversary: str | None = Field(None, max_length=32, description="YYYY-MM-DD")
    subscriptions: list[SubscriptionIn] = Field(default_factory=list, max_length=100)


class ContactIn(ContactFields):
    email: str = Field(max_length=320)


class ContactPatch(ContactFields):
    pass


class ContactOut(Schema):
    id: int
    email: str
    name: str
    language: str
    attributes: dict[str, Any]
    tags: list[str]
    time_zone: str
    birthday: date | None
    anniversary: date | None
    status: str
    subscriptions: list[SubscriptionOut]
    created_at: datetime


class BatchIn(In):
    contacts: list[Any] = Field(
        min_length=1, max_length=1000, description="contact objects, as for POST /contacts"
    )


class BatchError(Schema):
    index: int
    code: str
    message: str
    field: str | None = None


class BatchOut(Schema):
    created: int
    updated: int
    errors: list[BatchError]


class TemplateIn(In):
    name: str = Field(max_length=200)
    subject: str = Field(max_length=998)
    html: str | None = None
    mjml: str | None = None
    text: str = ""


class TemplateOut(Schema):
    id: int
    name: str
    subject: str
    html: str
    mjml: str
    text: str
    created_at: datetime
    updated_at: datetime


class CampaignIn(In):
    name: str = Field(min_length=1, max_length=200)
    template: int
    topics: list[str] = Field(min_length=1, max_length=100)
    segment: dict[str, Any] | None = None
    segment_id: int | None = Field(None, description="a stored segment (AND `segment`)")
    from_email: str = Field("", max_length=320)
    from_name: str = Field("", max_length=200)
    reply_to: str = Field("", max_length=320)
    track_opens: bool = Field(True, description="add the open pixel")
    track_clicks: bool = Field(True, description="send links through the click redirect")


class CampaignPatch(In):
    """Changes to a draft; fields left out stay as they are."""

    name: str | None = Field(None, min_length=1, max_length=200)
    template: int | None = None
    topics: list[str] | None = Field(None, min_length=1, max_length=100)
    segment: dict[str, Any] | None = None
    segment_id: int | None = None
    from_email: str | None = Field(None, max_length=320)
    from_name: str | None = Field(None, max_length=200)
    reply_to: str | None = Field(None, max_length=320)
    track_opens: bool | None = None
    track_clicks: bool | None = None


class SegmentIn(In):
    name: str = Field(max_length=200)
    description: str = Field("", max_length=5000)
    tree: dict[str, Any] = Field(description="the filter tree (docs/segments.md)")


class SegmentPatch(In):
    """Changes to a stored segment; fields left out stay as they are."""

    name: str | None = Field(None, max_length=200)
    description: str | None = Field(None, max_length=5000)
    tree: dict[str, Any] | None = None


class SegmentOut(Schema):
    id: int
    name: str
    description: str
    tree: dict[str, Any]
    count: int | None = Field(None, description="contacts it matches now (null unless asked)")
    created_at: datetime
    updated_at: datetime


class SegmentCountIn(In):
    segment: dict[str, Any] = Field(description="a filter tree, as stored segments have")


class SegmentCountOut(Schema):
    count: int


class Counts(Schema):
    queued: int
    sending: int
    sent: int
    deferred: int
    bounced: int
    failed: int
    suppressed: int


class CampaignOut(Schema):
    id: int
    name: str
    state: str
    template: int
    topics: list[str]
    segment: dict[str, Any] | None
    segment_id: int | None = None
    from_email: str
    from_name: str
    reply_to: str
    track_opens: bool
    track_clicks: bool
    recipients_total: int
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    counts: Counts | None = None


class CampaignStateOut(Schema):
    id: int
    state: str


class CapturedOut(Schema):
    id: int
    to: str
    subject: str
    received_at: datetime


class CapturedDetail(CapturedOut):
    mail_from: str
    recipients: list[str]
    message_id: str
    size: int


class ErasedOut(Schema):
    id: int
    status: str


# --- read models: campaign report, stream reputation, contact timeline ------------------------

Fraction = float | None  # 0.05 = 5 %; null when there is nothing to divide by


class ReportCampaign(Schema):
    id: int
    name: str
    state: str
    started_at: datetime | None
    finished_at: datetime | None


class ReportCounts(Schema):
    attempted: int
    accepted: int
    delivered: int
    bounced: int
    bounced_later: int
    soft_bounced: int
    complaints: int
    unsubscribed: int
    opens_human: int
    opens_machine: int
    clicks_human: int
    clicks_machine: int


class ReportRates(Schema):
    bounce_rate: Fraction
    soft_bounce_rate: Fraction
    complaint_rate: Fraction
    open_rate: Fraction
    click_rate: Fraction
    machine_open_rate: Fraction
    machine_click_rate: Fraction
    click_to_open_rate: Fraction
    unsubscribe_rate: Fraction


class ReportLink(Schema):
    index: int | None
    url: str
    human_unique: int
    human_total: int
    machine_unique: int
    machine_total: int


class ReportDomain(Schema):
    domain: str
    attempted: int
    accepted: int
    delivered: int
    bounced: int
    complaints: int
    opens_human: int
    clicks_human: int
    bounce_rate: Fraction
    complaint_rate: Fraction
    open_rate: Fraction
    click_rate: Fraction


class ReportHour(Schema):
    at: datetime
    opens_human: int
    opens_machine: int
    clicks_human: int
    clicks_machine: int


class CampaignReportOut(Schema):
    campaign: ReportCampaign
    counts: ReportCounts
    rates: ReportRates
    links: list[ReportLink]
    domains: list[ReportDomain]
    start: datetime | None
    timeline: list[ReportHour]


class ReputationCounts(Schema):
    attempted: int
    delivered: int
    bounced: int
    complaints: int


class ReputationRates(Schema):
    bounce_rate: Fraction
    complaint_rate: Fraction


class ReputationLine(Schema):
    source: str
    name: str
    rate: float
    meaning: str
    status: str


class ReputationFigure(Schema):
    measure: str
    rate_name: str
    reference: str
    rate: float
    status: str
    label: str
    lines: list[ReputationLine]


class StreamReputationOut(Schema):
    stream: str
    since: datetime
    until: datetime
    status: str
    counts: ReputationCounts
    rates: ReputationRates
    figures: list[ReputationFigure]


class TimelineEntryOut(Schema):
    type: str
    at: datetime
    source: str
    campaign: int | None
    machine: bool
    data: dict[str, Any]


class AttributeIn(In):
    key: str = Field(max_length=64, description="lowercase [a-z_][a-z0-9_]{0,63}")
    type: Literal["string", "number", "date", "bool"]
    label: str = Field("", max_length=200)


class AttributePatch(In):
    label: str | None = Field(None, max_length=200)
    type: Literal["string", "number", "date", "bool"] | None = Field(
        None, description="only when every stored value converts"
    )


class AttributeOut(Schema):
    key: str
    type: str
    label: str
    created_at: datetime


class AttributeDeletedOut(Schema):
    key: str
    contacts_changed: int


# --- service messages (POST /messages) ------------------------------------------------------


class MessageIn(In):
    """Checked by transactional.sending.do_send, which names the failing field."""

    template: Any = Field(description="the service template's key, e.g. password-reset")
    to: Any = Field(description='an address, or {"contact": ID}')
    data: Any = Field(None, description="the template's data fields (at most 64 KB of JSON)")
    stream: Any = Field("service", description='only "service"')
    language: Any = Field(
        None, description="e.g. tr; default: the contact's language, else the template's"
    )
    attachments: Any = Field(
        None,
        description='[{"filename", "content_type", "content" (base64)}]: at most 10 files,'
        " 10 MB decoded in total; executables and scripts are refused",
    )


class MessageBatchIn(In):
    messages: list[Any] = Field(
        min_length=1,
        description="at most 500 message objects, as for POST /messages, each with an"
        ' optional "idempotency_key"',
    )


class MessageEventOut(Schema):
    type: str
    at: datetime
    machine: bool = False
    code: int | None = None
    reply: str | None = None
    url: str | None = None


class MessageAttachmentOut(Schema):
    filename: str
    content_type: str
    size: int


class MessageOut(Schema):
    id: int
    state: str
    reason: str
    to: str
    contact: int | None
    template: str
    stream: str
    language: str
    attachments: list[MessageAttachmentOut]
    created_at: datetime
    sent_at: datetime | None
    last_code: int | None
    last_reply: str
    events: list[MessageEventOut]


class MessageAccepted(Schema):
    index: int
    id: int
    state: str
    replayed: bool


class MessageBatchError(Schema):
    index: int
    code: str
    message: str
    field: str | None


class MessageBatchOut(Schema):
    accepted: list[MessageAccepted]
    errors: list[MessageBatchError]
