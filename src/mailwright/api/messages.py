"""Service messages: POST /messages (one, with an Idempotency-Key and an optional ?wait),
POST /messages/batch (up to 500), GET /messages/{id} and GET /messages (SPEC §5.1)."""

from __future__ import annotations

import time

from django.http import HttpResponse
from ninja import Router, Status

from mailwright.api.errors import ApiError
from mailwright.api.message_schemas import MessageBatchIn, MessageBatchOut, MessageIn, MessageOut
from mailwright.api.pagination import page
from mailwright.audit.actors import Actor
from mailwright.campaigns.rendering import TemplateError
from mailwright.transactional import status
from mailwright.transactional.errors import SendError
from mailwright.transactional.models import Message
from mailwright.transactional.sending import Sent, do_send

router = Router(tags=["messages"])

MAX_BATCH = 500
MAX_WAIT = 30
POLL_SECONDS = 0.05
ITEM_KEYS = {
    "template",
    "to",
    "data",
    "stream",
    "language",
    "attachments",
    "track_opens",
    "idempotency_key",
}


def out(msg: Message) -> dict:
    d = msg.delivery if msg.delivery_id else None
    return {
        "id": msg.id,
        "state": status.state(msg),
        "reason": status.reason(msg),
        "to": msg.to_email,
        "contact": msg.contact_id,
        "template": msg.template_key,
        "stream": msg.stream,
        "language": msg.language,
        "attachments": msg.attachments,
        "created_at": msg.created_at,
        "sent_at": d.sent_at if d else None,
        "last_code": d.last_code if d else None,
        "last_reply": d.last_reply if d else "",
        "events": status.events(msg),
    }


def _key_id(request) -> int:
    key = getattr(request, "api_key", None)
    return key.id if key is not None else 0


def _send(request, item: dict, idempotency_key: str) -> Sent:
    try:
        return do_send(
            template=item.get("template"),
            to=item.get("to"),
            data=item.get("data"),
            stream=item.get("stream", "service"),
            language=item.get("language"),
            attachments=item.get("attachments"),
            track_opens=item.get("track_opens", False),
            idempotency_key=idempotency_key,
            api_key_id=_key_id(request),
            by=Actor.from_api_key(request),
        )
    except SendError as exc:
        raise ApiError(exc.status, exc.code, exc.message, exc.field) from None
    except TemplateError as exc:
        # The template fails for this data (e.g. a filter given text it cannot format).
        raise ApiError(422, "template_error", f"template: {exc}", "template") from None


def _wait(msg: Message, seconds: float) -> Message:
    """Poll the ledger until the delivery leaves queued/sending or `seconds` pass."""
    deadline = time.monotonic() + seconds
    while msg.delivery_id and time.monotonic() < deadline:
        msg.delivery.refresh_from_db(fields=["state", "last_code", "last_reply", "sent_at"])
        if msg.delivery.state not in ("queued", "sending"):
            break
        time.sleep(POLL_SECONDS)
    return msg


@router.post("", response={200: MessageOut, 202: MessageOut})
def send_message(request, response: HttpResponse, data: MessageIn, wait: float = 0):
    """Send one service message. 202 when accepted, 200 with `Idempotent-Replayed: true`
    when the Idempotency-Key named one already accepted with the same body."""
    if not 0 <= wait <= MAX_WAIT:
        raise ApiError(422, "invalid", f"wait: between 0 and {MAX_WAIT} seconds", "wait")
    item = data.dict(exclude_unset=True)
    sent = _send(request, item, request.headers.get("Idempotency-Key", ""))
    msg = sent.message
    if sent.refused:
        raise ApiError(
            422,
            "suppressed",
            f"to: {msg.to_email} may not be mailed ({msg.refused_reason}); message {msg.id}"
            " was recorded as refused",
            "to",
        )
    if sent.replayed:
        response["Idempotent-Replayed"] = "true"
    if wait:
        _wait(msg, wait)
    return Status(200 if sent.replayed else 202, out(msg))


@router.post("/batch", response=MessageBatchOut)
def send_batch(request, data: MessageBatchIn):
    """Up to 500 messages: each accepted or refused on its own (errors name their index)."""
    if len(data.messages) > MAX_BATCH:
        raise ApiError(
            413,
            "too_many",
            f"messages: at most {MAX_BATCH} per batch ({len(data.messages)} given)",
            "messages",
        )
    accepted, errors = [], []
    for i, item in enumerate(data.messages):
        try:
            if not isinstance(item, dict):
                raise ApiError(422, "invalid", "must be a message object", "")
            unknown = sorted(set(item) - ITEM_KEYS)
            if unknown:
                raise ApiError(422, "invalid", f"{unknown[0]}: unknown field", unknown[0])
            key = item.get("idempotency_key") or ""
            if not isinstance(key, str):
                raise ApiError(422, "invalid", "idempotency_key: must be text", "idempotency_key")
            sent = _send(request, item, key)
            if sent.refused:
                raise ApiError(
                    422,
                    "suppressed",
                    f"to: may not be mailed ({sent.message.refused_reason})",
                    "to",
                )
        except ApiError as exc:
            field = f"messages[{i}]" + (f".{exc.field}" if exc.field else "")
            errors.append({"index": i, "code": exc.code, "message": exc.message, "field": field})
            continue
        msg = sent.message
        accepted.append(
            {"index": i, "id": msg.id, "state": status.state(msg), "replayed": sent.replayed}
        )
    return {"accepted": accepted, "errors": errors}


@router.get("", response=list[MessageOut])
def list_messages(
    request,
    response: HttpResponse,
    to: str = "",
    state: str = "",
    template: str = "",
    limit: int = 100,
    offset: int = 0,
):
    if state and state not in status.STATES:
        raise ApiError(422, "invalid", f"state: one of {', '.join(status.STATES)}", "state")
    qs = status.search(to=to[:320], state_=state, template=template[:100])
    return [out(m) for m in page(request, response, qs, limit, offset)]


@router.get("/{message_id}", response=MessageOut)
def get_message(request, message_id: int):
    return out(Message.objects.select_related("delivery").get(pk=message_id))
