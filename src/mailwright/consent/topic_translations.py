"""A topic's name, description and consent text in the product languages (SPEC §3).

Public pages show a topic in the page's language, falling back to the topic's own words field
by field. A translated consent text is versioned like the topic's own text (one ConsentText
row per wording, numbered per topic across languages), so a ledger event's version names the
exact words the person saw, in their language. A translation's text is shown only if its
version was recorded; otherwise the topic's own (recorded) text is shown instead.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction

from mailwright.audit import log as audit
from mailwright.audit.actors import Actor
from mailwright.consent.models import ConsentText
from mailwright.consent.topics import TopicError, check_texts, next_version
from mailwright.contacts.models import LANGUAGES, Topic, TopicTranslation

# The product languages in their display order (settings.LANGUAGES has the same codes).
LANGUAGE_ORDER = ["en", "pl", "tr", "es", "vi", "bg"]


@dataclass(frozen=True)
class ShownTopic:
    """A topic as a page in one language shows it; `consent_version` is the version of the
    exact `consent_text` shown (what the ledger records when the person agrees)."""

    topic: Topic
    name: str
    description: str
    consent_text: str
    consent_version: int
    language: str  # the translation shown, "" for the topic's own words

    @property
    def id(self) -> int:
        return self.topic.id

    @property
    def key(self) -> str:
        return self.topic.key


def check_language(language) -> str:
    if not isinstance(language, str) or language not in LANGUAGES:
        raise TopicError(
            f"the language must be one of {', '.join(LANGUAGE_ORDER)}", field="language"
        )
    return language


def _own(topic: Topic) -> ShownTopic:
    return ShownTopic(
        topic, topic.name, topic.description, topic.consent_text, topic.consent_version, ""
    )


def localize(topics: Iterable[Topic], language: str | None) -> list[ShownTopic]:
    """The topics as shown in `language` (two queries for any number of topics)."""
    topics = list(topics)
    if language not in LANGUAGES or not topics:
        return [_own(t) for t in topics]
    ids = [t.id for t in topics]
    found = {
        tr.topic_id: tr
        for tr in TopicTranslation.objects.filter(topic_id__in=ids, language=language)
    }
    latest: dict[int, ConsentText] = {}
    texts = ConsentText.objects.filter(topic_id__in=list(found), language=language)
    for row in texts.order_by("topic_id", "version"):
        latest[row.topic_id] = row
    shown = []
    for topic in topics:
        tr = found.get(topic.id)
        if tr is None:
            shown.append(_own(topic))
            continue
        text, version = topic.consent_text, topic.consent_version
        recorded = latest.get(topic.id)
        if tr.consent_text and recorded is not None and recorded.text == tr.consent_text:
            text, version = recorded.text, recorded.version
        shown.append(
            ShownTopic(
                topic,
                tr.name or topic.name,
                tr.description or topic.description,
                text,
                version,
                language,
            )
        )
    return shown


def localize_one(topic: Topic, language: str | None) -> ShownTopic:
    return localize([topic], language)[0]


def shown_versions(topics: Iterable[Topic], language: str | None) -> dict[int, int]:
    """topic id -> the consent-text version a page in `language` shows."""
    return {s.id: s.consent_version for s in localize(topics, language)}


def _snapshot(tr: TopicTranslation | None) -> dict | None:
    if tr is None:
        return None
    return {"language": tr.language, "name": tr.name, "consent_text": tr.consent_text[:300]}


@transaction.atomic
def do_save_topic_translation(
    topic: Topic,
    language: str,
    name: str,
    description: str,
    consent_text: str,
    *,
    by: Actor,
) -> TopicTranslation:
    """Add or change a topic's words in one language. A new or changed consent text becomes a
    new consent-text version (for this language) first; forms in this language then show it
    and subscriptions record it. Raises TopicError."""
    check_language(language)
    check_texts(name, description, consent_text)
    topic = Topic.objects.select_for_update().get(pk=topic.pk)
    tr = TopicTranslation.objects.filter(topic=topic, language=language).first()
    before = _snapshot(tr)
    if tr is None:
        tr = TopicTranslation(topic=topic, language=language)
    tr.name, tr.description, tr.consent_text = name, description, consent_text
    tr.save()
    version = None
    if consent_text:
        last = ConsentText.objects.filter(topic=topic, language=language).order_by("-version")
        last = last.first()
        if last is None or last.text != consent_text:
            version = next_version(topic)
            ConsentText.objects.create(
                topic=topic, version=version, language=language, text=consent_text
            )
    audit.record(
        by,
        "topic.translation_saved",
        "topic",
        topic.pk,
        before=before,
        after={**_snapshot(tr), "new_consent_version": version},
    )
    return tr


@transaction.atomic
def do_delete_topic_translation(topic: Topic, language: str, *, by: Actor) -> bool:
    """Remove a topic's words in one language (pages fall back to the topic's own words). The
    recorded consent-text versions stay: the ledger refers to them. False if there was none."""
    check_language(language)
    topic = Topic.objects.select_for_update().get(pk=topic.pk)
    tr = TopicTranslation.objects.filter(topic=topic, language=language).first()
    if tr is None:
        return False
    before = _snapshot(tr)
    tr.delete()
    audit.record(by, "topic.translation_deleted", "topic", topic.pk, before=before, after=None)
    return True


def translations_of(topic: Topic) -> dict[str, TopicTranslation]:
    """language -> translation, in the product languages' order."""
    rows = {tr.language: tr for tr in topic.translations.all()}
    return {lang: rows[lang] for lang in LANGUAGE_ORDER if lang in rows}


def translations_payload(topic: Topic) -> dict[str, dict]:
    """language -> {name, description, consent_text, consent_version} as the API shows it:
    the stored words, and the version the pages record for them (uses prefetched
    `translations` and `texts` when the caller prefetched them)."""
    latest: dict[str, ConsentText] = {}
    for row in sorted(topic.texts.all(), key=lambda r: r.version):
        if row.language:
            latest[row.language] = row
    out = {}
    for lang in LANGUAGE_ORDER:
        tr = next((t for t in topic.translations.all() if t.language == lang), None)
        if tr is None:
            continue
        recorded = latest.get(lang)
        matches = tr.consent_text and recorded is not None and recorded.text == tr.consent_text
        out[lang] = {
            "name": tr.name,
            "description": tr.description,
            "consent_text": tr.consent_text,
            "consent_version": recorded.version if matches else topic.consent_version,
        }
    return out
