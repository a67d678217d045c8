"""Subscription through forms, and double opt-in.

A form submission makes the chosen subscriptions `pending` (recording the consent-text
version that was shown) and queues a confirmation email in the contact's language. Only the
POST behind the email's link confirms: a GET shows a button, so link scanners confirm nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from mailwright import tokens
from mailwright.audit.actors import Actor
from mailwright.consent import actions as consent_actions
from mailwright.consent import organisation
from mailwright.consent.models import ConsentText
from mailwright.consent.signals import service_mail
from mailwright.consent.suppression import is_erased, suppressed_among
from mailwright.consent.topic_translations import localize
from mailwright.consent.topic_translations import shown_versions as shown_versions_of
from mailwright.contacts.addresses import InvalidAddress, email_key, normalize_email
from mailwright.contacts.models import LANGUAGES, Contact, Subscription, Topic

MAX_TOPICS = 50


class SubscribeError(ValueError):
    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass
class SubscribeResult:
    contact: Contact | None
    pending: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    email_queued: bool = False


def _language(value: str | None) -> str:
    return value if value in LANGUAGES else "en"


@transaction.atomic
def subscribe(
    *,
    email: str,
    topic_keys: list[str],
    by: Actor,
    name: str = "",
    language: str | None = None,
    shown_versions: dict[str, int] | None = None,
    send_email: bool = True,
) -> SubscribeResult:
    """Make the chosen topics pending and queue the opt-in email. Raises SubscribeError."""
    try:
        address = normalize_email(email)
    except InvalidAddress as exc:
        raise SubscribeError(str(exc), "email") from None
    # Control characters (NUL, which PostgreSQL cannot store, line breaks) and lone
    # surrogates become spaces; a name is one line of text.
    printable = "".join(ch if ch.isprintable() else " " for ch in (name or "")[:1000])
    name = " ".join(printable.split())[:200]
    keys = list(dict.fromkeys(k for k in topic_keys if isinstance(k, str)))[:MAX_TOPICS]
    if not keys:
        raise SubscribeError(_("Choose at least one topic."), "topics")
    # A key with control characters names no topic (and must not reach the database).
    topics = {t.key: t for t in Topic.objects.filter(key__in=[k for k in keys if k.isprintable()])}
    unknown = [k for k in keys if k not in topics]
    if unknown:
        shown = "".join(ch if ch.isprintable() else "?" for ch in unknown[0][:100])
        raise SubscribeError(_("Unknown topic: %(key)s") % {"key": shown}, "topics")
    # An erased or suppressed address gets the same answer as anyone else, but no email and
    # no record: the form must not reveal who is on our lists, nor bring anyone back.
    if is_erased(address) or suppressed_among([address]):
        return SubscribeResult(contact=None)
    contact, created = Contact.objects.get_or_create(
        email_key=email_key(address),
        defaults={"email": address, "name": name, "language": _language(language)},
    )
    if not created and name and not contact.name:
        contact.name = name
        contact.save(update_fields=["name", "updated_at"])
    result = SubscribeResult(contact=contact)
    versions = shown_versions or {}
    # What the form showed in its language: recorded when the page did not say (or lied).
    page_language = language if language in LANGUAGES else contact.language
    showing = shown_versions_of(list(topics.values()), page_language)
    for key in keys:
        topic = topics[key]
        current = contact.subscriptions.filter(topic=topic).values_list("state", flat=True).first()
        if current == Subscription.State.CONFIRMED:
            result.already.append(key)
            continue
        version = versions.get(key)
        if not (
            isinstance(version, int)
            and ConsentText.objects.filter(topic=topic, version=version).exists()
        ):
            version = showing[topic.id]  # unknown or forged: record what we show now
        consent_actions.do_set_subscription(
            contact,
            topic,
            Subscription.State.PENDING,
            by=by,
            basis="subscription form, awaiting double opt-in",
            text_version=version,
        )
        result.pending.append(key)
    if (
        result.pending
        and send_email
        and contact.status
        in (
            Contact.Status.ACTIVE,
            Contact.Status.UNSUBSCRIBED,
        )
    ):
        queue_optin_email(contact, result.pending)
        result.email_queued = True
    return result


def optin_url(contact: Contact, topic_keys: list[str]) -> str:
    token = tokens.make("optin", {"c": contact.id, "t": topic_keys})
    return f"{settings.BASE_URL}/confirm/{token}"


def queue_optin_email(contact: Contact, topic_keys: list[str]) -> None:
    org = organisation.current()
    topics = list(Topic.objects.filter(key__in=topic_keys).order_by("name"))
    ctx = {
        "contact": contact,
        "topics": localize(topics, contact.language),
        "confirm_url": optin_url(contact, topic_keys),
        "organisation": org,
        "valid_days": tokens.PURPOSES["optin"] // 86400,
    }
    with translation.override(contact.language or "en"):
        subject = _("Please confirm your subscription to %(org)s") % {"org": org.name}
        html = render_to_string("consent/email/optin.html", ctx)
        text = render_to_string("consent/email/optin.txt", ctx)
    service_mail.send(
        sender=Contact,
        contact=contact,
        kind="optin",
        subject=subject,
        html=html,
        text=text,
        language=contact.language,
    )


class ConfirmError(ValueError):
    pass


def read_optin(token: str) -> tuple[Contact, list[Topic]]:
    try:
        payload = tokens.read("optin", token)
    except tokens.BadToken as exc:
        raise ConfirmError(str(exc)) from None
    contact = Contact.objects.filter(pk=payload.get("c")).first()
    keys = payload.get("t")
    if contact is None or not isinstance(keys, list):
        raise ConfirmError("token is not valid")
    return contact, list(Topic.objects.filter(key__in=keys).order_by("name"))


@transaction.atomic
def confirm(token: str, *, by: Actor) -> tuple[Contact, list[Topic]]:
    """Confirm the pending subscriptions named by a valid opt-in token."""
    contact, topics = read_optin(token)
    confirmed = []
    # The confirmation page is in the contact's language: record the words it shows.
    versions = shown_versions_of(topics, contact.language)
    for topic in topics:
        state = contact.subscriptions.filter(topic=topic).values_list("state", flat=True).first()
        if state == Subscription.State.PENDING:
            consent_actions.do_set_subscription(
                contact,
                topic,
                Subscription.State.CONFIRMED,
                by=by,
                basis="double opt-in (confirmation link)",
                text_version=versions[topic.id],
            )
        if state in (Subscription.State.PENDING, Subscription.State.CONFIRMED):
            confirmed.append(topic)
    return contact, confirmed
