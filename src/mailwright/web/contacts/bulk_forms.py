"""The contact list's bulk-action form: which contacts (the ticked rows, or all matching the
filter) and what to do with them. It only parses; contacts.bulk and consent.bulk_actions
validate and act."""

from __future__ import annotations

from django import forms

from mailwright.contacts.models import Topic

ACTIONS = [
    ("add_tag", "Add a tag"),
    ("remove_tag", "Remove a tag"),
    ("subscribe", "Subscribe to a topic"),
    ("unsubscribe", "Unsubscribe"),
    ("delete", "Delete"),
    ("export", "Export CSV"),
]
MAX_SELECTED = 10_000


class BulkForm(forms.Form):
    action = forms.ChoiceField(choices=ACTIONS)
    scope = forms.ChoiceField(
        choices=[("selected", "the selected rows"), ("all", "all matching")], initial="selected"
    )
    # Not "tag", "topic", "state": the list's filter travels in the same POST under those.
    bulk_tag = forms.CharField(max_length=200, required=False)
    sub_topic = forms.ChoiceField(required=False)
    sub_state = forms.ChoiceField(
        required=False,
        choices=[("pending", "pending (awaiting their confirmation)"), ("confirmed", "confirmed")],
    )
    basis = forms.CharField(max_length=300, required=False)
    unsub_topic = forms.ChoiceField(required=False)
    reason = forms.CharField(max_length=300, required=False)
    confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        topics = [(t.key, t.name) for t in Topic.objects.order_by("name")]
        self.fields["sub_topic"].choices = [("", "Choose a topic…"), *topics]
        self.fields["unsub_topic"].choices = [("", "Everything (all topics)"), *topics]
        self.topic_names = dict(topics)

    def clean(self):
        cleaned = super().clean()
        action = cleaned.get("action")
        raw_ids = self.data.getlist("ids") if hasattr(self.data, "getlist") else []
        try:
            ids = sorted({int(i) for i in raw_ids})
        except ValueError:
            ids = [0]
        if ids and not 0 < ids[0] <= ids[-1] < 2**63:
            raise forms.ValidationError("The selection is not a list of contacts.")
        if len(ids) > MAX_SELECTED:
            raise forms.ValidationError(
                f"Select at most {MAX_SELECTED:,} rows, or choose “all matching”."
            )
        cleaned["ids"] = ids
        if cleaned.get("scope") == "selected" and not ids:
            raise forms.ValidationError(
                "Select at least one contact (tick its row), or choose “all matching”."
            )
        if action in ("add_tag", "remove_tag") and not (cleaned.get("bulk_tag") or "").strip():
            self.add_error("bulk_tag", "Type the tag.")
        if action == "subscribe":
            if not cleaned.get("sub_topic"):
                self.add_error("sub_topic", "Choose the topic to subscribe them to.")
            if cleaned.get("sub_state") not in ("pending", "confirmed"):
                self.add_error("sub_state", "Choose pending or confirmed.")
            elif cleaned["sub_state"] == "confirmed" and not (cleaned.get("basis") or "").strip():
                self.add_error(
                    "basis", "A confirmed subscription needs its consent basis (how they agreed)."
                )
        if action == "unsubscribe" and not (cleaned.get("reason") or "").strip():
            self.add_error("reason", "Say why (it is recorded in the consent ledger).")
        return cleaned

    def error_text(self) -> str:
        parts = [str(e) for e in self.non_field_errors()]
        for name, errors in self.errors.items():
            if name != "__all__":
                label = {"bulk_tag": "tag", "sub_topic": "topic", "sub_state": "state"}.get(
                    name, name.replace("unsub_topic", "topic")
                )
                parts += [f"{label}: {e}" for e in errors]
        return " ".join(parts)
