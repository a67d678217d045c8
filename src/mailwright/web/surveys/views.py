"""Staff pages of the Surveys area: the list, and each survey's report (distribution, NPS,
comments) with its settings."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Avg, Count, Max
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from mailwright.audit.actors import Actor
from mailwright.surveys import editing
from mailwright.surveys.models import Survey
from mailwright.surveys.report import report
from mailwright.surveys.responses import attribute_key


class SurveyForm(forms.Form):
    name = forms.CharField(max_length=200)
    scale = forms.ChoiceField(choices=Survey.Scale.choices)
    attribute = forms.CharField(
        max_length=64,
        required=False,
        help_text="The number attribute each answer is written to, for segments."
        " Empty: survey_ and the key.",
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for code, label in settings.LANGUAGES:
            self.fields[f"question_{code}"] = forms.CharField(
                label=f"Question ({label})", max_length=300, required=False
            )

    def question(self) -> dict:
        return {
            code: self.cleaned_data.get(f"question_{code}", "") for code, _ in settings.LANGUAGES
        }


@login_required
def survey_list(request):
    surveys = Survey.objects.annotate(
        answers=Count("responses"),
        average=Avg("responses__score"),
        last=Max("responses__updated_at"),
    ).order_by("name")
    return render(request, "web/surveys/list.html", {"surveys": surveys})


@login_required
@require_http_methods(["GET", "POST"])
def survey_detail(request, key: str):
    survey = get_object_or_404(Survey, key=key)
    initial = {"name": survey.name, "scale": survey.scale, "attribute": survey.attribute}
    initial.update({f"question_{k}": v for k, v in survey.question.items()})
    form = SurveyForm(request.POST or None, initial=initial)
    form.fields["attribute"].widget.attrs["placeholder"] = attribute_key(survey)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            editing.do_update_survey(
                survey,
                name=data["name"],
                scale=data["scale"],
                attribute=data["attribute"],
                question=form.question(),
                by=Actor.from_user(request),
            )
        except editing.SurveySettingsError as exc:
            field = exc.field if exc.field in form.fields else None
            form.add_error(field, str(exc))
        else:
            messages.success(request, f"Survey “{data['name']}” saved.")
            return redirect("web:survey_detail", key=survey.key)
    context = {
        "survey": survey,
        "report": report(survey),
        "form": form,
        "attribute": attribute_key(survey),
    }
    return render(request, "web/surveys/detail.html", context, status=400 if form.errors else 200)
