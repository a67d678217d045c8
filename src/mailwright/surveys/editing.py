"""Changing a survey's settings from the UI: its name, scale, the contact attribute its
answers go to, and its question per language. One audited action."""

from __future__ import annotations

from django.db import transaction

from mailwright.audit import log as audit
from mailwright.audit.actors import Actor
from mailwright.campaigns.survey_links import MAX_QUESTION
from mailwright.contacts import attributes
from mailwright.contacts.models import LANGUAGES
from mailwright.surveys.models import Survey


class SurveySettingsError(ValueError):
    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


def _view(survey: Survey) -> dict:
    return {
        "name": survey.name,
        "scale": survey.scale,
        "attribute": survey.attribute,
        "question": dict(survey.question),
    }


def _clean(name: str, scale: str, attribute: str, question: dict) -> tuple:
    name = (name or "").strip()
    if not name or len(name) > 200:
        raise SurveySettingsError("the name must be 1 to 200 characters", "name")
    if scale not in Survey.Scale.values:
        raise SurveySettingsError("the scale must be stars or nps", "scale")
    attribute = (attribute or "").strip()
    if attribute and not attributes.KEY.fullmatch(attribute):
        raise SurveySettingsError(
            "the attribute must be 1 to 64 lowercase letters, digits or _, not starting with"
            " a digit (empty: survey_<key>)",
            "attribute",
        )
    cleaned = {}
    for language, text in (question or {}).items():
        text = (text or "").strip()
        if language not in LANGUAGES:
            raise SurveySettingsError(f"unknown language {language!r}", "question")
        if len(text) > MAX_QUESTION:
            raise SurveySettingsError(
                f"the {language} question is longer than {MAX_QUESTION} characters", "question"
            )
        if text:
            cleaned[language] = text
    return name, scale, attribute, cleaned


@transaction.atomic
def do_update_survey(
    survey: Survey, *, name: str, scale: str, attribute: str, question: dict, by: Actor
) -> Survey:
    """Save the settings; SurveySettingsError naming the field. The scale cannot change
    once people have answered (their scores would be on the other scale)."""
    name, scale, attribute, question = _clean(name, scale, attribute, question)
    survey = Survey.objects.select_for_update().get(pk=survey.pk)
    if scale != survey.scale and survey.responses.exists():
        raise SurveySettingsError(
            "the scale cannot change once people have answered on the other one", "scale"
        )
    before = _view(survey)
    survey.name, survey.scale, survey.attribute, survey.question = (
        name,
        scale,
        attribute,
        question,
    )
    survey.save(update_fields=["name", "scale", "attribute", "question"])
    after = _view(survey)
    if after != before:
        audit.record(by, "survey.update", "survey", survey.key, before=before, after=after)
    return survey
