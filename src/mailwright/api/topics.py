from django.db import transaction
from django.http import HttpResponse
from ninja import Router, Status

from mailwright.api.errors import ApiError
from mailwright.api.pagination import page
from mailwright.api.topic_schemas import (
    TopicWithTranslationsIn,
    TopicWithTranslationsOut,
    TranslationIn,
    TranslationOut,
)
from mailwright.audit.actors import Actor
from mailwright.consent import topic_translations as translations
from mailwright.consent import topics as topic_domain
from mailwright.contacts.models import Topic

router = Router(tags=["topics"])


def _topics():
    return Topic.objects.prefetch_related("translations", "texts")


def _refused(exc: topic_domain.TopicError, prefix: str = "") -> ApiError:
    status = 409 if exc.code == "conflict" else 422
    field = f"{prefix}{exc.field}" if prefix and exc.field else (exc.field or prefix or None)
    return ApiError(status, exc.code, str(exc), field)


@router.post("", response={201: TopicWithTranslationsOut})
def create_topic(request, data: TopicWithTranslationsIn):
    fields = data.dict(exclude={"translations"})
    for language in data.translations:
        try:
            translations.check_language(language)
        except topic_domain.TopicError as exc:
            raise ApiError(422, exc.code, str(exc), f"translations.{language[:16]}") from None
    with transaction.atomic():
        try:
            topic = topic_domain.create_topic(**fields)
        except topic_domain.TopicError as exc:
            raise _refused(exc) from None
        for language, words in data.translations.items():
            try:
                translations.do_save_topic_translation(
                    topic, language, **words.dict(), by=Actor.from_api_key(request)
                )
            except topic_domain.TopicError as exc:
                raise _refused(exc, f"translations.{language}.") from None
    return Status(201, _topics().get(pk=topic.pk))


@router.get("", response=list[TopicWithTranslationsOut])
def list_topics(request, response: HttpResponse, limit: int = 100, offset: int = 0):
    return page(request, response, _topics().order_by("id"), limit, offset)


@router.get("/{topic_id}", response=TopicWithTranslationsOut)
def get_topic(request, topic_id: int):
    return _topics().get(pk=topic_id)


@router.put("/{topic_id}/translations/{language}", response=TranslationOut)
def put_translation(request, topic_id: int, language: str, data: TranslationIn):
    """Add or replace the topic's words in one language (a changed consent text is a new
    consent-text version for that language)."""
    topic = Topic.objects.get(pk=topic_id)
    try:
        translations.do_save_topic_translation(
            topic, language, **data.dict(), by=Actor.from_api_key(request)
        )
    except topic_domain.TopicError as exc:
        raise _refused(exc) from None
    return translations_payload_of(topic_id)[language]


@router.delete("/{topic_id}/translations/{language}", response={204: None})
def delete_translation(request, topic_id: int, language: str):
    topic = Topic.objects.get(pk=topic_id)
    try:
        removed = translations.do_delete_topic_translation(
            topic, language, by=Actor.from_api_key(request)
        )
    except topic_domain.TopicError as exc:
        raise _refused(exc) from None
    if not removed:
        raise ApiError(404, "not_found", f"the topic has no {language} translation", "language")
    return Status(204, None)


def translations_payload_of(topic_id: int) -> dict[str, dict]:
    return translations.translations_payload(_topics().get(pk=topic_id))
