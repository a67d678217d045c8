"""Erasure and merging for survey responses. An erased person's responses go (a comment is
personal data; the score alone would still be tied to nobody, but the report would keep a
trace of someone who asked to be forgotten). A merge keeps one response per survey: the most
recent one."""

from __future__ import annotations

from django.dispatch import receiver

from mailwright.consent.signals import erasing, merging
from mailwright.surveys.models import SurveyResponse


@receiver(erasing, dispatch_uid="surveys.privacy.erase")
def erase(sender, contact, email: str, placeholder: str, **_kwargs) -> None:
    SurveyResponse.objects.filter(contact=contact).delete()


@receiver(merging, dispatch_uid="surveys.privacy.merge")
def merge(sender, survivor, merged_ids: list[int], **_kwargs) -> None:
    ids = [survivor.id, *merged_ids]
    keep: dict[int, SurveyResponse] = {}
    for response in SurveyResponse.objects.filter(contact_id__in=ids).order_by("updated_at", "id"):
        keep[response.survey_id] = response  # the latest per survey wins
    kept = [r.id for r in keep.values()]
    SurveyResponse.objects.filter(contact_id__in=ids).exclude(id__in=kept).delete()
    SurveyResponse.objects.filter(id__in=kept).update(contact=survivor)
