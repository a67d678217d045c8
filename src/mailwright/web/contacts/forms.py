"""Forms of the Contacts area: they only parse and shape input; the domain functions (mainly
consent.directory.upsert) validate it."""

from __future__ import annotations

import json

from django import forms
from django.conf import settings

from mailwright.contacts.addresses import InvalidAddress, normalize_email
from mailwright.contacts.models import Topic
from mailwright.web.shell.forms import NoLabelSuffix, one_line


class ContactForm(NoLabelSuffix, forms.Form):
    email = forms.CharField(max_length=320, widget=forms.EmailInput(attrs={"autofocus": True}))
    name = forms.CharField(max_length=200, required=False)
    language = forms.ChoiceField(choices=settings.LANGUAGES, initial="en")
    topics = forms.MultipleChoiceField(
        label="Confirmed on topics",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Tick only the topics this person has agreed to receive.",
    )
    basis = forms.CharField(
        label="Consent basis",
        max_length=300,
        required=False,
        help_text="How and when they agreed, e.g. “double opt-in on our site, 2024-05-01”."
        " Required when a topic is ticked.",
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["topics"].choices = [(t.key, t.name) for t in Topic.objects.all()]

    def clean_email(self) -> str:
        # Checked here too, so a bad address is reported together with the other fields.
        try:
            normalize_email(self.cleaned_data["email"])
        except InvalidAddress as exc:
            raise forms.ValidationError(str(exc)) from None
        return self.cleaned_data["email"]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("topics") and not (cleaned.get("basis") or "").strip():
            self.add_error("basis", "Say how these topics were consented to.")
        return cleaned


class ContactEditForm(NoLabelSuffix, forms.Form):
    """Rectification: name, language and attributes (a JSON object)."""

    ATTRIBUTES_LIMIT = 20_000

    name = forms.CharField(max_length=200, required=False)
    language = forms.ChoiceField(choices=settings.LANGUAGES)
    attributes = forms.CharField(
        label="Attributes (JSON)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false", "class": "code"}),
        help_text='A JSON object, e.g. {"city": "Kraków", "plan": "pro"}. Empty means none.',
    )

    @classmethod
    def initial_for(cls, contact) -> dict:
        return {
            "name": contact.name,
            "language": contact.language,
            "attributes": json.dumps(contact.attributes or {}, indent=2, ensure_ascii=False),
        }

    def clean_name(self) -> str:
        return one_line(self.cleaned_data["name"], "name")

    def clean_attributes(self) -> dict:
        raw = self.cleaned_data["attributes"].strip()
        if not raw:
            return {}
        if len(raw) > self.ATTRIBUTES_LIMIT:
            raise forms.ValidationError(
                f"The attributes are longer than {self.ATTRIBUTES_LIMIT:,} characters."
            )
        try:
            value = json.loads(raw)
        except ValueError as exc:
            raise forms.ValidationError(f"This is not valid JSON: {exc}.") from None
        if not isinstance(value, dict):
            raise forms.ValidationError(
                'The attributes must be a JSON object, e.g. {"city": "Kraków"}.'
            )
        return value


class EraseForm(NoLabelSuffix, forms.Form):
    confirm = forms.CharField(
        label="Type the person's email address to confirm",
        max_length=320,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )

    def __init__(self, *args, email: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.email = email

    def clean_confirm(self) -> str:
        typed = self.cleaned_data["confirm"].strip()
        if typed.lower() != self.email.lower():
            raise forms.ValidationError("This is not the contact's address; nothing was erased.")
        return typed


SUBSCRIBE_STATES = [
    ("confirmed", "Confirmed: they agreed to receive it"),
    ("pending", "Pending: asked, awaiting their confirmation"),
]


class SubscribeForm(forms.Form):
    """Subscribing an existing contact to a topic, on the contact page (see
    views.subscribe_to_topic)."""

    topic = forms.ChoiceField(label="Topic")
    state = forms.ChoiceField(
        label="State", choices=SUBSCRIBE_STATES, initial="confirmed", widget=forms.RadioSelect
    )
    basis = forms.CharField(
        label="Consent basis",
        max_length=300,
        required=False,
        help_text="How and when they agreed, e.g. “signed up at the fair, 2026-05-01”."
        " Required for a confirmed subscription.",
    )

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("label_suffix", "")
        kwargs.setdefault("auto_id", "subscribe_%s")
        super().__init__(*args, **kwargs)
        self.fields["topic"].choices = [
            ("", "Choose a topic…"),
            *((t.key, t.name) for t in Topic.objects.order_by("name")),
        ]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("state") == "confirmed" and not (cleaned.get("basis") or "").strip():
            self.add_error("basis", "Say what the consent rests on (required when confirmed).")
        return cleaned
