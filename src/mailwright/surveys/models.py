"""Surveys in email: a rating row (1-5 stars or 0-10 NPS) whose links record one response
per person per survey; a later click changes it."""

from __future__ import annotations

from django.db import models


class Survey(models.Model):
    class Scale(models.TextChoices):
        STARS = "stars", "1-5 stars"
        NPS = "nps", "0-10 (NPS)"

    key = models.SlugField(max_length=100, unique=True)
    name = models.CharField(max_length=200)
    scale = models.CharField(max_length=8, choices=Scale.choices, default=Scale.STARS)
    # {language: question}; the thank-you page shows it in the respondent's language.
    question = models.JSONField(default=dict, blank=True)
    # Each response is also written to this contact attribute (a number), for segments.
    attribute = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.name


class SurveyResponse(models.Model):
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="responses")
    contact = models.ForeignKey(
        "contacts.Contact", on_delete=models.CASCADE, related_name="survey_responses"
    )
    # What the rating row was sent in (a delivery: a campaign's or a service message's).
    delivery = models.ForeignKey(
        "delivery.Delivery", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    score = models.PositiveSmallIntegerField()
    comment = models.TextField(blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["survey", "contact"], name="one_response_per_person")
        ]

    def __str__(self) -> str:
        return f"{self.survey_id}: {self.score}"
