"""Create and update contacts (with their subscriptions) — shared by the API and the UI."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.db import transaction

from mailwright.audit import log as audit
from mailwright.audit.actors import Actor
from mailwright.consent import actions as consent_actions
from mailwright.consent.suppression import is_erased, is_suppressed
from mailwright.contacts import attributes as attribute_values
from mailwright.contacts import fields as contact_fields
from mailwright.contacts.addresses import InvalidAddress, email_key, normalize_email
from mailwright.contacts.models import LANGUAGES, Contact, Subscription, Topic


class ContactError(ValueError):
    """Bad contact input; `field` names the offending field."""

    def __init__(self, message: str, field: str = "", code: str = "invalid") -> None:
        super().__init__(message)
        self.field = field
        self.code = code


@dataclass
class SubscriptionRequest:
    topic: str
    state: str
    basis: str = ""


KEEP = object()  # a date field not given (None clears it)


@dataclass
class ContactInput:
    """What a writer gives; None (or KEEP for the dates) leaves a field as it is. Attributes
    are merged into the contact's (a None value removes one); tags replace the list.
    `attributes_as_text`: the values come from a form or a file (text to parse)."""

    email: str
    name: str | None = None
    language: str | None = None
    attributes: dict | None = None
    subscriptions: list[SubscriptionRequest] = field(default_factory=list)
    tags: list[str] | None = None
    time_zone: str | None = None
    birthday: date | str | object | None = KEEP
    anniversary: date | str | object | None = KEEP
    attributes_as_text: bool = False


@dataclass
class _Clean:
    email: str
    topics: dict[str, Topic]
    attributes: dict | None
    tags: list[str] | None
    time_zone: str | None
    dates: dict


def _clean_fields(data: ContactInput) -> dict:
    """Tags, time zone, dates and attributes, cleaned; ContactError naming the field."""
    out: dict = {"dates": {}}
    try:
        out["tags"] = None if data.tags is None else contact_fields.clean_tags(data.tags)
        out["time_zone"] = (
            None if data.time_zone is None else contact_fields.clean_time_zone(data.time_zone)
        )
        for name in ("birthday", "anniversary"):
            value = getattr(data, name)
            if value is not KEEP:
                out["dates"][name] = contact_fields.clean_date(
                    value, name, past_only=name == "birthday"
                )
    except contact_fields.FieldError as exc:
        raise ContactError(str(exc), field=exc.field) from None
    out["attributes"] = None
    if data.attributes is not None:
        try:
            out["attributes"] = attribute_values.clean(
                data.attributes, from_text=data.attributes_as_text
            )
        except attribute_values.AttributeValueError as exc:
            where = f"attributes.{exc.key}" if exc.key else "attributes"
            raise ContactError(str(exc), field=where) from None
    return out


def _validate(data: ContactInput) -> _Clean:
    try:
        email = normalize_email(data.email)
    except InvalidAddress as exc:
        raise ContactError(str(exc), field="email") from None
    if data.name is not None and len(data.name) > 200:
        raise ContactError("name is longer than 200 characters", field="name")
    if data.language is not None and data.language not in LANGUAGES:
        raise ContactError(
            f"language must be one of {', '.join(sorted(LANGUAGES))}", field="language"
        )
    if data.attributes is not None:
        if not isinstance(data.attributes, dict):
            raise ContactError("attributes must be an object", field="attributes")
        if len(str(data.attributes)) > 10_000:
            raise ContactError("attributes are larger than 10,000 characters", field="attributes")
    keys = {s.topic for s in data.subscriptions}
    topics = {t.key: t for t in Topic.objects.filter(key__in=keys)}
    for i, s in enumerate(data.subscriptions):
        where = f"subscriptions[{i}]"
        if s.topic not in topics:
            raise ContactError(
                f"unknown topic {s.topic!r}", field=f"{where}.topic", code="unknown_topic"
            )
        if s.state not in (Subscription.State.PENDING, Subscription.State.CONFIRMED):
            raise ContactError("state must be 'pending' or 'confirmed'", field=f"{where}.state")
        if s.state == Subscription.State.CONFIRMED and not s.basis.strip():
            raise ContactError(
                "a confirmed subscription needs its consent basis"
                " (e.g. 'double opt-in on our site')",
                field=f"{where}.basis",
            )
    return _Clean(email=email, topics=topics, **_clean_fields(data))


@transaction.atomic
def upsert(data: ContactInput, *, by: Actor, create_only: bool = False) -> tuple[Contact, bool]:
    """Create or update a contact by normalized email. Returns (contact, created)."""
    clean = _validate(data)
    email, topics = clean.email, clean.topics
    if is_erased(email):
        raise ContactError(
            "this address was erased at the person's request and cannot be added again",
            field="email",
            code="erased",
        )
    contact = Contact.objects.select_for_update().filter(email_key=email_key(email)).first()
    created = contact is None
    if contact is not None and create_only:
        raise ContactError(
            "a contact with this email already exists", field="email", code="conflict"
        )
    if created:
        contact = Contact(email=email)
    if data.name is not None:
        contact.name = data.name.strip()
    if data.language is not None:
        contact.language = data.language
    if clean.attributes is not None:
        contact.attributes = attribute_values.apply(contact.attributes, clean.attributes)
    if clean.tags is not None:
        contact.tags = clean.tags
    if clean.time_zone is not None:
        contact.time_zone = clean.time_zone
    for name, value in clean.dates.items():
        setattr(contact, name, value)
    contact.save()
    if created:
        audit.record(by, "contact.create", "contact", contact.pk)
    suppressed = is_suppressed(email)
    for s in data.subscriptions:
        topic = topics[s.topic]
        current = contact.subscriptions.filter(topic=topic).values_list("state", flat=True).first()
        # Never re-confirm someone who unsubscribed, and never downgrade a confirmation.
        if current == Subscription.State.UNSUBSCRIBED and s.state == Subscription.State.CONFIRMED:
            continue
        if current == Subscription.State.CONFIRMED and s.state == Subscription.State.PENDING:
            continue
        if suppressed and s.state == Subscription.State.CONFIRMED:
            continue
        consent_actions.do_set_subscription(contact, topic, s.state, by=by, basis=s.basis)
    return contact, created
