"""Preview a campaign or a template as a contact (SPEC §4.4) — found by email, or a member of
a segment stepped through first / next / random — at desktop (600 px) or mobile (375 px)
width, light, dark (the frame gets `color-scheme: dark`, so the email's own
`prefers-color-scheme: dark` rules apply) or forced dark (a simulation of the colour inversion
some apps, e.g. Gmail's, apply to emails without dark rules). Links are inert. And the
campaign page's "Send test" form (delivery.preview.send_test)."""

from __future__ import annotations

import random
import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from mailwright.campaigns.models import Campaign, Template
from mailwright.campaigns.rendering import TemplateError
from mailwright.contacts.models import Segment
from mailwright.contacts.segments import SegmentError
from mailwright.delivery import preview

WIDTHS = {"desktop": 600, "mobile": 375}
MODES = {
    "light": "Light",
    "dark": "Dark (the email's own dark-mode styles)",
    "forced": "Forced dark (simulated colour inversion, like the Gmail app)",
}
DARK_META = '<meta name="color-scheme" content="light dark">'
FORCED_STYLE = (
    "<style>html{filter:invert(1) hue-rotate(180deg);background:#fff}"
    "img,video,picture{filter:invert(1) hue-rotate(180deg)}</style>"
)


_SCHEME_DARK = re.compile(r"\(\s*prefers-color-scheme\s*:\s*dark\s*\)", re.I)
_SCHEME_LIGHT = re.compile(r"\(\s*prefers-color-scheme\s*:\s*light\s*\)", re.I)


def _int(value, default=None):
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _frame_html(html: str, mode: str) -> str:
    """The document the iframe shows. Dark: the frame is given color-scheme: dark, and the
    email's `prefers-color-scheme` media queries are made to match as in a dark client (a
    sandboxed frame's media queries follow the browser's own scheme in Chromium, not the
    frame's, so they are rewritten here); forced dark inverts the colours."""
    head = DARK_META if mode in ("dark", "forced") else ""
    if mode == "dark":
        head += "<style>:root{color-scheme:dark}</style>"  # the client's dark canvas
        html = _SCHEME_DARK.sub("(min-width: 0px)", html)
        html = _SCHEME_LIGHT.sub("(max-width: 0px)", html)
    if mode == "forced":
        head += FORCED_STYLE
    at = html.lower().find("<head>")
    if at != -1:
        return html[: at + 6] + head + html[at + 6 :]
    return head + html


def _preview_page(request, template: Template, campaign: Campaign | None):
    q = request.GET
    width = q.get("width") if q.get("width") in WIDTHS else "desktop"
    mode = q.get("mode") if q.get("mode") in MODES else "light"
    segment_id = _int(q.get("segment"))
    index = max(_int(q.get("index"), 0), 0)
    email = q.get("email", "").strip()[:320]
    context = {
        "template": template,
        "campaign": campaign,
        "segments": Segment.objects.order_by("name"),
        "width": width,
        "width_px": WIDTHS[width],
        "mode": mode,
        "modes": MODES,
        "widths": WIDTHS,
        "email": email,
        "segment_id": segment_id,
    }
    try:
        if q.get("step") == "random" and segment_id:
            total = preview.pick(segment=segment_id).total or 1
            index = random.randrange(total)
        elif q.get("step") == "next":
            index += 1
        elif q.get("step") == "first":
            index = 0
        picked = preview.pick(
            email=email or None, segment=segment_id if not email else None, index=index
        )
        out = preview.render(template, picked, campaign)
    except (preview.PreviewError, SegmentError) as exc:
        context["error"] = str(exc)
    except TemplateError as exc:
        context["error"] = f"The template fails for this contact: {exc}"
    else:
        context.update(out, picked=out["contact"], frame=_frame_html(out["html"], mode))
    return render(request, "web/campaigns/preview.html", context)


@login_required
@require_GET
def campaign_preview(request, campaign_id: int):
    campaign = get_object_or_404(Campaign.objects.select_related("template"), pk=campaign_id)
    return _preview_page(request, campaign.template, campaign)


@login_required
@require_GET
def template_preview_as(request, template_id: int):
    template = get_object_or_404(Template, pk=template_id, kind=Template.Kind.MARKETING)
    return _preview_page(request, template, None)


@login_required
@require_POST
def campaign_test_send(request, campaign_id: int):
    campaign = get_object_or_404(Campaign.objects.select_related("template"), pk=campaign_id)
    raw = request.POST.get("emails", "")
    emails = raw if raw.strip() else None
    contact = None
    email = request.POST.get("contact_email", "").strip()
    try:
        if email:
            contact = preview.pick(email=email).contact.id
        rows = preview.send_test(campaign, emails=emails, contact=contact)
    except (preview.PreviewError, TemplateError) as exc:
        messages.error(request, f"Test not sent: {exc}")
    else:
        to = ", ".join(d.email for d in rows)
        messages.success(request, f"Test message queued to {to}.")
    return redirect("web:campaign_detail", campaign.pk)
