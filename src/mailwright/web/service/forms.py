"""Service area forms: they only parse and shape input; campaigns.service_template_store and
transactional.sending validate it."""

from __future__ import annotations

import json

from django import forms

from mailwright import jsonsafe
from mailwright.campaigns.service_templates import LANGUAGES
from mailwright.web.shell.forms import NoLabelSuffix, lf

MAX_JSON = 100_000


def _json_object(value: str, what: str) -> dict:
    if len(value) > MAX_JSON:
        raise forms.ValidationError(f"The {what} is longer than {MAX_JSON:,} characters.")
    try:
        parsed = jsonsafe.loads(value or "{}")
    except json.JSONDecodeError as exc:
        raise forms.ValidationError(
            f"The {what} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}."
        ) from None
    except ValueError as exc:  # jsonsafe.TooDeep, or an integer too long to convert
        raise forms.ValidationError(f"The {what} is not valid JSON: {exc}.") from None
    if not isinstance(parsed, dict):
        raise forms.ValidationError(f"The {what} must be a JSON object ({{…}}).")
    return parsed


class TranslationForm(NoLabelSuffix, forms.Form):
    FORMATS = [("html", "HTML"), ("mjml", "MJML")]

    subject = forms.CharField(max_length=998, required=False)
    source_format = forms.ChoiceField(
        label="Source format", choices=FORMATS, initial="html", widget=forms.RadioSelect
    )
    source = forms.CharField(
        label="Source",
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 20, "spellcheck": "false", "class": "code"}),
        help_text="Jinja2: {{ data.FIELD }}, {{ contact.email }}, {{ organisation.name }};"
        " {% call promo() %}…{% endcall %} shows only with marketing consent.",
    )
    text = forms.CharField(
        label="Plain-text part",
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false", "class": "code"}),
        help_text="Optional; generated from the HTML when empty.",
    )

    @classmethod
    def initial_for(cls, source: dict | None) -> dict:
        if source is None:
            return {"source_format": "html"}
        is_mjml = bool(source["mjml"])
        return {
            "subject": source["subject"],
            "source_format": "mjml" if is_mjml else "html",
            "source": source["mjml"] if is_mjml else source["html"],
            "text": source["text"],
        }

    def clean_source(self):
        return lf(self.cleaned_data["source"])

    def clean_text(self):
        return lf(self.cleaned_data["text"])

    def add_template_error(self, exc) -> None:
        """A TemplateError on the field it is about, naming the part and line."""
        field = {"subject": "subject", "text": "text"}.get(exc.part, "source")
        self.add_error(field, str(exc))


class SettingsForm(NoLabelSuffix, forms.Form):
    name = forms.CharField(max_length=200)
    description = forms.CharField(
        required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 2})
    )
    fields = forms.CharField(
        label="Data fields (JSON)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 10, "spellcheck": "false", "class": "code"}),
        help_text='{"order_id": {"type": "string", "required": true, "description": "…",'
        ' "example": "A-1001"}}; types: string, integer, number, boolean, url, email, date,'
        " datetime, list (items), object (fields).",
    )

    def clean_fields(self):
        return _json_object(self.cleaned_data["fields"], "field list")


class CopyForm(NoLabelSuffix, forms.Form):
    key = forms.CharField(
        max_length=100,
        help_text="What the API sends by: lowercase letters, digits and hyphens.",
    )
    name = forms.CharField(max_length=200)


class TestSendForm(NoLabelSuffix, forms.Form):
    to = forms.EmailField(label="Send to", max_length=320)
    language = forms.ChoiceField(choices=[(code, code) for code in LANGUAGES])
    data = forms.CharField(
        label="Data (JSON)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false", "class": "code"}),
    )

    def clean_data(self):
        return _json_object(self.cleaned_data["data"], "data")
