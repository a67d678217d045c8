"""The campaign form's schedule, window, exclusion group and A/B test section. It only
parses and shapes input; campaigns.campaign_fields validates it (and names the field)."""

from __future__ import annotations

from django import forms
from django.conf import settings

from mailwright.campaigns.campaign_fields import window_out
from mailwright.campaigns.models import Campaign, Template
from mailwright.web.shell.forms import NoLabelSuffix

# The API's field names (campaigns.campaign_fields) → this form's.
FIELD_FOR = (
    ("send_at", "send_at"),
    ("window.start", "window_start"),
    ("window.end", "window_end"),
    ("window", "window_start"),
    ("exclusion_group", "exclusion_group"),
    ("exclusion_window_hours", "exclusion_window_hours"),
    ("ab_test.sample_percent", "ab_sample_percent"),
    ("ab_test.metric", "ab_metric"),
    ("ab_test.wait_minutes", "ab_wait_minutes"),
    ("ab_test.variants[", "ab_subjects"),
    ("ab_test", "ab_subjects"),
)


class ScheduleForm(NoLabelSuffix, forms.Form):
    send_at = forms.DateTimeField(
        label=f"Send at ({settings.TIME_ZONE})",
        required=False,
        input_formats=["%Y-%m-%dT%H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=f"In the organisation's time zone, {settings.TIME_ZONE}. Empty: send when"
        " you press Send.",
    )
    window_start = forms.TimeField(
        label="Local window from",
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        help_text="Each contact gets the email between these times in their own time zone"
        " (contacts without a valid zone: the organisation's). An end before the start runs"
        " past midnight.",
    )
    window_end = forms.TimeField(
        label="Local window to",
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    exclusion_group = forms.CharField(
        required=False,
        max_length=200,
        help_text="Campaigns sharing a group reach each person once within the window below.",
    )
    exclusion_window_hours = forms.IntegerField(
        label="Exclusion window (hours)", required=False, initial=24
    )
    ab_enabled = forms.BooleanField(label="Run an A/B test", required=False)
    ab_subjects = forms.CharField(
        label="Subject variants",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One subject per line (a line is a variant; delete a line to remove it).",
    )
    ab_templates = forms.ModelMultipleChoiceField(
        label="Template variants",
        queryset=Template.objects.filter(kind="marketing"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Each template ticked is a variant too (2 to 5 variants in all).",
    )
    ab_sample_percent = forms.IntegerField(
        label="Sample (% of the audience)", required=False, initial=20
    )
    ab_metric = forms.ChoiceField(
        label="Winner by",
        choices=[("opens", "unique human opens"), ("clicks", "unique human clicks")],
        required=False,
    )
    ab_wait_minutes = forms.IntegerField(
        label="Wait before choosing (minutes)", required=False, initial=240
    )

    def values(self) -> dict:
        """The scheduling values as create_campaign / update_campaign take them."""
        d = self.cleaned_data
        start, end = d.get("window_start"), d.get("window_end")
        window = None
        if start or end:
            window = {
                "start": start.strftime("%H:%M") if start else "",
                "end": end.strftime("%H:%M") if end else "",
            }
        ab = None
        if d.get("ab_enabled"):
            lines = [line.strip() for line in (d.get("ab_subjects") or "").splitlines()]
            variants = [{"subject": s} for s in lines if s]
            variants += [{"template": t.pk} for t in d.get("ab_templates") or []]
            ab = {
                "variants": variants,
                "sample_percent": d.get("ab_sample_percent"),
                "metric": d.get("ab_metric") or "opens",
                "wait_minutes": d.get("ab_wait_minutes"),
            }
        hours = d.get("exclusion_window_hours")
        return {
            "send_at": d.get("send_at"),
            "window": window,
            "exclusion_group": d.get("exclusion_group") or "",
            "exclusion_window_hours": 24 if hours is None else hours,
            "ab_test": ab,
        }


def initial(campaign: Campaign) -> dict:
    ab = campaign.ab_test or {}
    variants = ab.get("variants") or []
    window = window_out(campaign.window_start, campaign.window_end) or {}
    return {
        "send_at": campaign.send_at,
        "window_start": window.get("start"),
        "window_end": window.get("end"),
        "exclusion_group": campaign.exclusion_group,
        "exclusion_window_hours": campaign.exclusion_window_hours,
        "ab_enabled": bool(ab),
        "ab_subjects": "\n".join(v["subject"] for v in variants if "subject" in v),
        "ab_templates": [v["template"] for v in variants if "template" in v],
        "ab_sample_percent": ab.get("sample_percent", 20),
        "ab_metric": ab.get("metric", "opens"),
        "ab_wait_minutes": ab.get("wait_minutes", 240),
    }


def add_error(form, schedule_form, field: str | None, message: str) -> None:
    """Put a domain error next to the input it is about (either form), else at the top."""
    for prefix, name in FIELD_FOR:
        if field and field.startswith(prefix):
            schedule_form.add_error(name, message)
            return
    form.add_error(field if field in form.fields else None, message)
