"""Every change to a contact's subscriptions goes through here, and into the consent ledger."""

from __future__ import annotations

from django.db import transaction

from mailwright.consent import ledger
from mailwright.contacts.models import Contact, Subscription, Topic


class SubscriptionError(ValueError):
    """A requested subscription change is not allowed."""


@transaction.atomic
def set_state(
    contact: Contact,
    topic: Topic,
    state: str,
    *,
    by: ledger.Actor,
    basis: str = "",
    text_version: int | None = None,
) -> Subscription:
    """Move contact × topic to `state`, recording the change. No-op if already there."""
    if state not in Subscription.State.values:
        raise SubscriptionError(f"unknown subscription state {state!r}")
    sub = Subscription.objects.select_for_update().filter(contact=contact, topic=topic).first()
    previous = sub.state if sub else ""
    if previous == state:
        return sub
    if sub is None:
        sub = Subscription(contact=contact, topic=topic)
    sub.state = state
    if basis:
        sub.basis = basis[:300]
    sub.save()
    if state == Subscription.State.CONFIRMED and contact.status == Contact.Status.UNSUBSCRIBED:
        # A new, recorded consent lifts an earlier "unsubscribe from everything".
        Contact.objects.filter(pk=contact.pk).update(status=Contact.Status.ACTIVE)
        contact.status = Contact.Status.ACTIVE
    action = {
        Subscription.State.PENDING: "subscribe_pending",
        Subscription.State.CONFIRMED: "subscribe_confirmed",
        Subscription.State.UNSUBSCRIBED: "unsubscribe",
    }[state]
    ledger.append(
        contact=contact,
        topic_key=topic.key,
        action=action,
        state_from=previous,
        state_to=state,
        basis=basis,
        text_version=text_version if text_version is not None else topic.consent_version,
        by=by,
    )
    return sub


@transaction.atomic
def unsubscribe_all(contact: Contact, *, by: ledger.Actor) -> int:
    """Unsubscribe from every topic; returns how many subscriptions changed."""
    changed = 0
    subs = contact.subscriptions.select_related("topic").exclude(
        state=Subscription.State.UNSUBSCRIBED
    )
    for sub in subs:
        set_state(contact, sub.topic, Subscription.State.UNSUBSCRIBED, by=by)
        changed += 1
    Contact.objects.filter(pk=contact.pk, status=Contact.Status.ACTIVE).update(
        status=Contact.Status.UNSUBSCRIBED
    )
    return changed
