"""Turn a leased delivery into message bytes: compiled template (cached per campaign) →
personal render → MIME bytes."""

from __future__ import annotations

from django.conf import settings

from mailwright.campaigns.rendering import CompiledTemplate, compile_template, recipient_context
from mailwright.delivery.mime import OutgoingMessage, assemble, make_message_id
from mailwright.delivery.models import Delivery


class Composer:
    def __init__(self) -> None:
        self._compiled: dict[tuple[int, object], CompiledTemplate] = {}

    def compiled(self, campaign) -> CompiledTemplate:
        tpl = campaign.template
        key = (tpl.id, tpl.updated_at)
        found = self._compiled.get(key)
        if found is None:
            found = compile_template(tpl.subject, tpl.html, tpl.text)
            if len(self._compiled) > 256:
                self._compiled.clear()
            self._compiled[key] = found
        return found

    def from_address(self, delivery: Delivery) -> str:
        campaign = delivery.campaign
        return (campaign.from_email if campaign else "") or settings.DEFAULT_FROM_EMAIL

    def sender(self, delivery: Delivery) -> str:
        """The envelope sender (MAIL FROM, later the Return-Path): where bounces go."""
        if settings.BOUNCE_DOMAIN:
            return f"bounce@{settings.BOUNCE_DOMAIN}"
        return self.from_address(delivery)

    def compose(self, delivery: Delivery) -> tuple[str, bytes]:
        """Return (message_id, bytes). Raises TemplateError on a template failure."""
        campaign = delivery.campaign
        contact = delivery.contact
        ctx = recipient_context(contact, campaign)
        subject, html, text = self.compiled(campaign).render(ctx)
        from_email = self.from_address(delivery)
        domain = from_email.rpartition("@")[2] or "localhost"
        message_id = make_message_id(domain, delivery.id)
        extra = [
            ("List-Unsubscribe", f"<{ctx['unsubscribe_url']}>"),
            ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
            ("X-Mailwright-Delivery", str(delivery.id)),
        ]
        msg = OutgoingMessage(
            from_email=from_email,
            from_name=(campaign.from_name if campaign else "") or settings.DEFAULT_FROM_NAME,
            to_email=delivery.email,
            to_name=contact.name if contact else "",
            subject=subject,
            html=html,
            text=text,
            message_id=message_id,
            reply_to=campaign.reply_to if campaign else "",
            extra_headers=extra,
        )
        return message_id, assemble(msg)
