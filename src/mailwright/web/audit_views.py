"""Settings → Audit log, and the contact actions the UI adds to the audit trail."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from mailwright.audit import log as audit
from mailwright.audit.actors import Actor
from mailwright.audit.models import AuditEntry
from mailwright.consent import actions as consent_actions
from mailwright.contacts.models import Contact

PAGE_SIZE = 50


@login_required
@require_GET
def audit_log(request):
    filters = {
        "actor": request.GET.get("actor", "").strip()[:200],
        "object_type": request.GET.get("object_type", "").strip()[:32],
        "object_id": request.GET.get("object_id", "").strip()[:64],
        "action": request.GET.get("action", "").strip()[:64],
    }
    rows = audit.search(**filters)
    object_types = (
        AuditEntry.objects.order_by("object_type").values_list("object_type", flat=True).distinct()
    )
    return render(
        request,
        "web/settings/audit.html",
        {
            "page": Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page")),
            "filters": filters,
            "object_types": list(object_types),
            "nav_section": "settings",
        },
    )


@login_required
@require_POST
def contact_unsubscribe(request, contact_id: int):
    """Unsubscribe a person from everything, as an operator (e.g. asked by phone)."""
    contact = get_object_or_404(Contact, pk=contact_id)
    if contact.status == Contact.Status.ERASED:
        messages.error(request, "This person was erased.")
        return redirect("web:contact_detail", contact.pk)
    changed = consent_actions.do_unsubscribe(contact, by=Actor.from_user(request, channel="admin"))
    messages.success(
        request,
        f"Unsubscribed from {len(changed)} topic{'s' if len(changed) != 1 else ''}."
        if changed
        else "Recorded: this person had no active subscription.",
    )
    return redirect("web:contact_detail", contact.pk)
