"""Queue service messages (opt-in confirmations, transactional API messages and other
non-campaign mail) in the ledger. They go out through the same worker, on the service
stream, ahead of marketing: only suppression stops them (never marketing consent)."""

from __future__ import annotations

from django.dispatch import receiver
from django.utils import timezone

from mailwright.consent.signals import service_mail
from mailwright.delivery import wake
from mailwright.delivery.models import Delivery


@wake.nudges
def queue(
    contact,
    *,
    kind: str,
    subject: str,
    html: str,
    text: str,
    language: str,
    email: str | None = None,
    attachments: list[dict] | None = None,
    track_opens: bool = False,
) -> Delivery:
    """A service-stream delivery carrying its rendered content. `contact` may be None when
    the recipient is an address that is not a contact (then `email` is required).
    `attachments`: [{"filename", "content_type", "content" (base64)}], already checked."""
    address = email or (contact.email if contact is not None else "")
    if not address:
        raise ValueError("a service message needs a contact or an address")
    now = timezone.now()
    content = {"kind": kind, "subject": subject, "html": html, "text": text, "language": language}
    if attachments:
        content["attachments"] = attachments
    if track_opens:  # the worker adds the pixel (compose.py): it needs this row's id
        content["track_opens"] = True
    return Delivery.objects.create(
        contact=contact,
        email=address,
        domain=address.rpartition("@")[2].lower(),
        stream=Delivery.Stream.SERVICE,
        content=content,
        state=Delivery.State.QUEUED,
        next_attempt_at=now,
        created_at=now,
        updated_at=now,
    )


@receiver(service_mail, dispatch_uid="delivery.service.queue")
def _on_service_mail(sender, contact, kind, subject, html, text, language, **_signal) -> None:
    queue(contact, kind=kind, subject=subject, html=html, text=text, language=language)
