"""Contact actions: changes of a contact's own fields that other layers cause (a bounce, a
complaint, an unsubscribe). Atomic and audited like every action."""

from __future__ import annotations

from django.db import transaction

from mailwright.audit import log as audit
from mailwright.audit.actors import Actor
from mailwright.contacts.models import Contact, DuplicateDismissal


@transaction.atomic
def do_set_status(contact: Contact, status: str, *, by: Actor) -> bool:
    """Set the contact's status; an erased contact stays erased. True if it changed."""
    before = Contact.objects.filter(pk=contact.pk).values_list("status", flat=True).first()
    if before in (None, status, Contact.Status.ERASED):
        return False
    Contact.objects.filter(pk=contact.pk).update(status=status)
    contact.status = status
    audit.record(
        by,
        "contact.status",
        "contact",
        contact.pk,
        before={"status": before},
        after={"status": status},
    )
    return True


@transaction.atomic
def do_dismiss_duplicates(loose_key: str, *, by: Actor) -> bool:
    """An operator says a near-duplicate group is different people; True if newly recorded."""
    _, created = DuplicateDismissal.objects.get_or_create(
        loose_key=loose_key[:320], defaults={"dismissed_by": by.actor[:200]}
    )
    if created:
        audit.record(by, "contact.duplicates_dismissed", "contact", "", after={"key": loose_key})
    return created
