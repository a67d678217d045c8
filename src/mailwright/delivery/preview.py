"""Preview and test send (SPEC §4.4): a template or campaign rendered as one contact (any
contact, a segment's n-th member, or the sample contact), as the worker would render it
(CSS inlined, the compliance footer added where the template does not show the links), but
with inert links: nothing in a preview or a test message unsubscribes anyone.

A test send queues one service-stream delivery per address with the rendered content and no
campaign id, so the campaign's report and counts are not affected; "[Test] " prefixes the
subject. At most TEST_SENDS_PER_MINUTE test sends per campaign a minute."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from mailwright.campaigns.inlining import inline_css
from mailwright.campaigns.rendering import compile_template, recipient_context, sample_context
from mailwright.consent import organisation
from mailwright.contacts.models import Contact, Segment
from mailwright.contacts.segments import compile_segment
from mailwright.delivery import service
from mailwright.delivery.compose import add_footer, shows_compliance
from mailwright.delivery.models import Delivery

MAX_TEST_ADDRESSES = organisation.MAX_TEST_ADDRESSES
TEST_SENDS_PER_MINUTE = 10
INERT = {
    "unsubscribe_url": "#preview-unsubscribe",
    "preferences_url": "#preview-preferences",
    "view_online_url": "#preview-view-online",
}


class PreviewError(ValueError):
    """Bad preview or test-send input; `field` names it. `status` for the API."""

    def __init__(self, message: str, field: str | None = None, status: int = 422) -> None:
        super().__init__(message)
        self.field = field
        self.status = status


@dataclass
class Picked:
    contact: Contact | None  # None: the sample contact
    index: int | None = None  # position in the segment
    total: int | None = None  # the segment's size

    def describe(self) -> dict:
        c = self.contact
        out = (
            {"id": c.id, "email": c.email, "name": c.name, "language": c.language}
            if c is not None
            else {"id": 0, "email": "sample@example.com", "name": "Sam Example", "language": "en"}
        )
        if self.total is not None:
            out.update(index=self.index, total=self.total)
        return out


def live_contacts():
    return Contact.objects.filter(erased_at__isnull=True)


def pick(*, contact=None, email: str | None = None, segment=None, index: int = 0) -> Picked:
    """The contact to preview as: by id, by email, or the `index`-th (wrapping) member of a
    stored segment, in id order; none of these: the sample contact."""
    if contact is not None:
        found = live_contacts().filter(pk=contact).first()
        if found is None:
            raise PreviewError(f"no contact with id {contact}", "contact", 404)
        return Picked(found)
    if email:
        found = live_contacts().filter(email__iexact=email.strip()).first()
        if found is None:
            raise PreviewError(f"no contact with the email {email!r}", "email", 404)
        return Picked(found)
    if segment is not None:
        tree = Segment.objects.filter(pk=segment).values_list("tree", flat=True).first()
        if tree is None:
            raise PreviewError(f"no segment with id {segment}", "segment", 404)
        members = live_contacts().filter(compile_segment(tree, "segment")).order_by("id")
        total = members.count()
        if not total:
            raise PreviewError("the segment has no members", "segment")
        index = index % total
        return Picked(members[index], index, total)
    return Picked(None)


def context_for(picked: Picked, template, campaign=None) -> dict:
    """The recipient context the worker would build, with inert links."""
    if picked.contact is None:
        ctx = sample_context()
    else:
        ctx = recipient_context(picked.contact, campaign)
    if campaign is None:
        ctx["campaign"] = {"id": 0, "name": template.name, "subject": template.subject}
    ctx.update(INERT)
    return ctx


def render(template, picked: Picked, campaign=None) -> dict:
    """{"subject", "html", "text", "contact"}: what this contact would get. Raises
    TemplateError (the render is the lenient one the worker uses)."""
    ctx = context_for(picked, template, campaign)
    compiled = compile_template(template.subject, inline_css(template.html), template.text)
    subject, html, text = compiled.render(ctx)
    in_html = shows_compliance(html, ctx, html=True)
    in_text = shows_compliance(text, ctx, html=False)
    if not (in_html and in_text):
        language = picked.contact.language if picked.contact is not None else "en"
        html, text = add_footer(
            html,
            text,
            ctx,
            None,
            language,
            to_html=not in_html,
            to_text=not in_text,
            branded=template.brand_footer,
        )
    return {"subject": subject, "html": html, "text": text, "contact": picked.describe()}


def parse_addresses(text_or_list) -> list[str]:
    """The seed list (consent.organisation.parse_addresses, the rule Settings → Organisation
    and PUT /api/v1/organisation use); raises PreviewError naming `emails`."""
    try:
        return organisation.parse_addresses(text_or_list, "emails")
    except organisation.OrganisationError as exc:
        raise PreviewError(exc.reason, "emails") from None


def send_test(campaign, *, emails=None, contact: int | None = None) -> list[Delivery]:
    """Queue the campaign, rendered as `contact` (else the sample contact), to `emails`
    (else the organisation's seed list), as service mail without a campaign id."""
    addresses = parse_addresses(
        emails if emails is not None else organisation.current().test_addresses
    )
    if not addresses:
        raise PreviewError(
            "no test addresses: give emails or set the seed list in Settings → Organisation",
            "emails",
        )
    picked = pick(contact=contact)
    message = render(campaign.template, picked, campaign)
    since = timezone.now() - timedelta(minutes=1)
    with transaction.atomic():
        recent = Delivery.objects.filter(
            stream=Delivery.Stream.SERVICE,
            contact__isnull=True,
            created_at__gte=since,
            content__kind="test",
            content__campaign=campaign.id,
            content__first=True,
        ).count()
        if recent >= TEST_SENDS_PER_MINUTE:
            raise PreviewError(
                f"at most {TEST_SENDS_PER_MINUTE} test sends a minute per campaign; wait a minute",
                None,
                429,
            )
        batch = uuid.uuid4().hex[:12]
        out = []
        for n, address in enumerate(addresses):
            delivery = service.queue(
                None,
                kind="test",
                subject=f"[Test] {message['subject']}",
                html=message["html"],
                text=message["text"],
                language=message["contact"]["language"],
                email=address,
            )
            delivery.content.update(
                campaign=campaign.id,
                batch=batch,
                first=n == 0,
                from_email=campaign.from_email,
                from_name=campaign.from_name,
            )
            delivery.save(update_fields=["content"])
            out.append(delivery)
    return out


__all__ = ["PreviewError", "parse_addresses", "pick", "render", "send_test"]
