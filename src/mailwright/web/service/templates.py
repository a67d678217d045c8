"""Service → Templates: the list, a template's page (a tab per language, the editor, the live
preview at desktop and mobile widths, the data fields), copying, settings, deleting and
sending a test. Thin views over campaigns.service_template_store."""

from __future__ import annotations

import json
from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from mailwright.campaigns import service_template_store as store
from mailwright.campaigns.models import Template
from mailwright.campaigns.rendering import TemplateError
from mailwright.campaigns.service_templates import (
    LANGUAGES,
    example_data,
    lint_service,
    template_languages,
)
from mailwright.campaigns.templates import compile_mjml
from mailwright.transactional.errors import SendError
from mailwright.transactional.sending import do_send
from mailwright.web.service.forms import CopyForm, SettingsForm, TestSendForm, TranslationForm
from mailwright.web.shell.helpers import paginate, staff_actor

LANGUAGE_NAMES = {
    "en": "English",
    "pl": "Polski",
    "tr": "Türkçe",
    "es": "Español",
    "vi": "Tiếng Việt",
    "bg": "Български",
}


def _service(template_id: int) -> Template:
    return get_object_or_404(Template, pk=template_id, kind=Template.Kind.SERVICE)


def _language(request, template: Template) -> str:
    language = request.GET.get("lang") or template.language
    if language not in LANGUAGES:
        raise Http404(f"unknown language {language!r}")
    return language


@login_required
@require_GET
def template_list(request):
    since = timezone.now() - timedelta(days=30)
    templates = (
        Template.objects.filter(kind=Template.Kind.SERVICE)
        .annotate(sent_30d=Count("messages", filter=Q(messages__created_at__gte=since)))
        .prefetch_related("translations")
        .order_by("starter", "key")
    )
    page = paginate(request, templates)
    for tpl in page:
        tpl.language_list = sorted(
            {tpl.language} | {tr.language for tr in tpl.translations.all()},
            key=lambda code: (
                code != tpl.language,
                LANGUAGES.index(code) if code in LANGUAGES else 99,
            ),
        )
    return render(request, "web/service/template_list.html", {"page": page})


def _preview(template: Template, language: str, source: dict | None, *, stored: bool) -> dict:
    """The preview partial's context: the rendering of `source` (the stored one, whose HTML
    is compiled already, or the editor's unsaved one) with the template's example data, or
    the error naming part and line."""
    fallback = source is None
    if fallback:
        source = store.translation(template, template.language)
    context = {"template": template, "language": language, "fallback": fallback}
    try:
        is_mjml = not stored and source["mjml"].strip()
        html = compile_mjml(source["mjml"]) if is_mjml else source["html"]
        if not source["subject"].strip():
            raise TemplateError("the subject is empty", part="subject")
        rendered = store.render_source(
            template,
            template.language if fallback else language,
            subject=source["subject"],
            html=html,
            text=source.get("text", ""),
        )
    except TemplateError as exc:
        context["error"] = str(exc)
    else:
        context["rendered"] = rendered
    return context


def _as_json(value) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _page(request, template, language: str, form=None, status: int = 200, test_form=None):
    source = store.translation(template, language)
    if form is None:
        # A missing language starts from the template's own, to be translated.
        initial = source or store.translation(template, template.language)
        form = TranslationForm(initial=TranslationForm.initial_for(initial))
    have = set(template_languages(template))
    example = json.dumps(example_data(template.fields), indent=2, ensure_ascii=False)
    context = {
        "template": template,
        "language": language,
        "language_name": LANGUAGE_NAMES.get(language, language),
        "own_language_name": LANGUAGE_NAMES.get(template.language, template.language),
        "tabs": [(code, LANGUAGE_NAMES[code], code in have) for code in LANGUAGES],
        "missing": source is None,
        "form": form,
        # Examples shown as the JSON a caller sends, not as Python values.
        "fields": [
            (name, spec, _as_json(spec.get("example")))
            for name, spec in sorted((template.fields or {}).items())
        ],
        "warnings": lint_service(template),
        "test_form": test_form
        or TestSendForm(
            initial={
                "language": language,
                "data": example,
                "to": request.user.email,
            }
        ),
        "preview": _preview(template, language, source, stored=True),
    }
    return render(request, "web/service/template_detail.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def template_detail(request, template_id: int):
    template = _service(template_id)
    language = _language(request, template)
    if request.method == "GET":
        return _page(request, template, language)
    form = TranslationForm(request.POST)
    if template.starter:
        form.add_error(None, "This is a starter template: it cannot be changed. Copy it to edit.")
        return _page(request, template, language, form, status=400)
    if form.is_valid():
        data = form.cleaned_data
        is_mjml = data["source_format"] == "mjml"
        try:
            store.do_save_translation(
                template.pk,
                language,
                subject=data["subject"],
                html="" if is_mjml else data["source"],
                mjml=data["source"] if is_mjml else "",
                text=data["text"],
                by=staff_actor(request),
            )
        except TemplateError as exc:
            form.add_template_error(exc)
        except store.ServiceTemplateError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"{LANGUAGE_NAMES[language]} version saved.")
            return redirect(f"{request.path}?lang={language}")
    return _page(request, template, language, form, status=400)


