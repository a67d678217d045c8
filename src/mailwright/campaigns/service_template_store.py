"""Editing service templates (Service → Templates): copying a starter or any service template,
saving one language's subject/HTML (or MJML)/text, changing name, description and data fields,
deleting. Each action runs in a transaction and writes its audit row. Starters are read-only:
they are copied to be edited.

Saving is checked by compiling (MJML through campaigns.templates, Jinja2 through
campaigns.rendering) and rendering once with the template's example data, so a syntax error
is reported with its part and line when saved, not when an API call sends the message."""

from __future__ import annotations

import re

from django.db import IntegrityError, transaction

from mailwright.audit import log as audit
from mailwright.audit.actors import Actor
from mailwright.campaigns.models import Template, TemplateTranslation
from mailwright.campaigns.rendering import TemplateError, validate_template
from mailwright.campaigns.service_templates import (
    LANGUAGES,
    Rendered,
    check_fields_spec,
    example_data,
    render_service,
    service_context,
)
from mailwright.campaigns.templates import MAX_SOURCE, compile_mjml

KEY = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,98}[a-z0-9])?$")
# The first line of a starter's MJML: which starter and version it is (starters.library).
# A copy is no longer that starter, so the line is not copied.
STARTER_MARK = re.compile(r"\A<!-- mailwright starter [^\n]*-->\n?")
SAMPLE_CONTACT = {"email": "sample@example.com", "name": "Sam Example", "first_name": "Sam"}


class ServiceTemplateError(ValueError):
    """The change is refused; `field` names the form field it is about ("" for none)."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field


# --- reading ------------------------------------------------------------------------------------


def translation(template: Template, language: str) -> dict | None:
    """The stored source in `language` (subject, html, mjml, text), or None if missing."""
    if language == template.language:
        row = template
    else:
        row = TemplateTranslation.objects.filter(template=template, language=language).first()
        if row is None:
            return None
    return {"subject": row.subject, "html": row.html, "mjml": row.mjml, "text": row.text}


def render_source(
    template: Template,
    language: str,
    *,
    subject: str,
    html: str,
    text: str = "",
    data: dict | None = None,
    marketing_consent: bool = False,
) -> Rendered:
    """Render unsaved source as the template would send it (service_templates.render_service
    on a copy that is not saved), with `data` or the template's example data."""
    draft = Template(
        kind=Template.Kind.SERVICE,
        key=template.key,
        name=template.name,
        language=language,
        fields=template.fields,
        subject=subject,
        html=html,
        text=text,
    )
    return render_service(
        draft,
        language=language,
        data=example_data(template.fields) if data is None else data,
        contact=dict(SAMPLE_CONTACT),
        marketing_consent=marketing_consent,
    )


def default_copy_key(template: Template) -> str:
    """`password-reset` → `password-reset-copy` (then -copy-2, -copy-3 … if taken)."""
    base = f"{(template.key or 'template')[:90]}-copy"
    key, n = base, 1
    while Template.objects.filter(key=key).exists():
        n += 1
        key = f"{base}-{n}"
    return key


# --- checks -------------------------------------------------------------------------------------


def _service_template(template_id: int, *, editing: bool) -> Template:
    try:
        template = Template.objects.select_for_update().get(pk=template_id)
    except Template.DoesNotExist:
        raise ServiceTemplateError(f"there is no template with id {template_id}") from None
    if template.kind != Template.Kind.SERVICE:
        raise ServiceTemplateError(f"template {template_id} is not a service template")
    if editing and template.starter:
        raise ServiceTemplateError(
            f"“{template.key}” is a starter template and cannot be changed; copy it to edit"
        )
    return template


def _clean_key(key: str) -> str:
    key = (key or "").strip()
    if not KEY.match(key):
        raise ServiceTemplateError(
            f"the key {key!r} is not valid: use lowercase letters, digits and hyphens"
            " (at most 100), starting and ending with a letter or digit",
            "key",
        )
    if Template.objects.filter(key=key).exists():
        raise ServiceTemplateError(f"the key {key!r} is taken by another template", "key")
    return key


def _clean_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise ServiceTemplateError("the name is empty", "name")
    if len(name) > 200:
        raise ServiceTemplateError("the name is longer than 200 characters", "name")
    return name


def _clean_fields(fields) -> dict:
    try:
        check_fields_spec(fields)
    except TemplateError as exc:
        raise ServiceTemplateError(exc.reason, "fields") from None
    return fields


