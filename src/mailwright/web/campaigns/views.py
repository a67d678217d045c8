"""Staff pages of the Campaigns area: thin views over campaigns.campaigns and delivery.sending,
and the campaign report (mailwright.feedback.reports, drawn with web.shell.analytics)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from mailwright.campaigns.actions import CampaignStateError
from mailwright.campaigns.campaigns import create_campaign, update_campaign
from mailwright.campaigns.lint import LintFailed
from mailwright.campaigns.models import Campaign
from mailwright.campaigns.rendering import TemplateError
from mailwright.consent import directory
from mailwright.contacts import hygiene
from mailwright.contacts.segments import SegmentError
from mailwright.delivery import schedule, sending
from mailwright.feedback import reports
from mailwright.web.campaigns import schedule_forms, schedule_views
from mailwright.web.campaigns.audience_views import exclusions_context
from mailwright.web.campaigns.forms import CampaignForm
from mailwright.web.shell import analytics
from mailwright.web.shell.helpers import (
    csv_download,
    missing_postal_address,
    paginate,
    staff_actor,
)


@login_required
@require_GET
def campaign_list(request):
    campaigns = Campaign.objects.select_related("template")
    return render(request, "web/campaigns/list.html", {"page": paginate(request, campaigns)})


@login_required
@require_http_methods(["GET", "POST"])
def campaign_new(request):
    form = CampaignForm(request.POST or None)
    sform = schedule_forms.ScheduleForm(request.POST or None)
    if request.method == "POST" and form.is_valid() & sform.is_valid():
        try:
            campaign = create_campaign(**_fields(form.cleaned_data), **sform.values())
        except directory.ContactError as exc:
            schedule_forms.add_error(form, sform, exc.field, str(exc))
        else:
            messages.success(request, f"Campaign “{campaign.name}” created as a draft.")
            return redirect("web:campaign_detail", campaign.pk)
    return render(request, "web/campaigns/new.html", {"form": form, "schedule_form": sform})


@login_required
@require_http_methods(["GET", "POST"])
def campaign_edit(request, campaign_id: int):
    """Change a draft or a scheduled campaign (what PATCH /api/v1/campaigns/{id} does)."""
    campaign = get_object_or_404(Campaign, pk=campaign_id)
    if campaign.state not in (Campaign.State.DRAFT, Campaign.State.SCHEDULED):
        messages.error(
            request,
            f"The campaign is {campaign.state}; only a draft or a scheduled campaign can be"
            " edited. Duplicate it to make a new draft.",
        )
        return redirect("web:campaign_detail", campaign.pk)
    initial = {
        "name": campaign.name,
        "template": campaign.template_id,
        "topics": list(campaign.topics.all()),
        "saved_segment": campaign.saved_segment_id,
        "from_email": campaign.from_email,
        "from_name": campaign.from_name,
        "reply_to": campaign.reply_to,
        "track_opens": campaign.track_opens,
        "track_clicks": campaign.track_clicks,
    }
    form = CampaignForm(request.POST or None, initial=initial)
    sform = schedule_forms.ScheduleForm(
        request.POST or None, initial=schedule_forms.initial(campaign)
    )
    if request.method == "POST" and form.is_valid() & sform.is_valid():
        changes = sform.values()
        same = campaign.send_at and campaign.send_at.replace(second=0, microsecond=0)
        if changes["send_at"] == same:
            del changes["send_at"]  # unchanged (it may have passed): not checked again
        try:
            with transaction.atomic():
                update_campaign(
                    campaign, by=staff_actor(request), **_fields(form.cleaned_data), **changes
                )
        except (directory.ContactError, CampaignStateError) as exc:
            schedule_forms.add_error(form, sform, getattr(exc, "field", None), str(exc))
        else:
            messages.success(request, f"Campaign “{form.cleaned_data['name']}” saved.")
            return redirect("web:campaign_detail", campaign.pk)
    context = {"form": form, "schedule_form": sform, "campaign": campaign}
    return render(request, "web/campaigns/new.html", context)


def _fields(data: dict) -> dict:
    """The form's fields as create_campaign and update_campaign take them."""
    return {
        "name": data["name"],
        "template_id": data["template"].pk,
        "topic_keys": [t.key for t in data["topics"]],
        "segment_id": data["saved_segment"].pk if data["saved_segment"] else None,
        "from_email": data["from_email"],
        "from_name": data["from_name"],
        "reply_to": data["reply_to"],
        "track_opens": data["track_opens"],
        "track_clicks": data["track_clicks"],
    }


def _status_context(campaign: Campaign) -> dict:
    counts = sending.delivery_counts(campaign.pk)
    total = campaign.recipients_total or sum(counts.values())
    done = sum(counts[s] for s in ("sent", "bounced", "failed", "suppressed"))
    return {
        "campaign": campaign,
        "counts": counts,
        "done": done,
        "total": total,
        "percent": round(100 * done / total) if total else 0,
        "polling": campaign.state == Campaign.State.SENDING,
        "deliveries": campaign.deliveries.order_by("-updated_at", "-id")[:20],
    }


@login_required
@require_GET
def campaign_detail(request, campaign_id: int):
    campaign = get_object_or_404(Campaign.objects.select_related("template"), pk=campaign_id)
    context = _status_context(campaign)
    context["topics"] = campaign.topics.all()
    context["missing_postal_address"] = missing_postal_address()
    context.update(_audience_context(campaign))
    context.update(exclusions_context(campaign))
    context.update(schedule_views.detail_context(campaign))
    return render(request, "web/campaigns/detail.html", context)


