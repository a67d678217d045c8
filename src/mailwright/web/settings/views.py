"""Staff pages of the Settings area: the organisation (through consent.organisation.do_update)
and the audit log (audit.log.search)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from mailwright.audit import log as audit
from mailwright.audit.models import AuditEntry
from mailwright.consent import organisation
from mailwright.web.settings.forms import OrganisationForm
from mailwright.web.shell.helpers import paginate, staff_actor


@login_required
@require_http_methods(["GET", "POST"])
def organisation_settings(request):
    """The sending organisation: its name, postal address and default sender."""
    org = organisation.current()
    initial = {
        "name": org.name,
        "postal_address": org.postal_address,
        "from_email": org.from_email,
        "from_name": org.from_name,
    }
    form = OrganisationForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        organisation.do_update(form.cleaned_data, by=staff_actor(request))
        messages.success(request, "Organisation settings saved.")
        return redirect("web:organisation_settings")
    context = {"form": form, "org": org, "missing_postal_address": not org.postal_address.strip()}
    return render(request, "web/settings/organisation.html", context)


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
            "page": paginate(request, rows),
            "filters": filters,
            "object_types": list(object_types),
            "nav_section": "settings",
        },
    )
