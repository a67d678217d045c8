"""Sending one service message: `do_send`, the one action the API, the UI and the CLI use.

It validates everything before writing anything (template, data, recipient, attachments,
sizes), then in one transaction records the Message, renders it and queues its delivery on
the service stream. Marketing consent is never required (SPEC §3.7): only suppression (hard
bounce, complaint, erasure, manual) refuses a recipient, and then the Message is kept with
its `refused_reason` and no delivery.

Idempotency: a message accepted with an Idempotency-Key is a row, unique per (API key,
Idempotency-Key); the same key with the same canonical body returns that row (never a
second delivery, also when two requests race: the loser's insert fails on the unique
constraint and it returns the winner), and with another body is `idempotency_conflict`.
Keys do not expire: they live as long as the message they name.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from mailwright.audit import log as audit
from mailwright.audit.actors import Actor
from mailwright.audit.events import DomainEvent, emit
from mailwright.campaigns.models import Template
from mailwright.campaigns.rendering import contact_context, recipient_context
from mailwright.campaigns.service_templates import (
    DataError,
    pick_language,
    render_service,
    validate_data,
)
from mailwright.contacts.addresses import InvalidAddress, email_key, normalize_email
from mailwright.contacts.models import Contact, Subscription
from mailwright.delivery import policy, service
from mailwright.transactional import attachments as attachment_rules
from mailwright.transactional.errors import SendError
from mailwright.transactional.models import Message

MAX_KEY_LENGTH = 255
STREAMS = ("service",)


@dataclass(frozen=True)
class Sent:
    """The outcome of do_send: the message, and whether it was an idempotent replay.
    A refused recipient gives a message with `refused_reason` and no delivery."""

    message: Message
    replayed: bool = False

    @property
    def refused(self) -> bool:
        return bool(self.message.refused_reason)


def canonical_hash(request: dict) -> str:
    """SHA-256 of the request as the client meant it (keys sorted, no whitespace): the same
    body however it was formatted."""
    text = json.dumps(request, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def check_idempotency_key(key: str | None) -> str:
    key = key or ""
    if len(key) > MAX_KEY_LENGTH:
        raise SendError(
            "invalid_idempotency_key",
            f"the Idempotency-Key is longer than {MAX_KEY_LENGTH} characters",
            "Idempotency-Key",
            status=400,
        )
    if any(not (32 < ord(ch) < 127) for ch in key):
        raise SendError(
            "invalid_idempotency_key",
            "the Idempotency-Key may hold only printable ASCII characters without spaces",
            "Idempotency-Key",
            status=400,
        )
    return key


def _replay(existing: Message, request_hash: str) -> Sent:
    if existing.request_hash != request_hash:
        raise SendError(
            "idempotency_conflict",
            f"this Idempotency-Key was already used for message {existing.id} with a"
            " different request body; use a new key for a new message",
            "Idempotency-Key",
            status=409,
        )
    return Sent(existing, replayed=True)


def _template(key) -> Template:
    if not isinstance(key, str) or not key.strip():
        raise SendError("invalid", "template: the service template's key is required", "template")
    tpl = Template.objects.filter(key=key.strip(), kind=Template.Kind.SERVICE).first()
    if tpl is None:
        raise SendError(
            "unknown_template",
            f"template: no service template with the key {key.strip()[:100]!r}"
            " (GET /api/v1/templates?kind=service lists them)",
            "template",
            status=404,
        )
    return tpl


def _recipient(to) -> tuple[str, Contact | None]:
    """(address to send to, contact or None). An address that is not a contact is sent to
    as it is: no contact is created for it."""
    if isinstance(to, dict):
        cid = to.get("contact")
        if set(to) != {"contact"} or isinstance(cid, bool) or not isinstance(cid, int):
            raise SendError("invalid", 'to: an address, or {"contact": ID} with a contact id', "to")
        contact = Contact.objects.filter(pk=cid).first()
        if contact is None or contact.status == Contact.Status.ERASED or not contact.email:
            raise SendError(
                "unknown_contact", f"to.contact: no contact with id {cid}", "to.contact", status=404
            )
        return contact.email, contact
    if not isinstance(to, str):
        raise SendError("invalid", 'to: an address, or {"contact": ID}', "to")
    try:
        address = normalize_email(to)
    except InvalidAddress as exc:
        raise SendError("invalid_address", f"to: {exc}", "to") from None
    contact = Contact.objects.filter(email_key=email_key(address)).first()
    if contact is not None and contact.status != Contact.Status.ERASED:
        return address, contact
    return address, None


def _data(template: Template, data) -> dict:
    """The data checked against the template (service_templates.validate_data: the fields,
    and at most 64 KB of JSON)."""
    try:
        return validate_data(template, {} if data is None else data)
    except DataError as exc:
        field = exc.field if exc.field == "data" else f"data.{exc.field}"
        if exc.too_large:
            raise SendError("too_large", f"{field}: {exc.reason}", field, status=413) from None
        raise SendError("invalid_data", f"{field}: {exc.reason}", field) from None


def has_marketing_consent(contact: Contact | None) -> bool:
    """A confirmed subscription to any topic: then a template's promo() block shows."""
    if contact is None or contact.status != Contact.Status.ACTIVE:
        return False
    return Subscription.objects.filter(contact=contact, state=Subscription.State.CONFIRMED).exists()


