"""Staff pages: thin views that parse forms and call the domain functions."""

from __future__ import annotations

import json

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from mailwright.audit.actors import Actor
from mailwright.campaigns.campaigns import create_campaign
from mailwright.campaigns.models import Campaign, Template
from mailwright.campaigns.rendering import TemplateError, compile_template, sample_context
from mailwright.campaigns.templates import save_template
from mailwright.consent import directory, ledger, organisation, privacy
from mailwright.consent.models import PrivacyAudit
from mailwright.consent.topics import TopicError, create_topic, update_topic
from mailwright.contacts.models import Contact, Topic
from mailwright.contacts.segments import SegmentError
from mailwright.delivery import sending
from mailwright.delivery.models import CapturedMessage, Delivery
from mailwright.feedback import reputation, timeline
from mailwright.web import analytics, contact_subscribe, mailview
from mailwright.web.forms import (
    AccountPasswordForm,
    CampaignForm,
    CapturedFilterForm,
    ContactEditForm,
    ContactForm,
    EraseForm,
    FindPersonForm,
    OrganisationForm,
    RateLimitedAuthenticationForm,
    TemplateForm,
    TopicEditForm,
    TopicForm,
)
from mailwright.web.reputation import alerts

PAGE_SIZE = 50


def _page(request, queryset):
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


def _missing_postal_address() -> bool:
    """Marketing mail cannot be sent without the sender's postal address (SPEC §3.4)."""
    return not organisation.current().postal_address.strip()


def _json_download(data: dict, filename: str) -> HttpResponse:
    body = json.dumps(data, indent=2, ensure_ascii=False, cls=DjangoJSONEncoder)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


def _counts(queryset, field: str, choices) -> list[tuple[str, int]]:
    found = dict(queryset.values_list(field).annotate(n=Count("id")).order_by())
    return [(value, found.get(value, 0)) for value in choices]


# --- account --------------------------------------------------------------------------------


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


# --- dashboard ------------------------------------------------------------------------------


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
        "missing_postal_address": _missing_postal_address(),
        "alerts": alerts(reputation.all_streams(timezone.now())),
    }
    return render(request, "web/dashboard.html", context)


# --- contacts -------------------------------------------------------------------------------


def _actor(request) -> Actor:
    return Actor.from_user(request, channel="admin")


@login_required
@require_GET
def contact_list(request):
    query = request.GET.get("q", "").strip()[:320]
    contacts = Contact.objects.all()
    if query:
        contacts = contacts.filter(Q(email__icontains=query) | Q(name__icontains=query))
    return render(request, "web/contacts/list.html", {"page": _page(request, contacts), "q": query})


