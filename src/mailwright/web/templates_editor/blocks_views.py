"""The block editor for marketing templates (SPEC §4.1): GrapesJS with its MJML plugin, vendored
under static/web/vendor/grapesjs. The page posts the MJML and the editor's project data as
JSON; campaigns.templates.save_template compiles the MJML with MRML (and the brand kit) on the
server. Starters are copied from campaigns.marketing_starters."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from mailwright import jsonsafe
from mailwright.campaigns import marketing_starters
from mailwright.campaigns.branding import preheader_of, set_preheader
from mailwright.campaigns.models import Template
from mailwright.campaigns.rendering import TemplateError
from mailwright.campaigns.templates import save_template
from mailwright.consent.brand import brand_context

MAX_BODY = 2_000_000  # MJML + project data; save_template limits each source to 500,000
BLANK = """<mjml>
  <mj-body width="600px">
    <mj-section>
      <mj-column>
        <mj-text font-size="16px">Hello {{ contact.first_name|default('there') }},</mj-text>
      </mj-column>
    </mj-section>
  </mj-body>
</mjml>
"""


def _error(exc: TemplateError) -> dict:
    return {
        "part": exc.part,
        "line": exc.line,
        "column": getattr(exc, "column", None),
        "message": str(exc),
    }


def _page(request, tpl: Template | None, mjml: str, subject: str = "", name: str = ""):
    design = tpl.design if tpl is not None and tpl.editor == "blocks" else None
    save_url = (
        reverse("web:template_blocks", args=[tpl.pk]) if tpl else reverse("web:template_blocks_new")
    )
    brand = brand_context()
    return render(
        request,
        "web/templates/blocks.html",
        {
            "template": tpl,
            "nav_section": "templates",
            "name": tpl.name if tpl else name,
            "subject": tpl.subject if tpl else subject,
            "preheader": preheader_of(mjml),
            "editor_data": {
                "mjml": mjml,
                "design": design,
                "saveUrl": save_url,
                "lintUrl": reverse("web:template_lint"),
                "brandFooter": tpl.brand_footer if tpl is not None else True,
                "brand": {k: brand[k] for k in ("primary_color", "text_color", "font_family")},
                "staticImages": marketing_starters.absolute(marketing_starters.STATIC_IMAGES),
            },
        },
    )


def _save(request, tpl: Template | None) -> JsonResponse:
    if len(request.body) > MAX_BODY:
        return JsonResponse({"errors": [{"message": "the design is too large"}]}, status=413)
    try:
        data = jsonsafe.loads(request.body)
        if not isinstance(data, dict):
            raise ValueError
    except ValueError:  # RecursionError: JSON nested absurdly deep
        return JsonResponse({"errors": [{"message": "the request is not JSON"}]}, status=400)
    design = data.get("design")
    fields = [data.get(k, "") for k in ("name", "subject", "preheader", "mjml")]
    if not all(isinstance(v, str) for v in fields) or not isinstance(design, dict | None):
        return JsonResponse({"errors": [{"message": "malformed fields"}]}, status=400)
    name, subject, preheader, mjml = fields
    try:
        tpl = save_template(
            name=name,
            subject=subject,
            mjml_source=set_preheader(mjml, preheader) if mjml.strip() else "",
            text="",
            instance=tpl,
            editor="blocks",
            design=design,
        )
    except TemplateError as exc:
        return JsonResponse({"errors": [_error(exc)]}, status=422)
    return JsonResponse(
        {
            "id": tpl.pk,
            "url": reverse("web:template_blocks", args=[tpl.pk]),
            "preview_url": reverse("web:template_preview", args=[tpl.pk]),
            "message": f"Template “{tpl.name}” saved.",
        }
    )


@login_required
@require_http_methods(["GET", "POST"])
def blocks_new(request):
    """A new template built in the block editor (blank), or saved from it (POST, JSON)."""
    if request.method == "POST":
        return _save(request, None)
    return _page(request, None, BLANK)


@login_required
@require_http_methods(["GET", "POST"])
def blocks_edit(request, template_id: int):
    tpl = get_object_or_404(Template, pk=template_id, kind=Template.Kind.MARKETING)
    if request.method == "POST":
        return _save(request, tpl)
    if tpl.editor != "blocks" and not tpl.mjml:
        messages.info(request, "This template is HTML: edit it as HTML.")
        return redirect("web:template_edit", tpl.pk)
    return _page(request, tpl, tpl.mjml)


@login_required
@require_POST
def blocks_to_mjml(request, template_id: int):
    """One way: the template is edited as MJML source from now on (the design is dropped)."""
    tpl = get_object_or_404(Template, pk=template_id, kind=Template.Kind.MARKETING)
    Template.objects.filter(pk=tpl.pk).update(editor="mjml", design=None)
    messages.success(request, f"“{tpl.name}” is now edited as MJML source.")
    return redirect("web:template_edit", tpl.pk)


@login_required
@require_GET
def starter_list(request):
    return render(
        request,
        "web/templates/starters.html",
        {"starters": marketing_starters.listing(), "nav_section": "templates"},
    )


@login_required
@require_POST
def starter_use(request, key: str):
    try:
        tpl = marketing_starters.create_from_starter(key, request.POST.get("name", "")[:200])
    except marketing_starters.UnknownStarter as exc:
        messages.error(request, str(exc))
        return redirect("web:template_starters")
    except TemplateError as exc:
        messages.error(request, f"The starter could not be saved: {exc}")
        return redirect("web:template_starters")
    messages.success(request, f"Template “{tpl.name}” created from the starter.")
    return redirect("web:template_blocks", tpl.pk)
