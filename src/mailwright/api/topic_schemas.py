"""Schemas of topics with their translations (SPEC §3: six product languages)."""

from __future__ import annotations

from ninja import Schema
from pydantic import Field

from mailwright.api.schemas import In, TopicIn, TopicOut
from mailwright.consent.topic_translations import translations_payload


class TranslationIn(In):
    name: str = Field(min_length=1, max_length=200)
    description: str = Field("", max_length=5000)
    consent_text: str = Field("", max_length=5000)


class TranslationOut(Schema):
    name: str
    description: str
    consent_text: str
    consent_version: int = Field(
        description="the consent-text version recorded when someone agrees on a page in this"
        " language (the topic's own version while the translation has no consent text)"
    )


class TopicWithTranslationsIn(TopicIn):
    translations: dict[str, TranslationIn] = Field(
        default_factory=dict,
        description="language (en, pl, tr, es, vi, bg) -> the topic's words in it",
    )


class TopicWithTranslationsOut(TopicOut):
    translations: dict[str, TranslationOut]

    @staticmethod
    def resolve_translations(obj) -> dict[str, dict]:
        return translations_payload(obj)
