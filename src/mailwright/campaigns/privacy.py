"""Erasure and merges in the campaigns layer: exclusion entries (people an exclusion group
reached by post, phone, …) hold an address, so they go with the person, and follow a merge."""

from __future__ import annotations

from django.db.models import Q
from django.dispatch import receiver

from mailwright.campaigns.models import ExclusionEntry
from mailwright.consent.signals import erasing, merging
from mailwright.contacts.addresses import email_key


@receiver(erasing, dispatch_uid="campaigns.privacy.erase")
def erase(sender, contact, email: str, placeholder: str, **_kwargs) -> None:
    # Once erased the address is suppressed for good: the entry is no longer needed.
    ExclusionEntry.objects.filter(Q(contact=contact) | Q(email=email_key(email))).delete()


@receiver(merging, dispatch_uid="campaigns.privacy.merge")
def merge(sender, survivor, merged_ids: list[int], **_kwargs) -> None:
    ExclusionEntry.objects.filter(contact_id__in=merged_ids).update(contact=survivor)
