"""Forms of the Feedback area (suppressions, inbound, webhooks): they only parse and shape
input; mailwright.consent and mailwright.feedback validate and save it."""

from __future__ import annotations

from django import forms

from mailwright.consent.models import Suppression
from mailwright.contacts.addresses import InvalidAddress, normalize_email
from mailwright.feedback.models import InboundMessage
from mailwright.feedback.webhooks import EVENT_TYPES
from mailwright.web.shell.forms import NoLabelSuffix, one_line


class SuppressionFilterForm(NoLabelSuffix, forms.Form):
    q = forms.CharField(label="Email contains", max_length=320, required=False)
    reason = forms.ChoiceField(
        choices=[("", "Any reason"), *Suppression.Reason.choices], required=False
    )


class SuppressionAddForm(NoLabelSuffix, forms.Form):
    email = forms.CharField(label="Email address", max_length=320)
    note = forms.CharField(
        label="Note", max_length=500, required=False, help_text="Why: kept with the entry."
    )

    def clean_email(self) -> str:
        try:
            return normalize_email(self.cleaned_data["email"])
        except InvalidAddress as exc:
            raise forms.ValidationError(str(exc)) from None

    def clean_note(self) -> str:
        return one_line(self.cleaned_data["note"].strip(), "note")


SUPPRESSION_IMPORT_MAX_BYTES = 5 * 1024 * 1024


class SuppressionImportForm(NoLabelSuffix, forms.Form):
    file = forms.FileField(
        label="Suppression list",
        help_text="Text with one address per line, or a CSV file with an “email” column;"
        " at most 5 MB.",
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > SUPPRESSION_IMPORT_MAX_BYTES:
            raise forms.ValidationError(
                f"The file is {upload.size / 1024 / 1024:.1f} MB; the limit is 5 MB."
            )
        return upload


class InboundFilterForm(NoLabelSuffix, forms.Form):
    kind = forms.ChoiceField(
        choices=[("", "Any kind"), *InboundMessage.Kind.choices], required=False
    )
    failed = forms.BooleanField(label="Only failed (dead letters)", required=False)


class WebhookEndpointForm(NoLabelSuffix, forms.Form):
    url = forms.CharField(label="URL", max_length=1000, help_text="https://… receiving POSTs")
    event_types = forms.MultipleChoiceField(
        label="Event types",
        choices=[(t, t) for t in EVENT_TYPES],
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="None ticked: every event type.",
    )
    description = forms.CharField(max_length=200, required=False)

    def clean_url(self) -> str:
        return one_line(self.cleaned_data["url"].strip(), "URL")
