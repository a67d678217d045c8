"""The new-campaign form: it only parses and shapes input; campaigns.campaigns validates it."""

from __future__ import annotations

from django import forms

from mailwright.campaigns.models import Template
from mailwright.consent import organisation
from mailwright.contacts.models import Segment, Topic
from mailwright.web.shell.forms import NoLabelSuffix


class CampaignForm(NoLabelSuffix, forms.Form):
    name = forms.CharField(max_length=200)
    template = forms.ModelChoiceField(
        queryset=Template.objects.filter(kind="marketing"), empty_label=None
    )
    topics = forms.ModelMultipleChoiceField(
        queryset=Topic.objects.all(),
        to_field_name="key",
        widget=forms.CheckboxSelectMultiple,
        help_text="Contacts confirmed on any of these topics receive the campaign.",
    )
    saved_segment = forms.ModelChoiceField(
        label="Segment",
        queryset=Segment.objects.all(),
        required=False,
        empty_label="Everyone confirmed on the topics",
        help_text="A stored segment (Contacts → Segments), read when the campaign is sent.",
    )
    from_email = forms.CharField(label="From address", max_length=320, required=False)
    from_name = forms.CharField(label="From name", max_length=200, required=False)
    reply_to = forms.CharField(label="Reply-To address", max_length=320, required=False)
    track_opens = forms.BooleanField(
        label="Track opens", required=False, initial=True, help_text="Adds the open pixel."
    )
    track_clicks = forms.BooleanField(
        label="Track clicks",
        required=False,
        initial=True,
        help_text="Links go through Mailwright's click redirect to their address.",
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        org = organisation.current()  # the default sender as Settings has it now
        self.fields["from_email"].help_text = f"Empty: {org.from_email}"
        self.fields["from_name"].help_text = f"Empty: {org.from_name or org.name}"
