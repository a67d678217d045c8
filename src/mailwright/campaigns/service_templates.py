"""Service templates: validating a message's `data` against the template's declared fields,
choosing the language, and rendering subject, HTML and text for one message.

The context a service template sees (SPEC §4.2, plus `data`): `data`, `contact` (the
recipient; only `email` when the address is not a contact), `organisation`, `language`,
`message` (`id`), `marketing_consent` (bool), `promo()` (a block that renders only when
`marketing_consent` is true: `{% call promo() %}…{% endcall %}`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from markupsafe import Markup

from mailwright.campaigns.models import Template, TemplateTranslation
from mailwright.campaigns.rendering import compile_template
from mailwright.consent import organisation as org_settings

LANGUAGES = ("en", "pl", "tr", "es", "vi", "bg")


class DataError(ValueError):
    """The message's data does not fit the template: names the field (a dotted path)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.reason = message


@dataclass(frozen=True)
class Rendered:
    subject: str
    html: str
    text: str
    language: str  # the language actually used (a fallback when the one asked is missing)


def pick_language(template: Template, wanted: str | None, contact_language: str | None) -> str:
    """The language to send: the one asked for, else the contact's, else the template's
    own; only languages the template has."""
    have = {template.language} | set(template.translations.values_list("language", flat=True))
    for candidate in (wanted, contact_language, template.language):
        if candidate and candidate in have:
            return candidate
    return template.language


def source_for(template: Template, language: str) -> tuple[str, str, str]:
    """(subject, html, text) sources of the template in `language`."""
    if language == template.language:
        return template.subject, template.html, template.text
    tr = TemplateTranslation.objects.filter(template=template, language=language).first()
    if tr is None:
        return template.subject, template.html, template.text
    return tr.subject, tr.html, tr.text


_URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _check(path: str, spec: dict, value):
    kind = spec.get("type", "string")
    if kind == "string":
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            raise DataError(path, "must be a string")
        return str(value)
    if kind in ("integer", "number"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise DataError(path, f"must be a {kind}")
        if kind == "integer" and value != int(value):
            raise DataError(path, "must be a whole number")
        return int(value) if kind == "integer" else value
    if kind == "boolean":
        if not isinstance(value, bool):
            raise DataError(path, "must be true or false")
        return value
    if kind == "url":
        if not isinstance(value, str) or not _URL.match(value):
            raise DataError(path, "must be an http(s) URL")
        return value
    if kind == "email":
        if not isinstance(value, str) or not _EMAIL.match(value):
            raise DataError(path, "must be an email address")
        return value
    if kind in ("date", "datetime"):
        try:
            parse = date.fromisoformat if kind == "date" else datetime.fromisoformat
            parse(value)
        except (TypeError, ValueError):
            raise DataError(path, f"must be an ISO 8601 {kind}") from None
        return value
    if kind == "list":
        if not isinstance(value, list):
            raise DataError(path, "must be a list")
        items = spec.get("items") or {}
        return [_check_fields(f"{path}[{i}]", items, v) for i, v in enumerate(value)]
    if kind == "object":
        return _check_fields(path, spec.get("fields") or {}, value)
    return value


def _check_fields(prefix: str, fields: dict, data) -> dict:
    if not isinstance(data, dict):
        raise DataError(prefix or "data", "must be an object")
    out = dict(data)
    for name, spec in fields.items():
        path = f"{prefix}.{name}" if prefix else name
        if data.get(name) is None:
            if spec.get("required"):
                raise DataError(path, "is required by this template")
            continue
        out[name] = _check(path, spec, data[name])
    return out


def validate_data(template: Template, data: dict) -> dict:
    """Check `data` against template.fields; return it (coerced). Raises DataError naming
    the field, e.g. `items[2].price: must be a number`."""
    return _check_fields("", template.fields or {}, data)


def render_service(
    template: Template,
    *,
    language: str,
    data: dict,
    contact: dict,
    marketing_consent: bool = False,
    message_id: int | None = None,
    extra: dict | None = None,
) -> Rendered:
    """Render one service message. `contact` is the recipient's context dict
    (rendering.contact_context, or {"email": ...}). Raises TemplateError."""
    subject, html, text = source_for(template, language)
    compiled = compile_template(subject, html, text)

    def promo(caller=None):
        if caller is None or not marketing_consent:
            return Markup("")
        return caller()

    ctx = {
        "data": data,
        "contact": contact,
        "organisation": org_settings.context(),
        "language": language,
        "message": {"id": message_id},
        "marketing_consent": marketing_consent,
        "promo": promo,
        **(extra or {}),
    }
    subject_out, html_out, text_out = compiled.render(ctx)
    return Rendered(subject_out, html_out, text_out, language)
