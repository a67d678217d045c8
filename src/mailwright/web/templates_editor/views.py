"""Staff pages of the Templates area: thin views over campaigns.templates and rendering."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from mailwright.campaigns.models import Template
from mailwright.campaigns.rendering import TemplateError, compile_template, sample_context
from mailwright.campaigns.templates import save_template
from mailwright.web.shell.helpers import paginate
from mailwright.web.templates_editor.forms import TemplateForm
from mailwright.web.templates_editor.lint_views import lint_context, lint_template_row


@login_required
@require_GET
def template_list(request):
    return render(
        request,
        "web/templates/list.html",
        {"page": paginate(request, Template.objects.filter(kind="marketing"))},
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
    context = {"form": form, "template": tpl, "footer": tpl.brand_footer if tpl else True}
    if tpl is not None and request.method == "GET":
        context.update(lint_context(lint_template_row(tpl)))
    return render(request, "web/templates/edit.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def template_new(request):
    return _template_form(request, None)


@login_required
@require_http_methods(["GET", "POST"])
def template_edit(request, template_id: int):
    tpl = get_object_or_404(Template, pk=template_id)
    if tpl.kind == Template.Kind.SERVICE:  # edited per language under Service → Templates
        return redirect("web:service_template", template_id=tpl.pk)
    return _template_form(request, tpl)


@login_required
@require_GET
def template_preview(request, template_id: int):
    tpl = get_object_or_404(Template, pk=template_id)
    context = {"template": tpl, **lint_context(lint_template_row(tpl))}
    try:
        subject, html, text = compile_template(tpl.subject, tpl.html, tpl.text).render(
            sample_context()
        )
    except TemplateError as exc:
        context["error"] = str(exc)
    else:
        context.update(subject=subject, html=html, text=text)
    return render(request, "web/templates/preview.html", context)