def _audience_context(campaign: Campaign) -> dict:
    """The stored segment's name and, for a draft, how many would receive it now."""
    out = {"saved_segment": campaign.saved_segment, "audience_now": None, "audience_error": ""}
    if campaign.state == Campaign.State.DRAFT:
        try:
            out["audience_now"] = sending.audience(campaign).count()
            out["hygiene"] = hygiene.summarize_contacts(sending.audience(campaign))
        except SegmentError as exc:
            out["audience_error"] = str(exc)
    return out


@login_required
@require_GET
def campaign_counts(request, campaign_id: int):
    campaign = get_object_or_404(Campaign, pk=campaign_id)
    return render(request, "web/campaigns/_status.html", _status_context(campaign))


@login_required
@require_http_methods(["GET", "POST"])
def campaign_send(request, campaign_id: int):
    """GET: the confirm step, with the audience size. POST: freeze the audience and start."""
    campaign = get_object_or_404(Campaign.objects.select_related("template"), pk=campaign_id)
    if request.method == "POST":
        later = campaign.send_at and campaign.send_at > timezone.now()
        done = "Scheduled." if later else "Sending started."
        try:
            return _campaign_action(request, campaign, schedule.send, done)
        except LintFailed as exc:  # shown on this page, each error with its fix
            found = {"errors": exc.errors, "warnings": exc.warnings}
            return _send_page(request, campaign, found, status=422)
    if campaign.state != Campaign.State.DRAFT:
        messages.error(request, f"The campaign is {campaign.state}; only a draft can be sent.")
        return redirect("web:campaign_detail", campaign.pk)
    try:
        audience = sending.audience(campaign).count()
    except SegmentError as exc:
        messages.error(request, f"The campaign's segment is not valid: {exc}")
        return redirect("web:campaign_detail", campaign.pk)
    found = sending.lint_campaign(campaign).as_dict()
    return _send_page(request, campaign, found, audience=audience)


def _send_page(request, campaign: Campaign, found: dict, *, audience=None, status=200):
    if audience is None:
        try:
            audience = sending.audience(campaign).count()
        except SegmentError:
            audience = 0
    context = {
        "campaign": campaign,
        "audience": audience,
        "missing_postal_address": missing_postal_address(),
        "lint": found,
        "linted": True,
        "later": bool(campaign.send_at and campaign.send_at > timezone.now()),
    }
    return render(request, "web/campaigns/send.html", context, status=status)


def _campaign_action(request, campaign: Campaign, action, done: str):
    try:
        action(campaign.pk, by=staff_actor(request))
    except (sending.CampaignStateError, TemplateError, SegmentError) as exc:
        messages.error(request, f"Could not do that: {exc}")
    else:
        messages.success(request, done)
    return redirect("web:campaign_detail", campaign.pk)


ACTIONS = {
    "pause": (sending.pause, "Sending paused."),
    "resume": (sending.resume, "Sending resumed."),
    "cancel": (sending.cancel, "Campaign cancelled; unsent messages will not go out."),
}


@login_required
@require_POST
def campaign_action(request, campaign_id: int, action: str):
    campaign = get_object_or_404(Campaign, pk=campaign_id)
    func, done = ACTIONS[action]
    return _campaign_action(request, campaign, func, done)


# --- report -------------------------------------------------------------------------------------


@login_required
@require_GET
def campaign_report(request, campaign_id: int):
    campaign = get_object_or_404(Campaign, pk=campaign_id)
    report = reports.campaign_report(campaign)
    context = {
        "campaign": campaign,
        "report": report,
        "chart": analytics.chart(report.timeline) if report.timeline else None,
    }
    return render(request, "web/campaigns/report.html", context)


def report_csv_rows(report: reports.CampaignReport) -> list[list]:
    rows: list[list] = [["Summary"], ["metric", "count", "rate"]]
    rows += [[label, n, rate.text if rate else ""] for _, label, n, rate in report.summary]
    rows += [
        [],
        ["Links"],
        ["index", "url", "human unique", "human total", "machine unique", "machine total"],
    ]
    rows += [
        [
            "" if r.index is None else r.index,
            r.url,
            r.human_unique,
            r.human_total,
            r.machine_unique,
            r.machine_total,
        ]
        for r in report.links
    ]
    rows += [
        [],
        ["Domains"],
        [
            "domain",
            "attempted",
            "sent",
            "bounced",
            "bounced %",
            "opens %",
            "clicks %",
            "complaints %",
        ],
    ]
    rows += [
        [
            d.domain,
            d.counts.attempted,
            d.counts.accepted,
            d.counts.bounced,
            d.rates["bounce_rate"].text,
            d.rates["open_rate"].text,
            d.rates["click_rate"].text,
            d.rates["complaint_rate"].text,
        ]
        for d in report.domains
    ]
    rows += [
        [],
        ["Timeline"],
        ["hour (UTC)", "human opens", "automated opens", "human clicks", "automated clicks"],
    ]
    rows += [
        [
            h.at.strftime("%Y-%m-%d %H:00"),
            h.opens_human,
            h.opens_machine,
            h.clicks_human,
            h.clicks_machine,
        ]
        for h in report.timeline
    ]
    return rows


@login_required
@require_GET
def campaign_report_csv(request, campaign_id: int):
    campaign = get_object_or_404(Campaign, pk=campaign_id)
    report = reports.campaign_report(campaign)
    return csv_download(report_csv_rows(report), f"campaign-{campaign.pk}-report.csv")
