"""Sign-in, the account's password and the dashboard."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.shortcuts import render
from django.urls import reverse_lazy
from django.utils import timezone

from mailwright.campaigns.models import Campaign
from mailwright.contacts.models import Contact, Topic
from mailwright.delivery.models import CapturedMessage, Delivery
from mailwright.feedback import reputation
from mailwright.web.shell.alerts import alerts
from mailwright.web.shell.forms import AccountPasswordForm, RateLimitedAuthenticationForm
from mailwright.web.shell.helpers import missing_postal_address
from mailwright.web.shell.service_stats import service_volume

# --- account ------------------------------------------------------------------------------------


class LoginView(auth_views.LoginView):
    template_name = "web/login.html"
    authentication_form = RateLimitedAuthenticationForm
    redirect_authenticated_user = True


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "web/password_change.html"
    form_class = AccountPasswordForm
    success_url = reverse_lazy("web:password_change")

    def form_valid(self, form):
        messages.success(self.request, "Your password is changed.")
        return super().form_valid(form)


# --- dashboard ----------------------------------------------------------------------------------


def _counts(queryset, field: str, choices) -> list[tuple[str, int]]:
    found = dict(queryset.values_list(field).annotate(n=Count("id")).order_by())
    return [(value, found.get(value, 0)) for value in choices]


@login_required
def dashboard(request):
    context = {
        "contacts_total": Contact.objects.count(),
        "contacts_by_status": _counts(Contact.objects, "status", Contact.Status.values),
        "topics_total": Topic.objects.count(),
        "campaigns_by_state": _counts(Campaign.objects, "state", Campaign.State.values),
        "deliveries_by_state": _counts(Delivery.objects, "state", Delivery.State.values),
        "captured_total": CapturedMessage.objects.count(),
        "latest_campaigns": Campaign.objects.select_related("template")[:10],
        "missing_postal_address": missing_postal_address(),
        "alerts": alerts(reputation.all_streams(timezone.now())),
        "service": service_volume(
            timezone.now(),
            timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0),
        ),
    }
    return render(request, "web/dashboard.html", context)
