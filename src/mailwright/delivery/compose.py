"""Turn a leased delivery into message bytes.

Campaign mail: compiled template (cached per campaign) → personal render → compliance footer
(added to each part whose rendered text does not show this recipient's unsubscribe link,
preferences link and the postal address) → MIME bytes with List-Unsubscribe (HTTPS + mailto)
and List-Unsubscribe-Post (RFC 8058).
Service mail (opt-in confirmations and the like) carries its rendered content on the row.
"""

from __future__ import annotations

import base64
import html as html_lib

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from markupsafe import escape

from mailwright.campaigns.inlining import inline_css, strip_comments
from mailwright.campaigns.models import CampaignLink, Template
from mailwright.campaigns.rendering import CompiledTemplate, compile_template, recipient_context
from mailwright.consent.brand import brand_context
from mailwright.consent.organisation import current
from mailwright.delivery import tracked_links
from mailwright.delivery.mime import Attachment, OutgoingMessage, assemble, make_message_id
from mailwright.delivery.models import Delivery
from mailwright.tokens import verp_address


class Composer:
    def __init__(self, organisation=None) -> None:
        self._compiled: dict[tuple[int, object], CompiledTemplate] = {}
        self.organisation = organisation
        self._signers: dict[str, object] = {}
        self._variant_templates: dict[int, Template] = {}
        self.brand: dict | None = None

    def load_brand(self) -> None:
        """On the database thread, once per batch: the brand kit the next messages use."""
        self.brand = brand_context()

    def _variant(self, campaign, variant: int | None) -> tuple[str, Template, int]:
        """(subject, template, first link index) of an A/B variant (the campaign's own
        without one). A variant's own template is read once per process, on the database
        thread (the engine's prepare calls `compiled` first); its links are numbered from
        1000 × (variant + 1) so they never collide with the campaign template's."""
        tpl = campaign.template
        spec = None
        if variant is not None and campaign.ab_test:
            found = campaign.ab_test.get("variants") or []
            spec = found[variant] if 0 <= variant < len(found) else None
        if spec is None:
            return tpl.subject, tpl, 0
        if "subject" in spec:
            return spec["subject"], tpl, 0
        other = self._variant_templates.get(spec["template"])
        if other is None:
            other = Template.objects.filter(pk=spec["template"]).first() or tpl
            self._variant_templates[spec["template"]] = other
        return other.subject, other, 1000 * (variant + 1)

    def compiled(
        self, campaign, *, tracked: bool = True, variant: int | None = None
    ) -> CompiledTemplate:
        """Compile once per campaign (and A/B variant): inline CSS, rewrite links for
        tracking (storing the campaign's links), compile Jinja. The first call for a campaign
        writes its links, so the engine makes it on its database thread (prepare)."""
        subject, tpl, first = self._variant(campaign, variant)
        track = tracked and (campaign.track_clicks or campaign.track_opens)
        key = (
            tpl.id,
            tpl.updated_at,
            subject,
            (campaign.id, campaign.track_clicks, campaign.track_opens) if track else None,
        )
        found = self._compiled.get(key)
        if found is None:
            html = strip_comments(inline_css(tpl.html))
            if track:
                html, links = tracked_links.rewrite(
                    html, clicks=campaign.track_clicks, opens=campaign.track_opens, first=first
                )
                CampaignLink.objects.bulk_create(
                    [
                        CampaignLink(campaign=campaign, index=first + i, url=u)
                        for i, u in enumerate(links)
                    ],
                    ignore_conflicts=True,
                )
            found = compile_template(subject, html, tpl.text)
            if len(self._compiled) > 256:
                self._compiled.clear()
            self._compiled[key] = found
        return found

    def _org(self):
        if self.organisation is None:
            self.organisation = current()
        return self.organisation

    def from_address(self, delivery: Delivery) -> str:
        campaign = delivery.campaign
        return (campaign.from_email if campaign else "") or self._org().from_email

    def sender(self, delivery: Delivery) -> str:
        """The envelope sender (MAIL FROM, later the Return-Path): where bounces go. With a
        bounce domain it is a VERP address that names this delivery, signed."""
        if settings.BOUNCE_DOMAIN:
            return verp_address(delivery.id, settings.BOUNCE_DOMAIN)
        return self.from_address(delivery)

    def sign(self, from_email: str, data: bytes) -> bytes:
        """DKIM-sign with the From domain's active key, when it has one. Signers are looked
        up in the database beforehand (refresh), never here: this runs on the event loop.
        `data` comes from mime.assemble, whose lines all end in CRLF."""
        signer = self._signers.get(from_email.rpartition("@")[2].lower())
        return signer.sign(data, crlf=True) if signer is not None else data

    def refresh(self, organisation, signers: dict | None = None) -> None:
        """Called once per batch: new organisation settings and DKIM keys take effect.
        Signers are merged, not replaced: every lane of a worker shares this composer, and
        another lane's batch (other From domains) must not leave this lane's later chunks
        unsigned. Each batch's own domains are always looked up afresh, so a rotated or
        removed key still takes effect with the next batch that sends from the domain."""
        self.organisation = organisation
        if signers:
            if len(self._signers) > 1024:
                self._signers.clear()
            self._signers.update(signers)

    def compose(self, delivery: Delivery, *, eight_bit: bool = False) -> tuple[str, bytes]:
        """Return (message_id, bytes). Raises TemplateError on a template failure. With
        `eight_bit` (the relay offers 8BITMIME) non-ASCII parts are not encoded."""
        if delivery.campaign_id is None:
            return self._compose_service(delivery, eight_bit)
        campaign = delivery.campaign
        contact = delivery.contact
        org = self._org()
        if self.brand is None:
            self.load_brand()
        ctx = recipient_context(
            contact, campaign, {"name": org.name, "address": org.postal_address}, self.brand
        )
        address = ctx["organisation"]["address"] or ""
        watch = (ctx["unsubscribe_url"], ctx["preferences_url"], address if address.strip() else "")
        everything = sum(1 << i for i, value in enumerate(watch) if value)
        subject, html, text, seen_html, seen_text = self.compiled(
            campaign, variant=delivery.variant
        ).render_watching(ctx, watch)
        if campaign.track_clicks or campaign.track_opens:
            macs: dict = {}
            html = tracked_links.fill(html, delivery.id, campaign.id, macs=macs)
            text = tracked_links.fill(text, delivery.id, campaign.id, html=False, macs=macs)
        # Decided on what this recipient gets, not on the template's source: a name in a
        # comment, or a link inside an {% if %} that is false for them, does not count. The
        # render says whether each was printed as it is; else the output is searched.
        in_html = seen_html == everything or shows_compliance(html, ctx, html=True)
        in_text = seen_text == everything or shows_compliance(text, ctx, html=False)
        if not (in_html and in_text):
            html, text = add_footer(
                html,
                text,
                ctx,
                None,
                contact.language,
                to_html=not in_html,
                to_text=not in_text,
                branded=self._variant(campaign, delivery.variant)[1].brand_footer,
            )
        from_email = self.from_address(delivery)
        domain = from_email.rpartition("@")[2] or "localhost"
        message_id = make_message_id(domain, delivery.id)
        token = ctx["unsubscribe_url"].rsplit("/", 1)[-1]
        mailto_domain = settings.BOUNCE_DOMAIN or domain
        extra = [
            (
                "List-Unsubscribe",
                f"<{ctx['unsubscribe_url']}>, <mailto:unsubscribe@{mailto_domain}"
                f"?subject=unsubscribe%20{token}>",
            ),
            ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
            ("Feedback-ID", f"c{campaign.id}:marketing:mw:{settings.FEEDBACK_ID_SENDER}"),
            ("X-Mailwright-Delivery", str(delivery.id)),
        ]
        msg = OutgoingMessage(
            from_email=from_email,
            from_name=campaign.from_name or org.from_name or org.name,
            to_email=delivery.email,
            to_name=contact.name if contact else "",
            subject=subject,
            html=html,
            text=text,
            message_id=message_id,
            reply_to=campaign.reply_to,
            extra_headers=extra,
        )
        return message_id, self.sign(from_email, assemble(msg, eight_bit=eight_bit))

    def _compose_service(self, delivery: Delivery, eight_bit: bool) -> tuple[str, bytes]:
        content = delivery.content or {}
        html = content.get("html", "")
        if content.get("track_opens"):
            # Service mail has no campaign: its open token names campaign 0.
            html, _ = tracked_links.rewrite(html, clicks=False, opens=True)
            html = tracked_links.fill(html, delivery.id, 0)
        kind = "".join(ch for ch in str(content.get("kind", "service")) if ch.isalnum())[:32]
        org = self._org()
        # A campaign's test send (preview.py) comes from the campaign's own sender.
        from_email = content.get("from_email") or org.from_email
        domain = from_email.rpartition("@")[2] or "localhost"
        message_id = make_message_id(domain, delivery.id)
        msg = OutgoingMessage(
            from_email=from_email,
            from_name=content.get("from_name") or org.from_name or org.name,
            to_email=delivery.email,
            to_name=delivery.contact.name if delivery.contact else "",
            subject=content.get("subject", ""),
            html=html,
            text=content.get("text", ""),
            message_id=message_id,
            extra_headers=[
                ("Auto-Submitted", "auto-generated"),
                ("Feedback-ID", f"{kind}:service:mw:{settings.FEEDBACK_ID_SENDER}"),
                ("X-Mailwright-Delivery", str(delivery.id)),
            ],
            attachments=[
                Attachment(a["filename"], a["content_type"], base64.b64decode(a["content"]))
                for a in content.get("attachments") or ()
            ],
        )
        return message_id, self.sign(from_email, assemble(msg, eight_bit=eight_bit))


