"""The preference center's changes: topics, frequency, pause, language, unsubscribe-all.
Each takes effect at once (the engine re-checks consent per batch) and is in the ledger."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from mailwright.consent import actions as consent_actions
from mailwright.consent import ledger
from mailwright.consent.topic_translations import shown_versions
from mailwright.contacts.models import LANGUAGES, Contact, Subscription, Topic


def _record(contact: Contact, action: str, old: str, new: str, by: ledger.Actor) -> None:
    ledger.append(
        contact=contact, topic_key="", action=action, state_from=old[:16], state_to=new[:16], by=by
    )


@transaction.atomic
def apply(
    contact: Contact,
    *,
    topics: set[str],
    frequency: str,
    pause_days: int | None,
    resume: bool,
    language: str,
    by: ledger.Actor,
) -> None:
    contact = Contact.objects.select_for_update().get(pk=contact.pk)
    current = {s.topic.key: s for s in contact.subscriptions.select_related("topic")}
    all_topics = list(Topic.objects.all())
    # The page showed each topic's consent text in the contact's language: record that one.
    versions = shown_versions(all_topics, contact.language)
    for topic in all_topics:
        sub = current.get(topic.key)
        wanted = topic.key in topics
        if wanted and (sub is None or sub.state != Subscription.State.CONFIRMED):
            # The signed link proves the address is theirs: ticking a box here is consent.
            consent_actions.do_set_subscription(
                contact,
                topic,
                Subscription.State.CONFIRMED,
                by=by,
                basis="preference center (signed personal link)",
                text_version=versions[topic.id],
            )
        elif not wanted and sub is not None and sub.state != Subscription.State.UNSUBSCRIBED:
            consent_actions.do_set_subscription(
                contact, topic, Subscription.State.UNSUBSCRIBED, by=by
            )
    if frequency in Contact.Frequency.values and frequency != contact.frequency:
        _record(contact, "frequency", contact.frequency, frequency, by)
        contact.frequency = frequency
    if pause_days:
        until = timezone.now() + timedelta(days=pause_days)
        _record(contact, "pause", "", f"{pause_days}d", by)
        contact.paused_until = until
    elif resume and contact.paused_until:
        _record(contact, "resume", "paused", "", by)
        contact.paused_until = None
    if language in LANGUAGES and language != contact.language:
        _record(contact, "language", contact.language, language, by)
        contact.language = language
    contact.refresh_from_db(fields=["status"])
    contact.save()


def unsubscribe_everything(contact: Contact, *, by: ledger.Actor) -> None:
    consent_actions.do_unsubscribe(contact, by=by)
