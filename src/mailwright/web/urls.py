from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LogoutView
from django.urls import path
from django.views.generic import RedirectView

from mailwright.web import audit_views, delivery_views, feedback_views, views

app_name = "web"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", LogoutView.as_view(), name="logout"),
    path("account/password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("contacts/", views.contact_list, name="contact_list"),
    path("contacts/new/", views.contact_new, name="contact_new"),
    path("contacts/<int:contact_id>/", views.contact_detail, name="contact_detail"),
    path("contacts/<int:contact_id>/edit/", views.contact_edit, name="contact_edit"),
    path(
        "contacts/<int:contact_id>/consent.json",
        views.contact_consent_proof,
        name="contact_consent_proof",
    ),
    path("contacts/<int:contact_id>/export/", views.contact_export, name="contact_export"),
    path("contacts/<int:contact_id>/erase/", views.contact_erase, name="contact_erase"),
    path(
        "contacts/<int:contact_id>/unsubscribe/",
        audit_views.contact_unsubscribe,
        name="contact_unsubscribe",
    ),
    path("topics/", views.topic_list, name="topic_list"),
    path("topics/<int:topic_id>/edit/", views.topic_edit, name="topic_edit"),
    path("templates/", views.template_list, name="template_list"),
    path("templates/new/", views.template_new, name="template_new"),
    path("templates/<int:template_id>/edit/", views.template_edit, name="template_edit"),
    path("templates/<int:template_id>/preview/", views.template_preview, name="template_preview"),
    path("campaigns/", views.campaign_list, name="campaign_list"),
    path("campaigns/new/", views.campaign_new, name="campaign_new"),
    path("campaigns/<int:campaign_id>/", views.campaign_detail, name="campaign_detail"),
    path("campaigns/<int:campaign_id>/counts/", views.campaign_counts, name="campaign_counts"),
    path("campaigns/<int:campaign_id>/send/", views.campaign_send, name="campaign_send"),
    path(
        "campaigns/<int:campaign_id>/report/",
        feedback_views.campaign_report,
        name="campaign_report",
    ),
    path(
        "campaigns/<int:campaign_id>/report.csv",
        feedback_views.campaign_report_csv,
        name="campaign_report_csv",
    ),
    *(
        path(
            f"campaigns/<int:campaign_id>/{action}/",
            views.campaign_action,
            {"action": action},
            name=f"campaign_{action}",
        )
        for action in views.ACTIONS
    ),
    path("privacy/", views.privacy_page, name="privacy"),
    path("settings/organisation/", views.organisation_settings, name="organisation_settings"),
    path("settings/audit-log/", audit_views.audit_log, name="audit_log"),
    path("outbox/", views.captured_list, name="captured_list"),
    path("outbox/clear/", views.captured_clear, name="captured_clear"),
    path("outbox/<int:message_id>/", views.captured_detail, name="captured_detail"),
    path("outbox/<int:message_id>/html/", views.captured_html, name="captured_html"),
    path("outbox/<int:message_id>/raw/", views.captured_raw, name="captured_raw"),
    path("delivery/", delivery_views.delivery_home, name="delivery"),
    path("delivery/relays/", delivery_views.relay_list, name="relay_list"),
    path("delivery/relays/<int:relay_id>/edit/", delivery_views.relay_edit, name="relay_edit"),
    path(
        "delivery/relays/<int:relay_id>/enable/",
        delivery_views.relay_toggle,
        {"enable": True},
        name="relay_enable",
    ),
    path(
        "delivery/relays/<int:relay_id>/disable/",
        delivery_views.relay_toggle,
        {"enable": False},
        name="relay_disable",
    ),
    path(
        "delivery/relays/<int:relay_id>/delete/", delivery_views.relay_delete, name="relay_delete"
    ),
    path("delivery/domains/", delivery_views.domain_list, name="domain_list"),
    path("delivery/domains/<int:policy_id>/edit/", delivery_views.domain_edit, name="domain_edit"),
    path(
        "delivery/domains/<int:policy_id>/delete/",
        delivery_views.domain_delete,
        name="domain_delete",
    ),
    path(
        "delivery/domains/<int:policy_id>/warm-up/",
        delivery_views.domain_warmup,
        name="domain_warmup",
    ),
    path("delivery/dkim/", delivery_views.dkim_list, name="dkim_list"),
    path("delivery/dkim/rotate/", delivery_views.dkim_rotate, name="dkim_rotate"),
    path("delivery/dkim/check/", delivery_views.dns_check_page, name="dns_check"),
    path("delivery/reputation/", delivery_views.reputation_page, name="reputation"),
    path("delivery/analytics/", feedback_views.stream_analytics, name="stream_analytics"),
    path(
        "feedback/",
        login_required(RedirectView.as_view(pattern_name="web:suppression_list")),
        name="feedback",
    ),
    path("suppressions/", feedback_views.suppression_list, name="suppression_list"),
    path("suppressions/import/", feedback_views.suppression_import, name="suppression_import"),
    path("suppressions/export.csv", feedback_views.suppression_export, name="suppression_export"),
    path("inbound/", feedback_views.inbound_list, name="inbound_list"),
    path("inbound/<int:message_id>/", feedback_views.inbound_detail, name="inbound_detail"),
    path("webhooks/", feedback_views.webhook_list, name="webhook_list"),
    path("webhooks/<int:endpoint_id>/", feedback_views.webhook_detail, name="webhook_detail"),
    path(
        "webhooks/<int:endpoint_id>/enable/",
        feedback_views.webhook_toggle,
        {"enable": True},
        name="webhook_enable",
    ),
    path(
        "webhooks/<int:endpoint_id>/disable/",
        feedback_views.webhook_toggle,
        {"enable": False},
        name="webhook_disable",
    ),
    path(
        "webhooks/<int:endpoint_id>/delete/", feedback_views.webhook_delete, name="webhook_delete"
    ),
]