def do_send(
    *,
    template,
    to,
    data=None,
    stream: str = "service",
    language: str | None = None,
    attachments=None,
    track_opens=False,
    idempotency_key: str | None = "",
    api_key_id: int = 0,
    by: Actor,
) -> Sent:
    """Accept one service message: validate, then record, render and queue it (one
    transaction, audited). Raises SendError (code, message, field, status)."""
    key = check_idempotency_key(idempotency_key)
    request_hash = canonical_hash(
        {
            "template": template,
            "to": to,
            "data": data if data is not None else {},
            "stream": stream,
            "language": language,
            "attachments": attachments or [],
            # Only when asked: hashes of requests without it stay what they were.
            **({"track_opens": track_opens} if track_opens else {}),
        }
    )
    if key:
        existing = Message.objects.filter(api_key_id=api_key_id, idempotency_key=key).first()
        if existing is not None:
            return _replay(existing, request_hash)
    if not isinstance(track_opens, bool):
        raise SendError("invalid", "track_opens: must be true or false", "track_opens")
    if stream not in STREAMS:
        raise SendError(
            "invalid_stream",
            f'stream: messages are sent on the service stream ("service"), not {stream!r};'
            " marketing mail goes out as campaigns",
            "stream",
        )
    if language is not None and (not isinstance(language, str) or len(language) > 8):
        raise SendError("invalid", 'language: a language code like "tr"', "language")
    tpl = _template(template)
    clean_data = _data(tpl, data)
    files = attachment_rules.check(attachments)
    address, contact = _recipient(to)
    chosen = pick_language(tpl, language or None, contact.language if contact else None)
    refused = policy.suppression_reason(address)
    now = timezone.now()
    with transaction.atomic():
        try:
            with transaction.atomic():
                msg = Message.objects.create(
                    api_key_id=api_key_id,
                    idempotency_key=key,
                    request_hash=request_hash,
                    template=tpl,
                    template_key=tpl.key,
                    stream=stream,
                    language=chosen,
                    to_email=address,
                    contact=contact,
                    data=clean_data,
                    attachments=[
                        {k: f[k] for k in ("filename", "content_type", "size")} for f in files
                    ],
                    refused_reason=refused,
                    created_at=now,
                )
        except IntegrityError:
            # A concurrent request with this key won the insert: answer as it did.
            if not key:
                raise
            winner = Message.objects.get(api_key_id=api_key_id, idempotency_key=key)
            return _replay(winner, request_hash)
        if not refused:
            ctx = contact_context(contact) if contact is not None else {"email": address}
            consented = has_marketing_consent(contact)
            links = {}
            if consented:  # a promotional block is commercial: it carries the way out
                recipient = recipient_context(contact, None)
                links = {k: recipient[k] for k in ("unsubscribe_url", "preferences_url")}
            rendered = render_service(
                tpl,
                language=chosen,
                data=clean_data,
                contact=ctx,
                marketing_consent=consented,
                message_id=msg.id,
                extra=links,
            )
            msg.delivery = service.queue(
                contact,
                email=address,
                kind=tpl.key,
                subject=rendered.subject,
                html=rendered.html,
                text=rendered.text,
                language=rendered.language,
                attachments=[
                    {k: f[k] for k in ("filename", "content_type", "content")} for f in files
                ],
                track_opens=track_opens,
            )
            msg.language = rendered.language
            msg.save(update_fields=["delivery", "language"])
        audit.record(
            by,
            "message.refuse" if refused else "message.send",
            "message",
            msg.pk,
            after={
                "template": tpl.key,
                "stream": stream,
                "delivery": msg.delivery_id,
                **({"refused": refused} if refused else {}),
            },
        )
        emit(
            DomainEvent(
                "suppressed" if refused else "queued",
                {
                    "message": msg.pk,
                    "template": tpl.key,
                    **({"reason": refused} if refused else {}),
                },
                email=address,
                contact_id=contact.pk if contact else None,
                delivery_id=msg.delivery_id,
                at=now,
            )
        )
    return Sent(msg)
