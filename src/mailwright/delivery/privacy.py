"""Erasure in the delivery layer: no pending mail goes out, no address or content is kept."""

from __future__ import annotations

from django.db.models import Q
from django.dispatch import receiver

from mailwright.consent.signals import erasing, merging
from mailwright.delivery.models import CapturedMessage, Delivery


@receiver(erasing, dispatch_uid="delivery.privacy.erase")
def erase(sender, contact, email: str, placeholder: str, **_kwargs) -> None:
    # Service mail may have gone to the address before it was a contact (no contact on the row).
    mine = Q(contact=contact) | Q(contact__isnull=True, email__iexact=email)
    Delivery.objects.filter(
        mine,
        state__in=[Delivery.State.QUEUED, Delivery.State.DEFERRED, Delivery.State.SENDING],
    ).update(state=Delivery.State.SUPPRESSED, last_reply="recipient erased")
    Delivery.objects.filter(mine).update(
        email=placeholder, content=None, last_reply="", message_id=""
    )
    CapturedMessage.objects.filter(to=email).delete()


@receiver(merging, dispatch_uid="delivery.privacy.merge")
def merge(sender, survivor, merged_ids: list[int], **_kwargs) -> None:
    """A merged contact's deliveries are the survivor's history."""
    Delivery.objects.filter(contact_id__in=merged_ids).update(contact=survivor)
