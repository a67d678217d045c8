"""Surveys (SPEC §5.4): /api/v1/surveys, each survey's report and its responses."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Avg, Count
from django.http import HttpResponse
from ninja import Router, Schema

from mailwright.api.errors import ApiError
from mailwright.api.pagination import page
from mailwright.surveys.models import Survey, SurveyResponse
from mailwright.surveys.report import report
from mailwright.surveys.responses import attribute_key

router = Router(tags=["surveys"])


class SurveyOut(Schema):
    key: str
    name: str
    scale: str
    question: dict
    attribute: str
    responses: int
    average: float | None
    created_at: datetime


class DistributionOut(Schema):
    score: int
    count: int
    percent: float


class CommentOut(Schema):
    score: int
    comment: str
    contact: int
    email: str
    at: datetime


class ReportOut(Schema):
    survey: str
    name: str
    scale: str
    count: int
    average: float | None
    distribution: list[DistributionOut]
    nps: int | None
    promoters: int | None
    passives: int | None
    detractors: int | None
    comments: list[CommentOut]


class ResponseOut(Schema):
    id: int
    contact: int
    email: str
    score: int
    comment: str
    delivery: int | None
    created_at: datetime
    updated_at: datetime


def _survey(key: str) -> Survey:
    survey = Survey.objects.filter(key=key).first()
    if survey is None:
        raise ApiError(404, "not_found", f"no survey {key[:100]!r}")
    return survey


def _out(s: Survey) -> dict:
    return {
        "key": s.key,
        "name": s.name,
        "scale": s.scale,
        "question": s.question,
        "attribute": attribute_key(s),
        "responses": s.answers,
        "average": round(s.average, 2) if s.average is not None else None,
        "created_at": s.created_at,
    }


@router.get("", response=list[SurveyOut])
def list_surveys(request):
    """Every survey with its number of responses and average score."""
    rows = Survey.objects.annotate(answers=Count("responses"), average=Avg("responses__score"))
    return [_out(s) for s in rows.order_by("key")]


@router.get("/{key}/report", response=ReportOut)
def survey_report(request, key: str, comments: int = 100):
    """Count, distribution per score, average, NPS (0-10 surveys) and the newest comments."""
    if comments < 0 or comments > 1000:
        raise ApiError(422, "invalid", "comments must be between 0 and 1000", "comments")
    return report(_survey(key), comments=comments)


@router.get("/{key}/responses", response=list[ResponseOut])
def survey_responses(request, response: HttpResponse, key: str, limit: int = 100, offset: int = 0):
    """Every person's answer, most recently changed first (paginated)."""
    rows = (
        SurveyResponse.objects.filter(survey=_survey(key))
        .select_related("contact")
        .order_by("-updated_at", "-id")
    )
    items = page(request, response, rows, limit, offset)
    return [
        {
            "id": r.id,
            "contact": r.contact_id,
            "email": r.contact.email,
            "score": r.score,
            "comment": r.comment,
            "delivery": r.delivery_id,
            "created_at": r.created_at,
            "updated_at": r.updated_at,
        }
        for r in items
    ]
