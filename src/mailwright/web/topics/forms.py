"""Forms of the Topics area: they only parse and shape input; consent.topics validates it."""

from __future__ import annotations

from django import forms
from django.utils.text import capfirst

from mailwright.consent.topics import TopicError, check_key
from mailwright.contacts.models import Topic
from mailwright.web.shell.forms import TEXT_LIMIT, NoLabelSuffix, lf, limited, one_line


class TopicTexts:
    """How a topic's name, description and consent text are cleaned, in any language."""

    def clean_name(self) -> str:
        return one_line(self.cleaned_data["name"], "name")

    def clean_description(self) -> str:
        return limited(lf(self.cleaned_data["description"]), "description")

    def clean_consent_text(self) -> str:
        return limited(lf(self.cleaned_data["consent_text"]), "consent text")


class TopicForm(TopicTexts, NoLabelSuffix, forms.ModelForm):
    """Parses a new topic (the model's uniqueness check gives a friendly duplicate-key error);
    the view creates it with consent.topics.create_topic, which records consent text v1."""

    key = forms.CharField(  # checked by consent.topics.check_key alone
        label="Key",
        help_text="Short identifier used by the API and imports, e.g. “newsletter”:"
        " lower-case letters, digits, “-” and “_”.",
    )

    class Meta:
        model = Topic
        fields = ["key", "name", "description", "consent_text"]
        help_texts = {
            "consent_text": "The exact wording a contact agrees to when subscribing"
            " (shown next to the checkbox on the subscription forms).",
        }
        widgets = {
            "description": forms.Textarea(attrs={"rows": 2, "maxlength": TEXT_LIMIT}),
            "consent_text": forms.Textarea(attrs={"rows": 3, "maxlength": TEXT_LIMIT}),
        }

    def clean_key(self) -> str:
        try:
            return check_key(self.cleaned_data["key"])
        except TopicError as exc:
            raise forms.ValidationError(capfirst(f"{exc}.")) from None


class TopicEditForm(TopicTexts, NoLabelSuffix, forms.Form):
    name = forms.CharField(max_length=200)
    description = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2, "maxlength": TEXT_LIMIT})
    )
    consent_text = forms.CharField(
        label="Consent text",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": TEXT_LIMIT}),
        help_text="Changing the wording makes a new version. People who already agreed keep"
        " the version they saw; the forms show the new one from now on.",
    )
