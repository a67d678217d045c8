"""Queue service messages (opt-in confirmations and other non-campaign mail) in the ledger.
They go out through the same worker, on the service stream: only suppression stops them."""

from __future__ import annotations

from django.dispatch import receiver
from django.utils import timezone

from mailwright.consent.signals import service_mail
from mailwright.delivery import wake
from mailwright.delivery.models import Delivery


@wake.nudges
def queue(contact, *, kind: str, subject: str, html: str, text: str, language: str) -> Delivery:
    now = timezone.now()
    return Delivery.objects.create(
        contact=contact,
        email=contact.email,
        domain=contact.email.rpartition("@")[2].lower(),
        stream=Delivery.Stream.SERVICE,
        content={
            "kind": kind,
            "subject": subject,
            "html": html,
            "text": text,
            "language": language,
        },
        state=Delivery.State.QUEUED,
        next_attempt_at=now,
        created_at=now,
        updated_at=now,
    )


@receiver(service_mail, dispatch_uid="delivery.service.queue")
def _on_service_mail(sender, contact, kind, subject, html, text, language, **_signal) -> None:
    queue(contact, kind=kind, subject=subject, html=html, text=text, language=language)
