"""Saving templates: MJML is compiled to HTML with MRML at save time, and every template is
compiled and sample-rendered so syntax errors are reported when saved, not when sent."""

from __future__ import annotations

import mrml

from mailwright.campaigns.models import Template
from mailwright.campaigns.rendering import TemplateError, validate_template

MAX_SOURCE = 500_000


def compile_mjml(source: str) -> str:
    try:
        # mj-include is disabled: a template must never read files from the server.
        output = mrml.to_html(
            source, parser_options=mrml.ParserOptions(include_loader=mrml.noop_loader())
        )
    except Exception as exc:
        raise TemplateError(f"MJML could not be compiled: {exc}", part="mjml") from None
    return output.content


def save_template(
    *,
    name: str,
    subject: str,
    html: str | None = None,
    mjml_source: str | None = None,
    text: str = "",
    instance: Template | None = None,
) -> Template:
    name = (name or "").strip()
    if not name:
        raise TemplateError("the name is empty", part="name")
    if len(name) > 200:
        raise TemplateError("the name is longer than 200 characters", part="name")
    if len(subject) > 998:
        raise TemplateError("the subject is longer than 998 characters", part="subject")
    if bool(html) == bool(mjml_source):
        raise TemplateError("give exactly one of 'html' or 'mjml'", part="html")
    for part, value in (("html", html), ("mjml", mjml_source), ("text", text)):
        if value and len(value) > MAX_SOURCE:
            raise TemplateError(f"longer than {MAX_SOURCE:,} characters", part=part)
    compiled_html = compile_mjml(mjml_source) if mjml_source else html
    validate_template(subject, compiled_html, text)
    tpl = instance or Template()
    tpl.name = name
    tpl.subject = subject
    tpl.html = compiled_html
    tpl.mjml = mjml_source or ""
    tpl.text = text or ""
    tpl.save()
    return tpl
