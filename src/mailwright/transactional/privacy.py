"""Erasure and merging for service messages: what was sent to a person (the data it carried,
the address) goes when they are erased; a merged contact's messages are the survivor's."""

from __future__ import annotations

from django.db.models import Q
from django.dispatch import receiver

from mailwright.consent.signals import erasing, merging
from mailwright.transactional.models import Message


@receiver(erasing, dispatch_uid="transactional.privacy.erase")
def erase(sender, contact, email: str, placeholder: str, **_kwargs) -> None:
    # Also messages sent to the address before it was a contact (no contact on the row).
    Message.objects.filter(Q(contact=contact) | Q(to_email__iexact=email)).update(
        to_email=placeholder, data={}, attachments=[]
    )


@receiver(merging, dispatch_uid="transactional.privacy.merge")
def merge(sender, survivor, merged_ids: list[int], **_kwargs) -> None:
    Message.objects.filter(contact_id__in=merged_ids).update(contact=survivor)