@login_required
@require_http_methods(["GET", "POST"])
def contact_new(request):
    form = ContactForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        basis = data["basis"].strip()
        subs = [directory.SubscriptionRequest(key, "confirmed", basis) for key in data["topics"]]
        try:
            contact, _ = directory.upsert(
                directory.ContactInput(
                    email=data["email"],
                    name=data["name"],
                    language=data["language"],
                    subscriptions=subs,
                ),
                by=_actor(request),
                create_only=True,
            )
        except directory.ContactError as exc:
            field = exc.field if exc.field in form.fields else None
            if exc.field.startswith("subscriptions"):
                field = "basis" if exc.field.endswith(".basis") else "topics"
            form.add_error(field, str(exc))
        else:
            messages.success(request, f"Contact {contact.email} added.")
            return redirect("web:contact_detail", contact.pk)
    return render(request, "web/contacts/new.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def contact_detail(request, contact_id: int):
    contact = get_object_or_404(Contact, pk=contact_id)
    erased = contact.status == Contact.Status.ERASED
    # POST: the "Subscribe to a topic" form (contact_subscribe), through directory.upsert.
    subscribe_form = contact_subscribe.SubscribeForm(
        request.POST if request.method == "POST" else None
    )
    if request.method == "POST":
        if erased:
            messages.error(request, "This person was erased; their record can only be viewed.")
            return redirect("web:contact_detail", contact.pk)
        done = contact_subscribe.apply(subscribe_form, contact, _actor(request))
        if done:
            messages.success(request, done)
            return redirect("web:contact_detail", contact.pk)
    context = {
        "contact": contact,
        "erased": erased,
        "subscribe_form": subscribe_form,
        "subscriptions": contact.subscriptions.select_related("topic").order_by("topic__name"),
        "consent_events": contact.consent_events.order_by("-id")[:50],
        "deliveries": contact.deliveries.select_related("campaign").order_by("-id")[:20],
    }
    # The timeline: every event about the person, newest first, 50 a page (?events=N).
    page = Paginator(timeline.contact_timeline(contact, newest_first=True), PAGE_SIZE).get_page(
        request.GET.get("events")
    )
    context["events"] = page
    context["timeline"] = [(entry, analytics.event_details(entry)) for entry in page]
    status = 400 if subscribe_form.errors else 200
    return render(request, "web/contacts/detail.html", context, status=status)


def _live_contact(request, contact_id: int) -> tuple[Contact, HttpResponse | None]:
    """The contact, or a redirect with a message when it is erased (only viewing is left)."""
    contact = get_object_or_404(Contact, pk=contact_id)
    if contact.status == Contact.Status.ERASED:
        messages.error(request, "This person was erased; their record can only be viewed.")
        return contact, redirect("web:contact_detail", contact.pk)
    return contact, None


class _NotThisContact(Exception):
    pass


@login_required
@require_http_methods(["GET", "POST"])
def contact_edit(request, contact_id: int):
    """Rectification: name, language and attributes, through directory.upsert."""
    contact, refused = _live_contact(request, contact_id)
    if refused:
        return refused
    form = ContactEditForm(request.POST or None, initial=ContactEditForm.initial_for(contact))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                saved, created = directory.upsert(
                    directory.ContactInput(
                        email=contact.email,
                        name=data["name"],
                        language=data["language"],
                        attributes=data["attributes"],
                    ),
                    by=_actor(request),
                )
                if created or saved.pk != contact.pk:
                    raise _NotThisContact  # the stored address no longer normalizes to itself
                changed = [
                    f
                    for f, before in (
                        ("name", contact.name),
                        ("language", contact.language),
                        ("attributes", contact.attributes),
                    )
                    if data[f] != before
                ]
                privacy.record_rectification(saved, _actor(request), changed)
        except directory.ContactError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        except _NotThisContact:
            form.add_error(
                None, "This contact's stored address could not be matched; nothing was saved."
            )
        else:
            messages.success(request, f"Contact {saved.email} updated.")
            return redirect("web:contact_detail", saved.pk)
    return render(request, "web/contacts/edit.html", {"form": form, "contact": contact})


@login_required
@require_GET
def contact_consent_proof(request, contact_id: int):
    contact, refused = _live_contact(request, contact_id)
    if refused:
        return refused
    return _json_download(privacy.consent_proof(contact), f"consent-proof-{contact.pk}.json")


@login_required
@require_POST
def contact_export(request, contact_id: int):
    """Everything held about the person (GDPR access request); a POST because it is audited."""
    contact, refused = _live_contact(request, contact_id)
    if refused:
        return refused
    data = privacy.export(contact, by=_actor(request))
    return _json_download(data, f"contact-{contact.pk}-export.json")


@login_required
@require_http_methods(["GET", "POST"])
def contact_erase(request, contact_id: int):
    """GET: what erasure does and a box to type the address. POST: erase, then back."""
    contact, refused = _live_contact(request, contact_id)
    if refused:
        return refused
    form = EraseForm(request.POST or None, email=contact.email)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            contact = Contact.objects.select_for_update().get(pk=contact.pk)
            if contact.status != Contact.Status.ERASED:  # not erased meanwhile by someone else
                privacy.erase(contact, by=_actor(request))
        messages.success(
            request,
            "The person was erased: their personal data is removed and their address can"
            " never be added again.",
        )
        return redirect("web:contact_detail", contact.pk)
    return render(request, "web/contacts/erase.html", {"form": form, "contact": contact})


# --- topics ---------------------------------------------------------------------------------


def _embed_context() -> dict:
    topics = list(Topic.objects.order_by("name"))
    hosted_url = settings.BASE_URL + reverse("consent:subscribe")
    json_url = settings.BASE_URL + reverse("consent:subscribe_json")
    snippet = render_to_string(
        "web/topics/embed_snippet.html",
        {"topics": topics, "hosted_url": hosted_url, "json_url": json_url},
    )
    return {
        "hosted_url": hosted_url,
        "json_url": json_url,
        "embed_snippet": snippet.strip() + "\n",
        "form_origins": settings.FORM_ORIGINS,
    }


@login_required
@require_http_methods(["GET", "POST"])
def topic_list(request):
    form = TopicForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            topic = create_topic(
                key=data["key"],
                name=data["name"],
                description=data["description"],
                consent_text=data["consent_text"],
            )
        except TopicError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        else:
            messages.success(request, f"Topic “{topic.name}” created.")
            return redirect("web:topic_list")
    topics = Topic.objects.annotate(
        confirmed=Count("subscriptions", filter=Q(subscriptions__state="confirmed"))
    )
    context = {"topics": topics, "form": form, **_embed_context()}
    return render(request, "web/topics/list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def topic_edit(request, topic_id: int):
    topic = get_object_or_404(Topic, pk=topic_id)
    initial = {
        "name": topic.name,
        "description": topic.description,
        "consent_text": topic.consent_text,
    }
    form = TopicEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        consent_text = data["consent_text"]
        # The form stores LF line ends and strips the ends: an unchanged wording that was
        # saved another way (API, older rows) must not become a new version.
        if consent_text == topic.consent_text.replace("\r\n", "\n").strip():
            consent_text = topic.consent_text
        try:
            before = topic.consent_version
            topic = update_topic(
                topic,
                name=data["name"],
                description=data["description"],
                consent_text=consent_text,
            )
        except TopicError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        else:
            if topic.consent_version != before:
                messages.success(
                    request,
                    f"Topic “{topic.name}” saved; the consent text is now version"
                    f" {topic.consent_version}.",
                )
            else:
                messages.success(request, f"Topic “{topic.name}” saved.")
            return redirect("web:topic_edit", topic.pk)
    history = list(topic.texts.order_by("-version"))
    recorded = {t.version for t in history}
    context = {
        "topic": topic,
        "form": form,
        "history": history,
        "history_incomplete": any(v not in recorded for v in range(1, topic.consent_version + 1)),
    }
    return render(request, "web/topics/edit.html", context)


# --- templates ------------------------------------------------------------------------------


@login_required
@require_GET
def template_list(request):
    return render(
        request, "web/templates/list.html", {"page": _page(request, Template.objects.all())}
    )


def _template_form(request, tpl: Template | None):
    initial = TemplateForm.initial_for(tpl) if tpl else None
    form = TemplateForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        is_mjml = data["source_format"] == "mjml"
        try:
            tpl = save_template(
                name=data["name"],
                subject=data["subject"],
                html=None if is_mjml else data["source"],
                mjml_source=data["source"] if is_mjml else None,
                text=data["text"],
                instance=tpl,
            )
        except TemplateError as exc:
            form.add_template_error(exc)
        else:
            messages.success(request, f"Template “{tpl.name}” saved.")
            return redirect("web:template_preview", tpl.pk)
    return render(request, "web/templates/edit.html", {"form": form, "template": tpl})


@login_required
@require_http_methods(["GET", "POST"])
def template_new(request):
    return _template_form(request, None)


@login_required
@require_http_methods(["GET", "POST"])
def template_edit(request, template_id: int):
    return _template_form(request, get_object_or_404(Template, pk=template_id))


@login_required
@require_GET
def template_preview(request, template_id: int):
    tpl = get_object_or_404(Template, pk=template_id)
    context = {"template": tpl}
    try:
        subject, html, text = compile_template(tpl.subject, tpl.html, tpl.text).render(
            sample_context()
        )
    except TemplateError as exc:
        context["error"] = str(exc)
    else:
        context.update(subject=subject, html=html, text=text)
    return render(request, "web/templates/preview.html", context)


# --- campaigns ------------------------------------------------------------------------------


@login_required
@require_GET
def campaign_list(request):
    campaigns = Campaign.objects.select_related("template")
    return render(request, "web/campaigns/list.html", {"page": _page(request, campaigns)})


@login_required
@require_http_methods(["GET", "POST"])
def campaign_new(request):
    form = CampaignForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            campaign = create_campaign(
                name=data["name"],
                template_id=data["template"].pk,
                topic_keys=[t.key for t in data["topics"]],
                from_email=data["from_email"],
                from_name=data["from_name"],
                reply_to=data["reply_to"],
                track_opens=data["track_opens"],
                track_clicks=data["track_clicks"],
            )
        except directory.ContactError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        else:
            messages.success(request, f"Campaign “{campaign.name}” created as a draft.")
            return redirect("web:campaign_detail", campaign.pk)
    return render(request, "web/campaigns/new.html", {"form": form})


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
    context["missing_postal_address"] = _missing_postal_address()
    return render(request, "web/campaigns/detail.html", context)


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
        return _campaign_action(request, campaign, sending.start, "Sending started.")
    if campaign.state != Campaign.State.DRAFT:
        messages.error(request, f"The campaign is {campaign.state}; only a draft can be sent.")
        return redirect("web:campaign_detail", campaign.pk)
    try:
        audience = sending.audience(campaign).count()
    except SegmentError as exc:
        messages.error(request, f"The campaign's segment is not valid: {exc}")
        return redirect("web:campaign_detail", campaign.pk)
    context = {
        "campaign": campaign,
        "audience": audience,
        "missing_postal_address": _missing_postal_address(),
    }
    return render(request, "web/campaigns/send.html", context)


def _campaign_action(request, campaign: Campaign, action, done: str):
    try:
        action(campaign.pk, by=_actor(request))
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


# --- privacy --------------------------------------------------------------------------------

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


# --- settings -------------------------------------------------------------------------------


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
        organisation.do_update(form.cleaned_data, by=_actor(request))
        messages.success(request, "Organisation settings saved.")
        return redirect("web:organisation_settings")
    context = {"form": form, "org": org, "missing_postal_address": not org.postal_address.strip()}
    return render(request, "web/settings/organisation.html", context)


# --- outbox → captured ----------------------------------------------------------------------

TABS = ("html", "text", "source")


@login_required
@require_GET
def captured_list(request):
    form = CapturedFilterForm(request.GET or None)
    captured = CapturedMessage.objects.defer("raw")
    to = form.cleaned_data["to"].strip() if form.is_valid() else ""
    if to:
        captured = captured.filter(to__icontains=to)
    return render(
        request,
        "web/outbox/list.html",
        {"form": form, "to": to, "page": _page(request, captured)},
    )


@login_required
@require_POST
def captured_clear(request):
    deleted, _ = CapturedMessage.objects.all().delete()
    messages.success(request, f"Deleted {deleted} captured message(s).")
    return redirect("web:captured_list")


@login_required
@require_GET
def captured_detail(request, message_id: int):
    msg = get_object_or_404(CapturedMessage, pk=message_id)
    tab = request.GET.get("tab", "html")
    if tab not in TABS:
        tab = "html"
    parsed = mailview.parse(bytes(msg.raw))
    context = {"msg": msg, "parsed": parsed, "tab": tab, "tabs": TABS}
    return render(request, "web/outbox/detail.html", context)


@login_required
@require_GET
@xframe_options_sameorigin
def captured_html(request, message_id: int):
    """The message's HTML part for the preview iframe: sandboxed, no scripts, no requests
    except images, and none to our tracking endpoints (viewing is not opening)."""
    msg = get_object_or_404(CapturedMessage, pk=message_id)
    html = mailview.preview_html(bytes(msg.raw))
    if html is None:
        html = "<p style='font-family:sans-serif;color:#555'>This message has no HTML part.</p>"
    response = HttpResponse(html, content_type="text/html; charset=utf-8")
    response["Content-Security-Policy"] = mailview.CSP
    response["Referrer-Policy"] = "no-referrer"
    return response


@login_required
@require_GET
def captured_raw(request, message_id: int):
    msg = get_object_or_404(CapturedMessage, pk=message_id)
    response = HttpResponse(bytes(msg.raw), content_type="message/rfc822")
    response["Content-Disposition"] = f'attachment; filename="message-{msg.pk}.eml"'
    return response
