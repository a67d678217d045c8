"""The organisation settings form: it only parses and shapes input; consent.organisation saves
it."""

from __future__ import annotations

from django import forms

from mailwright.contacts.addresses import InvalidAddress, normalize_email
from mailwright.delivery import preview
from mailwright.web.shell.forms import NoLabelSuffix, lf, one_line


class OrganisationForm(NoLabelSuffix, forms.Form):
    name = forms.CharField(label="Organisation name", max_length=200)
    postal_address = forms.CharField(
        label="Postal address",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Shown in every marketing email, as the law requires (CAN-SPAM, GDPR)."
        " Campaigns cannot be sent while it is empty.",
    )
    from_email = forms.CharField(
        label="Default From address",
        max_length=320,
        widget=forms.EmailInput,
        help_text="Used when a campaign does not set its own.",
    )
    from_name = forms.CharField(label="Default From name", max_length=200, required=False)
    test_addresses = forms.CharField(
        label="Test addresses (seed list)",
        required=False,
        max_length=20 * 330,
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "qa@example.com"}),
        help_text="One address per line, at most 20: where a campaign's “Send test” goes.",
    )

    def clean_test_addresses(self) -> str:
        try:
            return "\n".join(preview.parse_addresses(self.cleaned_data["test_addresses"]))
        except preview.PreviewError as exc:
            raise forms.ValidationError(str(exc)) from None

    frequency_cap = forms.IntegerField(
        label="Default frequency cap (emails)",
        min_value=0,
        max_value=100,
        required=False,
        help_text="At most this many marketing emails per person in the period below, for"
        " people who did not choose a frequency themselves in the preference center (0: no cap).",
    )
    frequency_days = forms.IntegerField(
        label="Frequency cap period (days)", min_value=1, max_value=365, required=False
    )

    def clean(self) -> dict:
        data = super().clean()
        for key in ("frequency_cap", "frequency_days"):
            if data.get(key) is None:  # left empty: unchanged
                data.pop(key, None)
        return data

    def clean_name(self) -> str:
        return one_line(self.cleaned_data["name"], "name")

    def clean_postal_address(self) -> str:
        return lf(self.cleaned_data["postal_address"])

    def clean_from_email(self) -> str:
        try:
            return normalize_email(self.cleaned_data["from_email"])
        except InvalidAddress as exc:
            raise forms.ValidationError(str(exc)) from None

    def clean_from_name(self) -> str:
        return one_line(self.cleaned_data["from_name"], "From name")


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
