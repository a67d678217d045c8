"""Forms of the Contacts area: they only parse and shape input; the domain functions (mainly
consent.directory.upsert) validate it."""

from __future__ import annotations

from django import forms
from django.conf import settings

from mailwright.contacts import fields as contact_fields
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


ATTRIBUTE_PREFIX = "attr_"


class ContactEditForm(NoLabelSuffix, forms.Form):
    """Rectification: name, language, tags, time zone, dates, and one input per declared
    attribute (typed: number, date, checkbox, text). Values are passed on as text; the domain
    (consent.directory.upsert → contacts.attributes.clean) parses and validates them."""

    name = forms.CharField(max_length=200, required=False)
    language = forms.ChoiceField(choices=settings.LANGUAGES)
    tags = forms.CharField(
        required=False,
        max_length=5000,
        help_text="Separated by commas, e.g. “vip, fair-2026”. At most 50, each up to 64"
        " characters.",
    )
    time_zone = forms.ChoiceField(label="Time zone", choices=(), required=False)
    birthday = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    anniversary = forms.DateField(
        label="Anniversary (e.g. customer since)",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(self, *args, contact, definitions, **kwargs) -> None:
        kwargs.setdefault("initial", self.initial_for(contact, definitions))
        super().__init__(*args, **kwargs)
        self.contact = contact
        self.definitions = list(definitions)
        self.fields["time_zone"].choices = [(z, z) for z in contact_fields.time_zones()]
        for d in self.definitions:
            self.fields[ATTRIBUTE_PREFIX + d.key] = _attribute_field(d)

    @staticmethod
    def initial_for(contact, definitions) -> dict:
        initial = {
            "name": contact.name,
            "language": contact.language,
            "tags": ", ".join(contact.tags or []),
            "time_zone": contact.time_zone,
            "birthday": contact.birthday,
            "anniversary": contact.anniversary,
        }
        values = contact.attributes or {}
        for d in definitions:
            if d.key in values:
                initial[ATTRIBUTE_PREFIX + d.key] = values[d.key]
        return initial

    def attribute_fields(self):
        return [self[ATTRIBUTE_PREFIX + d.key] for d in self.definitions]

    def main_fields(self):
        return [f for f in self.visible_fields() if not f.name.startswith(ATTRIBUTE_PREFIX)]

    def clean_name(self) -> str:
        return one_line(self.cleaned_data["name"], "name")

    def attributes_as_text(self) -> dict:
        """Declared attribute → text for contacts.attributes.clean(from_text=True); empty text
        removes the value. An unticked checkbox sets false only where a value was stored."""
        stored = self.contact.attributes or {}
        out: dict = {}
        for d in self.definitions:
            value = self.cleaned_data.get(ATTRIBUTE_PREFIX + d.key)
            if d.type == "bool":
                out[d.key] = "true" if value else ("false" if d.key in stored else None)
            elif d.type == "date":
                out[d.key] = value.isoformat() if value else ""
            else:
                out[d.key] = value or ""
        return out

    def field_for(self, error_field: str) -> str | None:
        """The form field a domain error names (attributes.plan → attr_plan)."""
        if error_field.startswith("attributes."):
            name = ATTRIBUTE_PREFIX + error_field.removeprefix("attributes.")
            return name if name in self.fields else None
        name = error_field.split("[")[0]
        return name if name in self.fields else None


def _attribute_field(definition) -> forms.Field:
    label = definition.label or definition.key
    help_text = f"{definition.key} · {definition.type}"
    if definition.type == "bool":
        return forms.BooleanField(label=label, required=False, help_text=help_text)
    if definition.type == "date":
        widget = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
        return forms.DateField(label=label, required=False, widget=widget, help_text=help_text)
    if definition.type == "number":
        widget = forms.NumberInput(attrs={"step": "any"})
        return forms.CharField(
            label=label, required=False, max_length=40, widget=widget, help_text=help_text
        )
    return forms.CharField(label=label, required=False, max_length=1000, help_text=help_text)


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
