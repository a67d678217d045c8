"""Data-subject rights (GDPR art. 15-17): export everything held about a person, erase them,
and audit both. Rectification goes through the normal edit paths (API PATCH, UI edit)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from mailwright.audit import log as audit
from mailwright.audit.actors import Actor
from mailwright.consent.hashing import address_hash, address_hashes
from mailwright.consent.models import ConsentEvent, PrivacyAudit, Suppression
from mailwright.consent.signals import erasing
from mailwright.consent.topics import text_of
from mailwright.contacts.addresses import InvalidAddress, email_key, normalize_email
from mailwright.contacts.models import Contact

ERASED_EMAIL = "erased-{id}@erased.invalid"


class PrivacyError(ValueError):
    pass


def find_contact(email: str) -> Contact:
    try:
        address = normalize_email(email)
    except InvalidAddress as exc:
        raise PrivacyError(str(exc)) from None
    # One contact per key: however the person capitalises their address.
    contact = Contact.objects.filter(email_key=email_key(address)).first()
    if contact is not None:
        return contact
    raise PrivacyError(f"no contact with the address {address}")


def consent_proof(contact: Contact) -> dict:
    """The consent record for one person: subscriptions and every ledger event, with the
    exact consent text of the version each event recorded, and the chain hashes."""

    topics = {s.topic.key: s.topic for s in contact.subscriptions.select_related("topic")}
    events = []
    for e in ConsentEvent.objects.filter(contact_ref=contact.id).order_by("id"):
        topic = topics.get(e.topic_key)
        events.append(
            {
                "id": e.id,
                "at": e.created_at.isoformat(),
                "topic": e.topic_key or None,
                "action": e.action,
                "from": e.state_from or None,
                "to": e.state_to or None,
                "basis": e.basis or None,
                "channel": e.channel,
                "actor": e.actor or None,
                "source_ip": e.source_ip or None,
                "user_agent": e.user_agent or None,
                "consent_text_version": e.text_version,
                "consent_text": text_of(topic, e.text_version)
                if topic and e.text_version
                else None,
                "hash": e.hash,
                "prev_hash": e.prev_hash,
            }
        )
    return {
        "contact": {"id": contact.id, "email": contact.email},
        "subscriptions": [
            {
                "topic": s.topic.key,
                "state": s.state,
                "basis": s.basis,
                "since": s.updated_at.isoformat(),
            }
            for s in contact.subscriptions.select_related("topic").order_by("topic__key")
        ],
        "events": events,
        "generated_at": timezone.now().isoformat(),
    }


def export(contact: Contact, *, by: Actor) -> dict:
    """Everything held about the person, as JSON-ready data; the export is audited."""
    data = {
        "contact": {
            "id": contact.id,
            "email": contact.email,
            "name": contact.name,
            "language": contact.language,
            "time_zone": contact.time_zone,
            "attributes": contact.attributes,
            "tags": contact.tags,
            "status": contact.status,
            "frequency": contact.frequency,
            "paused_until": contact.paused_until.isoformat() if contact.paused_until else None,
            "engagement_score": contact.engagement_score,
            "created_at": contact.created_at.isoformat(),
            "updated_at": contact.updated_at.isoformat(),
        },
        "consent": consent_proof(contact),
        "deliveries": [
            {
                "id": d.id,
                "campaign": d.campaign.name if d.campaign else None,
                "stream": d.stream,
                "state": d.state,
                "attempts": d.attempts,
                "last_reply": d.last_reply,
                "message_id": d.message_id,
                "created_at": d.created_at.isoformat(),
                "sent_at": d.sent_at.isoformat() if d.sent_at else None,
            }
            for d in contact.deliveries.select_related("campaign").order_by("id")
        ],
        "events": [
            {"type": e.type, "at": e.created_at.isoformat(), "data": e.data}
            for e in contact.events.order_by("id")
        ],
        # Reverse relations of the layers above (service messages, survey answers): read
        # by name, so this layer imports nothing from them.
        "messages": [
            {
                "id": m.id,
                "template": m.template_key,
                "language": m.language,
                "data": m.data,
                "created_at": m.created_at.isoformat(),
            }
            for m in contact.messages.order_by("id")
        ],
        "survey_responses": [
            {
                "survey": r.survey.key,
                "score": r.score,
                "comment": r.comment,
                "at": r.updated_at.isoformat(),
            }
            for r in contact.survey_responses.select_related("survey").order_by("id")
        ],
        "suppression": [
            {"reason": s.reason, "detail": s.detail, "at": s.created_at.isoformat()}
            for s in Suppression.objects.filter(email_hash__in=address_hashes(contact.email))
        ],
    }
    _audit(PrivacyAudit.Action.EXPORT, contact.email, by, {"contact": contact.id})
    return data


@transaction.atomic
def erase(contact: Contact, *, by: Actor) -> None:
    """Remove the person's personal data everywhere; keep only a salted hash of the address
    on the suppression list, so no later import, API call or form can bring them back."""
    email = contact.email
    digest = address_hash(email)
    placeholder = ERASED_EMAIL.format(id=contact.id)
    # An entry under the spelling's own hash (recorded before keys were case-insensitive)
    # gives way to the one under the key's hash.
    Suppression.objects.filter(email_hash__in=address_hashes(email)).exclude(
        email_hash=digest
    ).delete()
    Suppression.objects.update_or_create(
        email_hash=digest,
        defaults={
            "email": None,
            "email_key": "",
            "reason": Suppression.Reason.ERASED,
            "detail": "erased at the person's request",
            "created_at": timezone.now(),
        },
    )
    ConsentEvent.objects.filter(contact_ref=contact.id).update(
        email="", source_ip="", user_agent="", erased=True
    )
    # The layers above remove what they hold about the person (deliveries, captured mail,
    # events, inbound mail, webhook payloads), in this transaction.
    erasing.send(sender=Contact, contact=contact, email=email, placeholder=placeholder)
    contact.subscriptions.all().delete()
    contact.email = placeholder
    contact.name = ""
    contact.attributes = {}
    contact.tags = []
    contact.status = Contact.Status.ERASED
    contact.erased_at = timezone.now()
    contact.save()
    _audit(PrivacyAudit.Action.ERASE, email, by, {"contact": contact.id})


def record_rectification(contact: Contact, by: Actor, fields: list[str]) -> None:
    """Audit a correction of someone's data (the edit itself goes through the normal paths)."""
    if fields:
        _audit(
            PrivacyAudit.Action.RECTIFY,
            contact.email,
            by,
            {"contact": contact.id, "fields": fields},
        )


def _audit(action: str, email: str, by: Actor, detail: dict) -> None:
    """The privacy log (kept after erasure, by address hash) and the audit log."""
    PrivacyAudit.objects.create(
        action=action,
        address_hash=address_hash(email),
        actor=by.actor or by.channel,
        channel=by.channel,
        detail=detail,
    )
    audit.record(by, f"privacy.{action}", "contact", detail.get("contact", ""), after=detail)