def check_source(template: Template, language: str, *, subject: str, html: str, text: str) -> None:
    """Compile, then render with the example data, with and without marketing consent
    (rendering.validate_template): TemplateError names part and line. A name the example
    data lacks is not an error (the sender's data may have it)."""
    contexts = [
        service_context(
            data=example_data(template.fields),
            contact=dict(SAMPLE_CONTACT),
            language=language,
            marketing_consent=consent,
        )
        for consent in (False, True)
    ]
    validate_template(subject, html, text, contexts)


# --- actions ------------------------------------------------------------------------------------


def _snapshot(template: Template) -> dict:
    return {
        "key": template.key,
        "name": template.name,
        "description": template.description,
        "fields": template.fields,
    }


@transaction.atomic
def do_copy_template(template_id: int, *, key: str, name: str, by: Actor) -> Template:
    """An editable copy (starter=False) of a service template with all its translations."""
    source = _service_template(template_id, editing=False)
    key, name = _clean_key(key), _clean_name(name)
    copy = Template(
        kind=Template.Kind.SERVICE,
        key=key,
        name=name,
        language=source.language,
        description=source.description,
        fields=source.fields,
        starter=False,
        subject=source.subject,
        html=source.html,
        mjml=STARTER_MARK.sub("", source.mjml),
        text=source.text,
    )
    try:
        with transaction.atomic():
            copy.save()
    except IntegrityError:  # another copy took the key between the check and the insert
        raise ServiceTemplateError(f"the key {key!r} is taken by another template", "key") from None
    TemplateTranslation.objects.bulk_create(
        TemplateTranslation(
            template=copy,
            language=tr.language,
            subject=tr.subject,
            html=tr.html,
            mjml=STARTER_MARK.sub("", tr.mjml),
            text=tr.text,
        )
        for tr in source.translations.all()
    )
    audit.record(
        by,
        "template.copy",
        "template",
        copy.pk,
        after={**_snapshot(copy), "copied_from": source.key},
    )
    return copy


@transaction.atomic
def do_save_translation(
    template_id: int,
    language: str,
    *,
    subject: str,
    html: str = "",
    mjml: str = "",
    text: str = "",
    by: Actor,
) -> Template:
    """Save one language's source (the template's own language or a translation). MJML,
    when given, is compiled to the HTML that is stored with it."""
    template = _service_template(template_id, editing=True)
    if language not in LANGUAGES:
        raise ServiceTemplateError(
            f"unknown language {language!r}; one of {', '.join(LANGUAGES)}", "language"
        )
    subject = (subject or "").strip()
    if len(subject) > 998:
        raise TemplateError("the subject is longer than 998 characters", part="subject")
    if not (html or "").strip() and not (mjml or "").strip():
        raise TemplateError("give the HTML or the MJML source", part="html")
    for part, value in (("html", html), ("mjml", mjml), ("text", text)):
        if value and len(value) > MAX_SOURCE:
            raise TemplateError(f"longer than {MAX_SOURCE:,} characters", part=part)
    compiled = compile_mjml(mjml) if (mjml or "").strip() else html
    check_source(template, language, subject=subject, html=compiled, text=text or "")
    before = translation(template, language)
    values = {"subject": subject, "html": compiled, "mjml": mjml or "", "text": text or ""}
    if language == template.language:
        for name, value in values.items():
            setattr(template, name, value)
        template.save()
    else:
        TemplateTranslation.objects.update_or_create(
            template=template, language=language, defaults=values
        )
        template.save(update_fields=["updated_at"])
    audit.record(
        by,
        "template.translation.save" if before else "template.translation.add",
        "template",
        template.pk,
        before={"language": language, "subject": before["subject"]} if before else None,
        after={"language": language, "subject": subject},
    )
    return template


@transaction.atomic
def do_update_service_template(
    template_id: int, *, name: str, description: str = "", fields: dict, by: Actor
) -> Template:
    template = _service_template(template_id, editing=True)
    before = _snapshot(template)
    template.name = _clean_name(name)
    template.description = (description or "").strip()
    template.fields = _clean_fields(fields)
    template.save()
    after = _snapshot(template)
    changed = [k for k in after if after[k] != before[k]]
    if changed:
        audit.record(
            by,
            "template.update",
            "template",
            template.pk,
            before={k: before[k] for k in changed},
            after={k: after[k] for k in changed},
        )
    return template


@transaction.atomic
def do_delete_service_template(template_id: int, *, by: Actor) -> None:
    template = _service_template(template_id, editing=True)
    snapshot = _snapshot(template)
    pk = template.pk
    template.delete()
    audit.record(by, "template.delete", "template", pk, before=snapshot)
