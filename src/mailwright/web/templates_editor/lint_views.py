"""The lint as you type: POST /templates/lint (staff session, CSRF token) answers an HTML
partial, web/templates_editor/_lint.html, with the findings of campaigns.lint for what the
editor holds now. Nothing is saved."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import RequestDataTooBig
from django.shortcuts import render
from django.views.decorators.http import require_POST

from mailwright.campaigns.branding import set_preheader
from mailwright.campaigns.lint import LintResult, lint
from mailwright.campaigns.models import Template

PARTIAL = "web/templates_editor/_lint.html"
TRUE = {"1", "true", "on", "yes"}


def lint_context(result: LintResult) -> dict:
    return {"lint": result.as_dict(), "linted": True}


def lint_template_row(tpl: Template) -> LintResult:
    """The lint of a saved template, as it will be sent (its brand footer setting)."""
    return lint(tpl.subject, html=tpl.html, text=tpl.text, footer=tpl.brand_footer)


def _too_big(request):
    result = LintResult()
    result.error(
        "source_too_long",
        "the template is larger than a request may be",
        "source",
        "Shorten it: move long content to a web page and link to it.",
    )
    return render(request, PARTIAL, lint_context(result), status=413)


@login_required
@require_POST
def template_lint(request):
    """Lint what the editor holds. Form parameters (application/x-www-form-urlencoded or
    multipart, with the CSRF token as `csrfmiddlewaretoken` or the X-CSRFToken header):

    - `subject`: the subject (Jinja).
    - The body, one of: `html` (HTML + Jinja), `mjml` (MJML + Jinja; the block editor sends
      this), or `source` with `source_format` = `html` | `mjml` (the raw editor's form).
    - `preheader`: with `mjml`, the block editor's preheader field (set as its mj-preview).
    - `text`: the plain-text part; empty means one will be generated.
    - `footer`: `1`/`true`/`on` when the brand footer will be appended (then unsubscribe,
      preferences and address cannot be missing). Default: off.

    Answers 200 with the partial web/templates_editor/_lint.html (a <section id="lint">,
    for hx-target="#lint" hx-swap="outerHTML"); 413 with the same partial when the body is
    larger than a request may be. Findings: docs/lint.md."""
    try:
        data = request.POST
    except RequestDataTooBig:
        return _too_big(request)
    html, mjml = data.get("html"), data.get("mjml")
    if html is None and mjml is None:
        source = data.get("source", "")
        if data.get("source_format") == "mjml":
            mjml = source
        else:
            html = source
    if mjml and data.get("preheader"):
        mjml = set_preheader(mjml, data["preheader"])
    result = lint(
        data.get("subject", ""),
        html=html or None,
        mjml=mjml or None,
        text=data.get("text", ""),
        footer=data.get("footer", "").lower() in TRUE,
    )
    if not (html or mjml):
        result.errors.insert(
            0,
            {
                "code": "empty_body",
                "message": "the message has no content yet",
                "where": "source",
                "fix": "Write the message in HTML or MJML.",
            },
        )
    return render(request, PARTIAL, lint_context(result))