def shows_compliance(rendered: str, ctx: dict, *, html: bool) -> bool:
    """Does a rendered part show the recipient's unsubscribe URL, preferences URL and every
    line of the postal address? Substring checks only: this runs for every message."""
    wanted = [ctx["unsubscribe_url"], ctx["preferences_url"]]
    wanted += [line.strip() for line in ctx["organisation"].get("address", "").splitlines()]
    for item in wanted:
        if item and item not in rendered and not (html and str(escape(item)) in rendered):
            return False
    return True


def add_footer(
    html: str,
    text: str,
    ctx: dict,
    missing,
    language: str,
    *,
    to_html: bool = True,
    to_text: bool = True,
    branded: bool = False,
) -> tuple[str, str]:
    """Append the compliance footer in the contact's language (to the parts asked for;
    `missing` is unused and kept for callers). `branded` (the template's brand_footer): in
    the brand kit's colours and font, with its footer text and logo; else plain."""
    with translation.override(language or "en"):
        unsubscribe = _("Unsubscribe")
        preferences = _("Email preferences")
        why = _("You receive this email because you subscribed to it.")
    org = ctx["organisation"]
    address = org.get("address", "")
    brand = (ctx.get("brand") or {}) if branded else {}
    esc = html_lib.escape
    own = brand.get("footer_text", "")
    if brand:
        link = f'style="color:{esc(brand["link_color"])}"'
        logo = (
            f'<p><img src="{esc(brand["logo_url"])}" alt="{esc(brand.get("logo_alt", ""))}"'
            ' height="32" style="height:32px;width:auto;border:0"></p>'
            if brand.get("logo_url")
            else ""
        )
        html_footer = (
            f'<div style="margin:24px auto 0;max-width:600px;padding:16px;font-size:12px;'
            f"text-align:center;color:{esc(brand['text_color'])};"
            f'font-family:{esc(brand["font_family"])}">{logo}'
            + (f"<p>{esc(own).replace(chr(10), '<br>')}</p>" if own else "")
        )
    else:
        link = ""
        html_footer = (
            '<div style="margin-top:24px;font-size:12px;color:#555;font-family:sans-serif">'
        )
    html_footer += (
        f"<p>{esc(why)}</p><p>"
        f'<a href="{esc(ctx["unsubscribe_url"])}" {link}>{esc(unsubscribe)}</a> · '
        f'<a href="{esc(ctx["preferences_url"])}" {link}>{esc(preferences)}</a></p>'
        f"<p>{esc(org.get('name', ''))}<br>{esc(address).replace(chr(10), '<br>')}</p></div>"
    )
    # Short lines: a line over 998 bytes would make the whole part quoted-printable.
    html_footer = "\n" + html_footer.replace("</p>", "</p>\n").replace('">', '">\n', 1)
    text_footer = (
        f"\n--\n{own + chr(10) if own else ''}{why}\n{unsubscribe}: {ctx['unsubscribe_url']}\n"
        f"{preferences}: {ctx['preferences_url']}\n{org.get('name', '')}\n{address}\n"
    )
    if to_html:
        at = html.lower().rfind("</body>")
        html = html[:at] + html_footer + html[at:] if at != -1 else html + html_footer
    return html, text + text_footer if to_text else text
