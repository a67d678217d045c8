"""The organisation settings form: it only parses and shapes input; consent.organisation saves
it."""

from __future__ import annotations

from django import forms

from mailwright.consent import organisation
from mailwright.web.shell.forms import NoLabelSuffix


class OrganisationForm(NoLabelSuffix, forms.Form):
    """Parses the page's input; consent.organisation.clean checks it, with the same rules and
    words as PUT /api/v1/organisation."""

    name = forms.CharField(
        label="Organisation name",
        required=False,
        strip=False,
        widget=forms.TextInput(attrs={"maxlength": 200}),
    )
    postal_address = forms.CharField(
        label="Postal address",
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": 1000}),
        help_text="Shown in every marketing email, as the law requires (CAN-SPAM, GDPR)."
        " Campaigns cannot be sent while it is empty.",
    )
    from_email = forms.CharField(
        label="Default From address",
        required=False,
        widget=forms.EmailInput(attrs={"maxlength": 320}),
        help_text="Used when a campaign does not set its own.",
    )
    from_name = forms.CharField(
        label="Default From name",
        required=False,
        strip=False,
        widget=forms.TextInput(attrs={"maxlength": 200}),
    )
    test_addresses = forms.CharField(
        label="Test addresses (seed list)",
        required=False,
        max_length=20 * 330,
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "qa@example.com"}),
        help_text="One address per line, at most 20: where a campaign's “Send test” goes.",
    )
    frequency_cap = forms.IntegerField(
        label="Default frequency cap (emails)",
        required=False,
        help_text="At most this many marketing emails per person in the period below, for"
        " people who did not choose a frequency themselves in the preference center (0: no cap).",
    )
    frequency_days = forms.IntegerField(label="Frequency cap period (days)", required=False)

    def clean(self) -> dict:
        data = super().clean()
        for key in ("frequency_cap", "frequency_days"):
            if data.get(key) is None:  # left empty (or not a number): unchanged
                data.pop(key, None)
        cleaned = {}
        for key, value in list(data.items()):
            if key not in organisation.FIELDS:
                continue
            try:  # field by field, so the page shows every bad one at once
                cleaned.update(organisation.clean({key: value}))
            except organisation.OrganisationError as exc:
                self.add_error(exc.field, exc.reason)
        return cleaned


ATTRIBUTE_TYPES = [
    ("string", "Text"),
    ("number", "Number"),
    ("date", "Date"),
    ("bool", "Yes/no"),
]


class AttributeForm(NoLabelSuffix, forms.Form):
    """Declare an attribute (contacts.attribute_store checks the key)."""

    key = forms.CharField(
        max_length=64,
        help_text="Lowercase letters, digits and _, e.g. plan or orders_2024. Used in the API,"
        " imports, segments and templates (contact.attributes.plan); cannot be changed later.",
        widget=forms.TextInput(attrs={"spellcheck": "false", "autocomplete": "off"}),
    )
    label = forms.CharField(max_length=200, required=False, help_text="Shown in the UI.")
    type = forms.ChoiceField(choices=ATTRIBUTE_TYPES, initial="string")


class AttributeEditForm(NoLabelSuffix, forms.Form):
    label = forms.CharField(max_length=200, required=False)
    type = forms.ChoiceField(
        choices=ATTRIBUTE_TYPES,
        help_text="Changing the type converts every stored value; if one does not convert,"
        " nothing changes and you are told how many contacts block it.",
    )
