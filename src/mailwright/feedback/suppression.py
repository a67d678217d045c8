"""The suppression list: addresses that must not be mailed, each with why and when."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from mailwright.contacts.models import Contact
from mailwright.feedback.models import Suppression


def suppressed_among(emails: Iterable[str]) -> set[str]:
    """Which of these addresses are suppressed (one query)."""
    emails = list(emails)
    if not emails:
        return set()
    return set(Suppression.objects.filter(email__in=emails).values_list("email", flat=True))


def is_suppressed(email: str) -> bool:
    return Suppression.objects.filter(email=email).exists()


@transaction.atomic
def suppress(email: str, reason: str, detail: str = "", delivery=None) -> Suppression:
    entry, created = Suppression.objects.get_or_create(
        email=email,
        defaults={
            "reason": reason,
            "detail": detail[:2000],
            "delivery": delivery,
            "created_at": timezone.now(),
        },
    )
    if created and reason == Suppression.Reason.HARD_BOUNCE:
        Contact.objects.filter(email=email, status=Contact.Status.ACTIVE).update(
            status=Contact.Status.BOUNCED
        )
    return entry