@login_required
@require_POST
def template_preview(request, template_id: int):
    """The live preview (htmx, as the editor is typed in): renders the unsaved source."""
    template = _service(template_id)
    language = _language(request, template)
    form = TranslationForm(request.POST)
    form.is_valid()  # shape only: an empty or odd field still previews what there is
    data = form.cleaned_data
    is_mjml = data.get("source_format") == "mjml"
    source = {
        "subject": data.get("subject", ""),
        "html": "" if is_mjml else data.get("source", ""),
        "mjml": data.get("source", "") if is_mjml else "",
        "text": data.get("text", ""),
    }
    context = _preview(template, language, source, stored=False)
    return render(request, "web/service/_preview.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def template_copy(request, template_id: int):
    template = _service(template_id)
    initial = {"key": store.default_copy_key(template), "name": f"{template.name} (copy)"}
    form = CopyForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            copy = store.do_copy_template(
                template.pk,
                key=form.cleaned_data["key"],
                name=form.cleaned_data["name"],
                by=staff_actor(request),
            )
        except store.ServiceTemplateError as exc:
            form.add_error(exc.field or None, str(exc))
        else:
            messages.success(request, f"Copied to “{copy.key}”: this copy is yours to edit.")
            return redirect("web:service_template", copy.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "web/service/template_copy.html",
        {"form": form, "template": template},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def template_settings(request, template_id: int):
    template = _service(template_id)
    if template.starter:
        messages.error(
            request, "This is a starter template: it cannot be changed. Copy it to edit."
        )
        return redirect("web:service_template", template.pk)
    initial = {
        "name": template.name,
        "description": template.description,
        "fields": json.dumps(template.fields or {}, indent=2, ensure_ascii=False),
    }
    form = SettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            store.do_update_service_template(
                template.pk,
                name=form.cleaned_data["name"],
                description=form.cleaned_data["description"],
                fields=form.cleaned_data["fields"],
                by=staff_actor(request),
            )
        except store.ServiceTemplateError as exc:
            form.add_error(exc.field or None, str(exc))
        else:
            messages.success(request, "Settings saved.")
            return redirect("web:service_template", template.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "web/service/template_settings.html",
        {"form": form, "template": template},
        status=status,
    )


@login_required
@require_POST
def template_delete(request, template_id: int):
    template = _service(template_id)
    try:
        store.do_delete_service_template(template.pk, by=staff_actor(request))
    except store.ServiceTemplateError as exc:
        messages.error(request, str(exc))
        return redirect("web:service_template", template.pk)
    messages.success(request, f"Template “{template.key}” deleted.")
    return redirect("web:service_template_list")


@login_required
@require_POST
def template_test(request, template_id: int):
    """Send a test: one real service message (transactional.sending.do_send), listed in
    Service → Messages like any other."""
    template = _service(template_id)
    form = TestSendForm(request.POST)
    language = request.POST.get("language") if request.POST.get("language") in LANGUAGES else None
    if form.is_valid():
        try:
            sent = do_send(
                template=template.key,
                to=form.cleaned_data["to"],
                data=form.cleaned_data["data"],
                language=form.cleaned_data["language"],
                by=staff_actor(request),
            )
        except SendError as exc:
            where = exc.field or ""
            field = "to" if where == "to" else "data" if where.startswith("data") else None
            form.add_error(field, exc.message)
        else:
            if sent.refused:
                messages.error(request, f"Not sent: {sent.message.refused_reason}")
            else:
                messages.success(request, f"Test queued to {sent.message.to_email}.")
            return redirect("web:service_message", sent.message.pk)
    return _page(request, template, language or template.language, status=400, test_form=form)
