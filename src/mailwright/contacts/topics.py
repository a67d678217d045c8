"""Create and edit topics; a change to the consent text makes a new, recorded version."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from mailwright.consent.models import ConsentText
from mailwright.contacts.models import Topic


class TopicError(ValueError):
    def __init__(self, message: str, field: str = "", code: str = "invalid") -> None:
        super().__init__(message)
        self.field, self.code = field, code


@transaction.atomic
def create_topic(*, key: str, name: str, description: str = "", consent_text: str = "") -> Topic:
    try:
        with transaction.atomic():
            topic = Topic.objects.create(
                key=key, name=name, description=description, consent_text=consent_text
            )
    except IntegrityError:
        raise TopicError(f"a topic with key {key!r} exists", field="key", code="conflict") from None
    ConsentText.objects.create(topic=topic, version=topic.consent_version, text=consent_text)
    return topic


@transaction.atomic
def update_topic(topic: Topic, *, name: str, description: str, consent_text: str) -> Topic:
    topic = Topic.objects.select_for_update().get(pk=topic.pk)
    topic.name, topic.description = name, description
    if consent_text != topic.consent_text:
        topic.consent_text = consent_text
        topic.consent_version += 1
        ConsentText.objects.create(topic=topic, version=topic.consent_version, text=consent_text)
    topic.save()
    return topic


def text_of(topic: Topic, version: int | None) -> str:
    """The exact consent text of a version (the current one if unknown)."""
    if version is not None:
        found = ConsentText.objects.filter(topic=topic, version=version).first()
        if found:
            return found.text
    return topic.consent_text
