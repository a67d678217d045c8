"""The audience part of a campaign's page (how many it reaches and how many were left out
for each reason, live for a draft, frozen once sending started) and Campaigns → Exclusion
groups (the groups, their campaigns, people reached by post or phone, CSV upload)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from mailwright.campaigns.exclusions import (
    CHANNELS,
    MAX_CSV_BYTES,
    MAX_ROWS,
    ExclusionError,
    check_group,
    do_add_exclusion_entries,
    groups,
    read_csv,
)
from mailwright.campaigns.models import Campaign, ExclusionEntry
from mailwright.consent import organisation
from mailwright.contacts.segments import SegmentError
from mailwright.delivery.audience import summary
from mailwright.web.shell.forms import NoLabelSuffix
from mailwright.web.shell.helpers import paginate, staff_actor

# Each reason as the page explains it, in the order they are counted (policy.REASONS).
REASON_LABELS = {
    "inactive": ("Not active", "unsubscribed from everything, bounced or complained"),
    "suppressed": ("Suppressed", "on the suppression list (hard bounce, complaint, erasure)"),
    "no_consent": ("No confirmed consent", "not confirmed on any of the campaign's topics"),
    "paused": ("Paused", "asked for a break from email"),
    "frequency_cap": ("Frequency cap", "already got as many emails as they (or you) allow"),
    "exclusion_group": ("Exclusion group", "already reached by another campaign or channel"),
}


def exclusions_context(campaign: Campaign) -> dict:
    """For web/campaigns/_exclusions.html: the summary and each reason's label."""
    try:
        data = summary(campaign)
    except SegmentError:
        return {"audience_summary": None}
    org = organisation.current()
    rows = [
        {"reason": r, "label": label, "why": why, "n": data["excluded"].get(r, 0)}
        for r, (label, why) in REASON_LABELS.items()
    ]
    return {
        "audience_summary": {
            **data,
            "rows": rows,
            "left_out": sum(row["n"] for row in rows),
            "cap": org.frequency_cap,
            "cap_days": org.frequency_days,
        }
    }


class EntriesUploadForm(NoLabelSuffix, forms.Form):
    group = forms.CharField(
        label="Exclusion group",
        max_length=64,
        help_text="The name campaigns use as their exclusion group, e.g. “spring-sale”.",
    )
    file = forms.FileField(
        label="CSV file",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt"}),
        help_text=f"Columns email,reached_at,channel (channel: {', '.join(CHANNELS)}); at most "
        f"{MAX_ROWS:,} rows and {MAX_CSV_BYTES // (1024 * 1024)} MB.",
    )


@login_required
@require_http_methods(["GET", "POST"])
def exclusion_groups(request):
    form = EntriesUploadForm(request.POST or None, request.FILES or None)
    problems: list[dict] = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            if upload.size > MAX_CSV_BYTES:
                raise ExclusionError(f"the file is larger than {MAX_CSV_BYTES // (1024 * 1024)} MB")
            group = check_group(form.cleaned_data["group"])
            rows = read_csv(upload.read(MAX_CSV_BYTES + 1))
            added = do_add_exclusion_entries(group, rows, staff_actor(request))
        except ExclusionError as exc:
            text = f"{len(exc.problems)} row(s) are not valid; nothing was added (see below)."
            form.add_error("file", text if exc.problems else str(exc))
            problems = [{**p, "line": p["index"] + 2} for p in exc.problems[:50]]
        else:
            messages.success(request, f"Added {added} people to the group “{group}”.")
            return redirect("web:exclusion_group_entries", group)
    context = {"groups": groups(), "form": form, "problems": problems}
    return render(request, "web/campaigns/exclusion_groups.html", context)


@login_required
@require_GET
def exclusion_group_entries(request, group: str):
    entries = ExclusionEntry.objects.filter(group=group)
    info = next((g for g in groups() if g["group"] == group), None)
    context = {"group": group, "info": info, "page": paginate(request, entries)}
    return render(request, "web/campaigns/exclusion_group_entries.html", context)
