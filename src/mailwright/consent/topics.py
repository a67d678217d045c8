"""Create and edit topics; a change to the consent text makes a new, recorded version."""

from __future__ import annotations

import re

from django.db import IntegrityError, transaction
from django.db.models import Max

from mailwright.consent.models import ConsentText
from mailwright.contacts.models import Topic


class TopicError(ValueError):
    def __init__(self, message: str, field: str = "", code: str = "invalid") -> None:
        super().__init__(message)
        self.field, self.code = field, code


KEY = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")  # fullmatch: no trailing newline either
KEY_RULE = "1–64 lower-case letters, digits, “-” or “_”, starting with a letter or digit"


def check_key(key) -> str:
    """The one check of a topic key (API, staff UI and domain): returns it or raises."""
    if not isinstance(key, str) or not KEY.fullmatch(key):
        raise TopicError(f"the key must be {KEY_RULE}", field="key")
    return key


def check_texts(name: str, description: str, consent_text: str) -> None:
    if not name.strip():
        raise TopicError("the name must not be blank", field="name")
    if len(name) > 200:
        raise TopicError("the name is longer than 200 characters", field="name")
    if len(description) > 5000:
        raise TopicError("the description is longer than 5,000 characters", field="description")
    if len(consent_text) > 5000:
        raise TopicError("the consent text is longer than 5,000 characters", field="consent_text")


@transaction.atomic
def create_topic(*, key: str, name: str, description: str = "", consent_text: str = "") -> Topic:
    check_key(key)
    check_texts(name, description, consent_text)
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
    check_texts(name, description, consent_text)
    topic = Topic.objects.select_for_update().get(pk=topic.pk)
    topic.name, topic.description = name, description
    if consent_text != topic.consent_text:
        # Keep the wording being replaced, if it was never recorded (older topics).
        ConsentText.objects.get_or_create(
            topic=topic, version=topic.consent_version, defaults={"text": topic.consent_text}
        )
        topic.consent_text = consent_text
        topic.consent_version = next_version(topic)
        ConsentText.objects.create(topic=topic, version=topic.consent_version, text=consent_text)
    topic.save()
    return topic


def next_version(topic: Topic) -> int:
    """The number of a new consent-text version of a (locked) topic: versions are counted per
    topic across its own text and its translations (consent.topic_translations)."""
    highest = ConsentText.objects.filter(topic=topic).aggregate(m=Max("version"))["m"] or 0
    return max(highest, topic.consent_version) + 1


def text_of(topic: Topic, version: int | None) -> str:
    """The exact consent text of a version (the current one if unknown)."""
    if version is not None:
        found = ConsentText.objects.filter(topic=topic, version=version).first()
        if found:
            return found.text
    return topic.consent_text
