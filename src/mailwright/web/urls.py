"""The staff UI's URL map: the pages of every area (the public pages are in web.public.urls)."""

from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LogoutView
from django.urls import path
from django.views.generic import RedirectView

from mailwright.web.campaigns import audience_views
from mailwright.web.campaigns import preview_views as previews
from mailwright.web.campaigns import schedule_views as campaign_schedule
from mailwright.web.campaigns import views as campaigns
from mailwright.web.contacts import duplicates
from mailwright.web.contacts import list_views as contact_list
from mailwright.web.contacts import views as contacts
from mailwright.web.delivery import views as delivery
from mailwright.web.feedback import views as feedback
from mailwright.web.imports import views as imports
from mailwright.web.outbox import views as outbox
from mailwright.web.privacy import views as privacy
from mailwright.web.segments.urls import urlpatterns as segment_urls
from mailwright.web.service import messages as service_messages
from mailwright.web.service import templates as service_templates
from mailwright.web.settings import brand_views
from mailwright.web.settings import views as settings
from mailwright.web.shell import views as shell
from mailwright.web.surveys import views as surveys
from mailwright.web.templates_editor import blocks_views as blocks
from mailwright.web.templates_editor import lint_views as template_lint
from mailwright.web.templates_editor import views as templates
from mailwright.web.topics import translations as topic_translations
from mailwright.web.topics import views as topics

