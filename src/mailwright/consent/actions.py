"""Consent actions: every change of a subscription or of a contact's consent status goes
through one of these. Each runs in one transaction, appends to the consent ledger, writes an
audit row and announces the change on the event bus (webhooks go out after commit). Every
caller — public pages, the preference center, mailto, relay webhooks, complaints, the API,
the UI, the CLI — uses them, so each channel leaves the same state, ledger entry, timeline
entry and webhook."""

from __future__ import annotations

from django.db import transaction

from mailwright.audit import log as audit
from mailwright.audit.actors import Actor
from mailwright.audit.events import DomainEvent, emit
from mailwright.consent import ledger
from mailwright.contacts import actions as contacts
from mailwright.contacts.models import Contact, Subscription, Topic

LEDGER_ACTIONS = {
    Subscription.State.PENDING: "subscribe_pending",
    Subscription.State.CONFIRMED: "subscribe_confirmed",
    Subscription.State.UNSUBSCRIBED: "unsubscribe",
}


class SubscriptionError(ValueError):
    """A requested subscription change is not allowed."""


def set_state(contact: Contact, topic: Topic, state: str, by: Actor, basis: str, text_version):
    """Move contact × topic to `state` with its ledger entry; None if already there. Writes no
    audit row: for the actions here and the batched ones (consent.bulk_actions), which do."""
    sub = Subscription.objects.select_for_update().filter(contact=contact, topic=topic).first()
    previous = sub.state if sub else ""
    if previous == state:
        return None
    if sub is None:
        sub = Subscription(contact=contact, topic=topic)
    sub.state = state
    if basis:
        sub.basis = basis[:300]
    sub.save()
    ledger.append(
        contact=contact,
        topic_key=topic.key,
        action=LEDGER_ACTIONS[state],
        state_from=previous,
        state_to=state,
        basis=basis,
        text_version=text_version if text_version is not None else topic.consent_version,
        by=by,
    )
    return sub, previous


@transaction.atomic
def do_set_subscription(
    contact: Contact,
    topic: Topic,
    state: str,
    *,
    by: Actor,
    basis: str = "",
    text_version: int | None = None,
    campaign_id: int | None = None,
) -> Subscription | None:
    """Subscribe (pending or confirmed) or unsubscribe contact × topic. No-op if already there.
    An unsubscribe is the same as `do_unsubscribe(contact, topics=[topic])`."""
    if state not in Subscription.State.values:
        raise SubscriptionError(f"unknown subscription state {state!r}")
    if state == Subscription.State.UNSUBSCRIBED:
        do_unsubscribe(contact, by=by, topics=[topic], campaign_id=campaign_id)
        return Subscription.objects.filter(contact=contact, topic=topic).first()
    changed = set_state(contact, topic, state, by, basis, text_version)
    if changed is None:
        return Subscription.objects.filter(contact=contact, topic=topic).first()
    sub, previous = changed
    if state == Subscription.State.CONFIRMED and contact.status == Contact.Status.UNSUBSCRIBED:
        # A new, recorded consent lifts an earlier "unsubscribe from everything".
        contacts.do_set_status(contact, Contact.Status.ACTIVE, by=by)
    audit.record(
        by,
        "subscription.set",
        "contact",
        contact.pk,
        before={"topic": topic.key, "state": previous},
        after={"topic": topic.key, "state": state, "basis": basis[:300]},
    )
    return sub


@transaction.atomic
def do_unsubscribe(
    contact: Contact,
    *,
    by: Actor,
    topics: list[Topic] | None = None,
    campaign_id: int | None = None,
    delivery_id: int | None = None,
) -> list[str]:
    """Unsubscribe from these topics, or from everything (`topics=None`: every topic, and the
    contact's status becomes `unsubscribed`). Returns the topic keys that changed. A change
    is recorded in the ledger (per topic), the audit log and one `unsubscribed` event; a
    request that changes nothing records nothing."""
    contact = Contact.objects.select_for_update().get(pk=contact.pk)
    if topics is None:
        subs = contact.subscriptions.select_related("topic").exclude(
            state=Subscription.State.UNSUBSCRIBED
        )
        targets = [s.topic for s in subs]
    else:
        targets = list(topics)
    changed = [
        t.key
        for t in targets
        if set_state(contact, t, Subscription.State.UNSUBSCRIBED, by, "", None) is not None
    ]
    status_before = contact.status
    if topics is None and contact.status == Contact.Status.ACTIVE:
        contacts.do_set_status(contact, Contact.Status.UNSUBSCRIBED, by=by)
    if not changed and contact.status == status_before:
        return []  # nothing to change: already unsubscribed (a later complaint, a repeat click)
    scope = "all" if topics is None else "topics"
    audit.record(
        by,
        "contact.unsubscribe",
        "contact",
        contact.pk,
        before={"status": status_before},
        after={"status": contact.status, "scope": scope, "topics": changed},
    )
    emit(
        DomainEvent(
            "unsubscribed",
            {"channel": by.channel, "scope": scope, "topics": changed},
            email=contact.email,
            contact_id=contact.pk,
            campaign_id=campaign_id,
            delivery_id=delivery_id,
        )
    )
    return changed
