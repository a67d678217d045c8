"""Schemas of the service messages API (POST /messages, /messages/batch, GET /messages)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Schema
from pydantic import Field

from mailwright.api.schemas import In


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
    track_opens: Any = Field(
        False, description="true: an open pixel, so GET /messages/{id} can show `opened`"
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
