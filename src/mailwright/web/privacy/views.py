"""The Privacy page: a thin view over consent.ledger and consent.privacy."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from mailwright.consent import ledger, privacy
from mailwright.consent.models import PrivacyAudit
from mailwright.web.privacy.forms import FindPersonForm

AUDIT_ROWS = 50


@login_required
@require_http_methods(["GET", "POST"])
def privacy_page(request):
    """Ledger health, the latest data-subject requests, and finding a person by address.
    The lookup is a POST so addresses do not end up in URLs and access logs."""
    form = FindPersonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            contact = privacy.find_contact(form.cleaned_data["email"])
        except privacy.PrivacyError as exc:
            messages.error(request, f"Not found: {exc}")
        else:
            return redirect("web:contact_detail", contact.pk)
    context = {
        "form": form,
        "report": ledger.verify(),
        "audits": PrivacyAudit.objects.order_by("-id")[:AUDIT_ROWS],
    }
    return render(request, "web/privacy.html", context)
