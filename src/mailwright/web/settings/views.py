"""Staff pages of the Settings area: the organisation (through consent.organisation.do_update),
the declared contact attributes (contacts.attribute_store) and the audit log
(audit.log.search)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from mailwright.audit import log as audit
from mailwright.audit.models import AuditEntry
from mailwright.consent import organisation
from mailwright.contacts import attribute_store
from mailwright.contacts.models import AttributeDefinition, Contact
from mailwright.web.settings.forms import (
    ATTRIBUTE_TYPES,
    AttributeEditForm,
    AttributeForm,
    OrganisationForm,
)
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
        "test_addresses": org.test_addresses,
        "frequency_cap": org.frequency_cap,
        "frequency_days": org.frequency_days,
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


@login_required
@require_http_methods(["GET", "POST"])
def attribute_list(request):
    """The declared contact attributes, and a form to declare one."""
    form = AttributeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            attribute_store.do_define_attribute(
                data["key"].strip(), data["type"], data["label"], by=staff_actor(request)
            )
        except attribute_store.AttributeDefinitionError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        else:
            messages.success(request, f"Attribute “{data['key'].strip()}” added.")
            return redirect("web:attribute_list")
    attributes = list(AttributeDefinition.objects.order_by("key"))
    for a in attributes:
        a.type_label = dict(ATTRIBUTE_TYPES)[a.type]
    context = {"form": form, "attributes": attributes, "nav_section": "settings"}
    return render(
        request, "web/settings/attributes.html", context, status=400 if form.errors else 200
    )


@login_required
@require_http_methods(["GET", "POST"])
def attribute_edit(request, key: str):
    definition = get_object_or_404(AttributeDefinition, key=key)
    initial = {"label": definition.label, "type": definition.type}
    form = AttributeEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            attribute_store.do_update_attribute(
                key,
                label=form.cleaned_data["label"],
                type=form.cleaned_data["type"],
                by=staff_actor(request),
            )
        except attribute_store.AttributeDefinitionError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        else:
            messages.success(request, f"Attribute “{key}” saved.")
            return redirect("web:attribute_list")
    context = {"form": form, "definition": definition, "nav_section": "settings"}
    status = 400 if form.errors else 200
    return render(request, "web/settings/attribute_edit.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def attribute_delete(request, key: str):
    """GET: what deleting removes (and from how many contacts). POST: delete."""
    definition = get_object_or_404(AttributeDefinition, key=key)
    if request.method == "POST":
        removed = attribute_store.do_delete_attribute(key, by=staff_actor(request))
        messages.success(
            request,
            f"Attribute “{key}” deleted; its value was removed from {removed:,}"
            f" contact{'s' if removed != 1 else ''}.",
        )
        return redirect("web:attribute_list")
    holders = Contact.objects.filter(attributes__has_key=key).count()
    context = {"definition": definition, "holders": holders, "nav_section": "settings"}
    return render(request, "web/settings/attribute_delete.html", context)
