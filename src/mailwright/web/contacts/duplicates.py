"""Contacts → Duplicates: near-duplicate groups for review. Merge (choose the contact to keep
and which to merge into it) or dismiss; both through the consent layer's functions."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from mailwright.consent import dedupe
from mailwright.consent.merging import MergeError
from mailwright.contacts import actions as contact_actions
from mailwright.contacts import near_duplicates
from mailwright.web.shell.helpers import staff_actor

GROUPS_PER_PAGE = 20


@login_required
@require_GET
def duplicate_list(request):
    keys = near_duplicates.duplicate_keys()
    page = Paginator(keys, GROUPS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "groups": near_duplicates.groups(page.object_list),
        "contacts_tab": "duplicates",
    }
    return render(request, "web/contacts/duplicates.html", context)


def _ids(values: list[str]) -> list[int]:
    return [int(v) for v in values if v.isdigit() and len(v) < 19]


@login_required
@require_POST
def duplicate_resolve(request):
    key = request.POST.get("key", "")[:320]
    by = staff_actor(request)
    if request.POST.get("action") == "dismiss":
        contact_actions.do_dismiss_duplicates(key, by=by)
        messages.success(request, "Marked as different people: this group is not shown again.")
        return redirect("web:contact_duplicates")
    keep = _ids([request.POST.get("keep", "")])
    merge = _ids(request.POST.getlist("merge"))
    if not keep:
        messages.error(request, "Choose the contact to keep.")
        return redirect("web:contact_duplicates")
    merge = [i for i in merge if i != keep[0]]
    if not merge:
        messages.error(request, "Tick at least one other contact to merge into the one kept.")
        return redirect("web:contact_duplicates")
    try:
        survivor = dedupe.merge_group(key, by=by, survivor_id=keep[0], merge_ids=merge)
    except MergeError as exc:
        messages.error(request, f"Not merged: {exc}.")
        return redirect("web:contact_duplicates")
    n = len(merge)
    messages.success(
        request,
        f"Merged {n} contact{'s' if n != 1 else ''} into {survivor.email}; both histories are"
        " kept and any unsubscribe still applies.",
    )
    return redirect("web:contact_duplicates")
