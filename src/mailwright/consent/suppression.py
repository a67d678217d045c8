"""The suppression list: addresses that must not be mailed, each with why and when.

Each entry carries a salted hash of the address; after a person is erased only the hash is
left, which is still enough to refuse the address if it comes back.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection, transaction
from django.utils import timezone

from mailwright.audit import log as audit
from mailwright.audit.actors import Actor
from mailwright.consent import ledger
from mailwright.consent.hashing import address_hash, address_hashes
from mailwright.consent.models import Suppression
from mailwright.contacts import actions as contact_actions
from mailwright.contacts.addresses import email_key
from mailwright.contacts.models import Contact


def suppressed_among(emails: Iterable[str]) -> set[str]:
    """Which of these addresses are suppressed (one query)."""
    emails = set(emails)
    if not emails:
        return set()
    # By hash of the key (case variants are one address), and of a capitalised spelling's own
    # hash for erasures recorded before keys were case-insensitive.
    by_hash: dict[str, set[str]] = {}
    for e in emails:
        for digest in address_hashes(e):
            by_hash.setdefault(digest, set()).add(e)
    found: set[str] = set()
    # Plain SQL: the engine asks this for every batch it sends (200 addresses).
    table = Suppression._meta.db_table
    marks = ", ".join(["%s"] * len(by_hash))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT email_hash FROM {table} WHERE email_hash IN ({marks})",  # noqa: S608
            list(by_hash),
        )
        for (digest,) in cursor.fetchall():
            found |= by_hash[digest]
    return found


def is_suppressed(email: str) -> bool:
    return bool(suppressed_among([email]))


def is_erased(email: str) -> bool:
    """The person asked to be erased: the address must not come back."""
    return Suppression.objects.filter(
        email_hash__in=address_hashes(email), reason=Suppression.Reason.ERASED
    ).exists()


@transaction.atomic
def do_suppress(
    email: str, reason: str, detail: str = "", delivery=None, *, by: Actor | None = None
) -> Suppression:
    """Add the address to the suppression list (no-op if already there): a hard bounce also
    marks the contact `bounced`; the consent ledger and the audit log record it."""
    by = by or Actor(channel=CHANNEL_FOR_REASON.get(reason, "admin"), actor="mailwright")
    existing = Suppression.objects.filter(email_hash__in=address_hashes(email)).first()
    if existing is not None:
        return existing
    entry, created = Suppression.objects.get_or_create(
        email_hash=address_hash(email),
        defaults={
            "email": email,
            "email_key": email_key(email),
            "reason": reason,
            "detail": detail[:2000],
            "delivery": delivery,
            "created_at": timezone.now(),
        },
    )
    if created:
        contact = Contact.objects.filter(email_key=email_key(email)).first()
        if contact is not None:
            if reason == Suppression.Reason.HARD_BOUNCE and contact.status == Contact.Status.ACTIVE:
                contact_actions.do_set_status(contact, Contact.Status.BOUNCED, by=by)
            record_suppression(contact, reason, by=by)
        audit.record(
            by,
            "suppression.add",
            "suppression",
            entry.pk,
            after={"reason": reason},  # not the detail: a bounce's text may name the address
        )
    return entry


CHANNEL_FOR_REASON = {
    Suppression.Reason.HARD_BOUNCE: "bounce",
    Suppression.Reason.COMPLAINT: "complaint",
    Suppression.Reason.MANUAL: "admin",
    Suppression.Reason.ERASED: "privacy",
    Suppression.Reason.SOFT_BOUNCES: "bounce",
}


def record_suppression(contact: Contact, reason: str, by: Actor | None = None) -> None:
    """Suppression ends consent in practice, so it goes into the consent ledger too."""
    ledger.append(
        contact=contact,
        topic_key="",
        action=f"suppressed:{reason}"[:32],
        state_from="",
        state_to="suppressed",
        by=by or Actor(channel=CHANNEL_FOR_REASON.get(reason, "admin"), actor="mailwright"),
    )
