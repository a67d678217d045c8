"""Erasure in the feedback layer: events keep their type and time but no data; bounces,
replies and complaints about the person, and webhook payloads naming them, go."""

from __future__ import annotations

from django.db.models import Q
from django.dispatch import receiver

from mailwright.consent.signals import erasing, merging
from mailwright.feedback.models import Event, InboundMessage, WebhookDelivery


@receiver(erasing, dispatch_uid="feedback.privacy.erase")
def erase(sender, contact, email: str, placeholder: str, **_kwargs) -> None:
    Event.objects.filter(contact=contact).update(data={})
    InboundMessage.objects.filter(
        Q(delivery__contact=contact) | Q(mail_from__iexact=email) | Q(rcpt_to__iexact=email)
    ).delete()
    WebhookDelivery.objects.filter(payload__data__email=email).update(payload={"erased": True})


@receiver(merging, dispatch_uid="feedback.privacy.merge")
def merge(sender, survivor, merged_ids: list[int], **_kwargs) -> None:
    """A merged contact's events (opens, clicks, bounces, …) are the survivor's history."""
    Event.objects.filter(contact_id__in=merged_ids).update(contact=survivor)
