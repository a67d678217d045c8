"""Subscribing an existing contact to a topic from the contact page, through the same domain
function as the API (directory.upsert with one subscription request), so the same rules hold:
a confirmed subscription needs its consent basis, someone who unsubscribed is never re-confirmed,
a confirmation is never downgraded, a suppressed address is not confirmed. A pending
subscription sends no email (nor does the API's): the person confirms through a subscription
form's double opt-in."""

from __future__ import annotations

from django import forms
from django.db import transaction

from mailwright.audit.actors import Actor
from mailwright.consent import directory
from mailwright.contacts.models import Contact, Subscription, Topic

STATES = [
    ("confirmed", "Confirmed: they agreed to receive it"),
    ("pending", "Pending: asked, awaiting their confirmation"),
]


class SubscribeForm(forms.Form):
    topic = forms.ChoiceField(label="Topic")
    state = forms.ChoiceField(
        label="State", choices=STATES, initial="confirmed", widget=forms.RadioSelect
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


def _state(contact: Contact, key: str) -> str | None:
    return contact.subscriptions.filter(topic__key=key).values_list("state", flat=True).first()


def apply(form: SubscribeForm, contact: Contact, by: Actor) -> str | None:
    """Subscribe; the success message, or None with the errors on the form."""
    if not form.is_valid():
        return None
    key, state = form.cleaned_data["topic"], form.cleaned_data["state"]
    before = _state(contact, key)
    request = directory.SubscriptionRequest(key, state, form.cleaned_data["basis"].strip())
    try:
        with transaction.atomic():
            directory.upsert(
                directory.ContactInput(email=contact.email, subscriptions=[request]), by=by
            )
    except directory.ContactError as exc:
        form.add_error(None, str(exc))
        return None
    after = _state(contact, key)
    if after == state:
        if before == state:
            return f"Already {state} for this topic: nothing changed."
        name = dict(form.fields["topic"].choices)[key]
        return f"Subscribed to “{name}” ({state})."
    if after == Subscription.State.UNSUBSCRIBED:
        form.add_error(
            None,
            "This person unsubscribed from this topic; only they can subscribe again"
            " (through a subscription form).",
        )
    elif after == Subscription.State.CONFIRMED:
        form.add_error(None, "This subscription is already confirmed.")
    else:
        form.add_error(None, "This address is suppressed: it cannot be confirmed.")
    return None
