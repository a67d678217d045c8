"""The template editor's form: it only parses and shapes input; campaigns.templates validates
and compiles it."""

from __future__ import annotations

from django import forms

from mailwright.campaigns.models import Template
from mailwright.web.shell.forms import NoLabelSuffix


class TemplateForm(NoLabelSuffix, forms.Form):
    FORMATS = [("html", "HTML"), ("mjml", "MJML")]

    name = forms.CharField(max_length=200)
    subject = forms.CharField(max_length=998)
    source_format = forms.ChoiceField(
        label="Source format", choices=FORMATS, initial="html", widget=forms.RadioSelect
    )
    source = forms.CharField(
        label="Source",
        strip=False,
        widget=forms.Textarea(attrs={"rows": 18, "spellcheck": "false", "class": "code"}),
        help_text="Jinja2 placeholders such as {{ contact.first_name|default('there') }},"
        " {{ unsubscribe_url }} and {{ preferences_url }} are available.",
    )
    text = forms.CharField(
        label="Plain-text part",
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false", "class": "code"}),
        help_text="Optional; generated from the HTML when empty.",
    )

    @classmethod
    def initial_for(cls, tpl: Template) -> dict:
        is_mjml = bool(tpl.mjml)
        return {
            "name": tpl.name,
            "subject": tpl.subject,
            "source_format": "mjml" if is_mjml else "html",
            "source": tpl.mjml if is_mjml else tpl.html,
            "text": tpl.text,
        }

    def add_template_error(self, exc) -> None:
        """Attach a TemplateError to the field it is about, naming the part and line."""
        field = {"name": "name", "subject": "subject", "text": "text"}.get(exc.part, "source")
        self.add_error(field, str(exc))