app_name = "web"
urlpatterns = [
    path("", shell.dashboard, name="dashboard"),
    path("login/", shell.LoginView.as_view(), name="login"),
    path("logout/", LogoutView.as_view(), name="logout"),
    path("account/password/", shell.PasswordChangeView.as_view(), name="password_change"),
    path("contacts/", contact_list.contact_list, name="contact_list"),
    path("contacts/new/", contacts.contact_new, name="contact_new"),
    path("contacts/duplicates/", duplicates.duplicate_list, name="contact_duplicates"),
    path(
        "contacts/duplicates/resolve/",
        duplicates.duplicate_resolve,
        name="contact_duplicates_resolve",
    ),
    path("contacts/bulk/", contact_list.contact_bulk, name="contact_bulk"),
    path("contacts/export.csv", contact_list.contact_export_csv, name="contact_export_csv"),
    *segment_urls,
    path("contacts/<int:contact_id>/", contacts.contact_detail, name="contact_detail"),
    path("contacts/<int:contact_id>/edit/", contacts.contact_edit, name="contact_edit"),
    path(
        "contacts/<int:contact_id>/consent.json",
        contacts.contact_consent_proof,
        name="contact_consent_proof",
    ),
    path("contacts/<int:contact_id>/export/", contacts.contact_export, name="contact_export"),
    path("contacts/<int:contact_id>/erase/", contacts.contact_erase, name="contact_erase"),
    path(
        "contacts/<int:contact_id>/unsubscribe/",
        contacts.contact_unsubscribe,
        name="contact_unsubscribe",
    ),
    path("contacts/imports/", imports.import_list, name="import_list"),
    path("contacts/imports/new/", imports.import_upload, name="import_upload"),
    path("contacts/imports/<int:import_id>/", imports.import_detail, name="import_detail"),
    path(
        "contacts/imports/<int:import_id>/mapping/", imports.import_mapping, name="import_mapping"
    ),
    path(
        "contacts/imports/<int:import_id>/encoding/",
        imports.import_encoding,
        name="import_encoding",
    ),
    path(
        "contacts/imports/<int:import_id>/progress.json",
        imports.import_progress,
        name="import_progress",
    ),
    path(
        "contacts/imports/<int:import_id>/confirm/", imports.import_confirm, name="import_confirm"
    ),
    path("contacts/imports/<int:import_id>/cancel/", imports.import_cancel, name="import_cancel"),
    path(
        "contacts/imports/<int:import_id>/discard/", imports.import_discard, name="import_discard"
    ),
    path("contacts/imports/<int:import_id>/resume/", imports.import_resume, name="import_resume"),
    path(
        "contacts/imports/<int:import_id>/report.csv",
        imports.import_report_csv,
        name="import_report_csv",
    ),
    path("topics/", topics.topic_list, name="topic_list"),
    path("topics/<int:topic_id>/edit/", topics.topic_edit, name="topic_edit"),
    path(
        "topics/<int:topic_id>/translations/<str:language>/",
        topic_translations.topic_translation,
        name="topic_translation",
    ),
    path("templates/", templates.template_list, name="template_list"),
    path("templates/new/", templates.template_new, name="template_new"),
    path("templates/lint", template_lint.template_lint, name="template_lint"),
    path("templates/new/blocks/", blocks.blocks_new, name="template_blocks_new"),
    path("templates/starters/", blocks.starter_list, name="template_starters"),
    path("templates/starters/<slug:key>/", blocks.starter_use, name="template_starter_use"),
    path("templates/<int:template_id>/blocks/", blocks.blocks_edit, name="template_blocks"),
    path("templates/<int:template_id>/to-mjml/", blocks.blocks_to_mjml, name="template_to_mjml"),
    path("templates/<int:template_id>/edit/", templates.template_edit, name="template_edit"),
    path(
        "templates/<int:template_id>/preview/", templates.template_preview, name="template_preview"
    ),
    path("campaigns/", campaigns.campaign_list, name="campaign_list"),
    path("campaigns/new/", campaigns.campaign_new, name="campaign_new"),
    path(
        "campaigns/exclusion-groups/",
        audience_views.exclusion_groups,
        name="exclusion_groups",
    ),
    path(
        "campaigns/exclusion-groups/<str:group>/",
        audience_views.exclusion_group_entries,
        name="exclusion_group_entries",
    ),
    path("campaigns/<int:campaign_id>/", campaigns.campaign_detail, name="campaign_detail"),
    path("campaigns/<int:campaign_id>/edit/", campaigns.campaign_edit, name="campaign_edit"),
    path("campaigns/<int:campaign_id>/counts/", campaigns.campaign_counts, name="campaign_counts"),
    path("campaigns/<int:campaign_id>/send/", campaigns.campaign_send, name="campaign_send"),
    *(
        path(
            f"campaigns/<int:campaign_id>/{name}/", view, name=f"campaign_{name.replace('-', '_')}"
        )
        for name, view in campaign_schedule.URLS
    ),
    path(
        "campaigns/<int:campaign_id>/preview/", previews.campaign_preview, name="campaign_preview"
    ),
    path(
        "campaigns/<int:campaign_id>/test/", previews.campaign_test_send, name="campaign_test_send"
    ),
    path(
        "templates/<int:template_id>/preview-as/",
        previews.template_preview_as,
        name="template_preview_as",
    ),
    path(
        "campaigns/<int:campaign_id>/report/",
        campaigns.campaign_report,
        name="campaign_report",
    ),
    path(
        "campaigns/<int:campaign_id>/report.csv",
        campaigns.campaign_report_csv,
        name="campaign_report_csv",
    ),
    *(
        path(
            f"campaigns/<int:campaign_id>/{action}/",
            campaigns.campaign_action,
            {"action": action},
            name=f"campaign_{action}",
        )
        for action in campaigns.ACTIONS
    ),
    path("surveys/", surveys.survey_list, name="survey_list"),
    path("surveys/<slug:key>/", surveys.survey_detail, name="survey_detail"),
    path(
        "service/",
        login_required(RedirectView.as_view(pattern_name="web:service_message_list")),
        name="service",
    ),
    path("service/messages/", service_messages.message_list, name="service_message_list"),
    path(
        "service/messages/<int:message_id>/",
        service_messages.message_detail,
        name="service_message",
    ),
    path(
        "service/messages/<int:message_id>/html/",
        service_messages.message_html,
        name="service_message_html",
    ),
    path("service/templates/", service_templates.template_list, name="service_template_list"),
    path(
        "service/templates/<int:template_id>/",
        service_templates.template_detail,
        name="service_template",
    ),
    path(
        "service/templates/<int:template_id>/preview/",
        service_templates.template_preview,
        name="service_template_preview",
    ),
    path(
        "service/templates/<int:template_id>/copy/",
        service_templates.template_copy,
        name="service_template_copy",
    ),
    path(
        "service/templates/<int:template_id>/settings/",
        service_templates.template_settings,
        name="service_template_settings",
    ),
    path(
        "service/templates/<int:template_id>/test/",
        service_templates.template_test,
        name="service_template_test",
    ),
    path(
        "service/templates/<int:template_id>/delete/",
        service_templates.template_delete,
        name="service_template_delete",
    ),
    path("privacy/", privacy.privacy_page, name="privacy"),
    path("settings/organisation/", settings.organisation_settings, name="organisation_settings"),
    path("settings/brand/", brand_views.brand_settings, name="brand_settings"),
    path("settings/audit-log/", settings.audit_log, name="audit_log"),
    path("settings/attributes/", settings.attribute_list, name="attribute_list"),
    path("settings/attributes/<str:key>/", settings.attribute_edit, name="attribute_edit"),
    path(
        "settings/attributes/<str:key>/delete/",
        settings.attribute_delete,
        name="attribute_delete",
    ),
    path("outbox/", outbox.captured_list, name="captured_list"),
    path("outbox/clear/", outbox.captured_clear, name="captured_clear"),
    path("outbox/<int:message_id>/", outbox.captured_detail, name="captured_detail"),
    path("outbox/<int:message_id>/html/", outbox.captured_html, name="captured_html"),
    path("outbox/<int:message_id>/raw/", outbox.captured_raw, name="captured_raw"),
    path("delivery/", delivery.delivery_home, name="delivery"),
    path("delivery/relays/", delivery.relay_list, name="relay_list"),
    path("delivery/relays/<int:relay_id>/edit/", delivery.relay_edit, name="relay_edit"),
    path(
        "delivery/relays/<int:relay_id>/enable/",
        delivery.relay_toggle,
        {"enable": True},
        name="relay_enable",
    ),
    path(
        "delivery/relays/<int:relay_id>/disable/",
        delivery.relay_toggle,
        {"enable": False},
        name="relay_disable",
    ),
    path("delivery/relays/<int:relay_id>/delete/", delivery.relay_delete, name="relay_delete"),
    path("delivery/domains/", delivery.domain_list, name="domain_list"),
    path("delivery/domains/<int:policy_id>/edit/", delivery.domain_edit, name="domain_edit"),
    path(
        "delivery/domains/<int:policy_id>/delete/",
        delivery.domain_delete,
        name="domain_delete",
    ),
    path(
        "delivery/domains/<int:policy_id>/warm-up/",
        delivery.domain_warmup,
        name="domain_warmup",
    ),
    path("delivery/dkim/", delivery.dkim_list, name="dkim_list"),
    path("delivery/dkim/rotate/", delivery.dkim_rotate, name="dkim_rotate"),
    path("delivery/dkim/check/", delivery.dns_check_page, name="dns_check"),
    path("delivery/reputation/", delivery.reputation_page, name="reputation"),
    path("delivery/analytics/", delivery.stream_analytics, name="stream_analytics"),
    path(
        "feedback/",
        login_required(RedirectView.as_view(pattern_name="web:suppression_list")),
        name="feedback",
    ),
    path("suppressions/", feedback.suppression_list, name="suppression_list"),
    path("suppressions/import/", feedback.suppression_import, name="suppression_import"),
    path("suppressions/export.csv", feedback.suppression_export, name="suppression_export"),
    path("inbound/", feedback.inbound_list, name="inbound_list"),
    path("inbound/<int:message_id>/", feedback.inbound_detail, name="inbound_detail"),
    path("webhooks/", feedback.webhook_list, name="webhook_list"),
    path("webhooks/<int:endpoint_id>/", feedback.webhook_detail, name="webhook_detail"),
    path(
        "webhooks/<int:endpoint_id>/enable/",
        feedback.webhook_toggle,
        {"enable": True},
        name="webhook_enable",
    ),
    path(
        "webhooks/<int:endpoint_id>/disable/",
        feedback.webhook_toggle,
        {"enable": False},
        name="webhook_disable",
    ),
    path("webhooks/<int:endpoint_id>/delete/", feedback.webhook_delete, name="webhook_delete"),
]
