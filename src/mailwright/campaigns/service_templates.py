"""Service templates: validating a message's `data` against the template's declared fields,
choosing the language, and rendering subject, HTML and text for one message.

The context a service template sees (SPEC §4.2, plus `data`): `data`, `contact` (the
recipient; only `email` when the address is not a contact), `organisation`, `language`,
`message` (`id`), `marketing_consent` (bool), `promo()` (a block that renders only when
`marketing_consent` is true: `{% call promo() %}…{% endcall %}`).

Also here: `lint_service` (warnings shown on save and by the API) and
`save_service_template` (create/replace a service template that is not a starter).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime

from markupsafe import Markup

from mailwright.campaigns.models import Template, TemplateTranslation
from mailwright.campaigns.rendering import TemplateError, compile_template, validate_template
from mailwright.campaigns.templates import compile_mjml
from mailwright.consent import organisation as org_settings

LANGUAGES = ("en", "pl", "tr", "es", "vi", "bg")
MAX_DATA_BYTES = 64 * 1024  # of JSON (UTF-8): larger `data` is refused
MAX_STRING = 2000  # a string field's default max_length
MAX_URL = 2048
MAX_ITEMS = 500  # a list field's default max_items
FIELD_TYPES = (
    "string", "integer", "number", "boolean", "url", "email", "date", "datetime", "list", "object",
)  # fmt: skip
PROMOTIONAL = (
    "a promotional block makes this message commercial: it then needs an unsubscribe link"
    " and marketing consent rules apply to that block"
)


class DataError(ValueError):
    """The message's data does not fit the template: names the field (a dotted path)."""

    def __init__(self, field: str, message: str, *, too_large: bool = False) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.reason = message
        self.too_large = too_large  # the whole of `data` is over MAX_DATA_BYTES


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


def template_languages(template: Template) -> list[str]:
    """The languages a template can be sent in: its own first, then its translations."""
    others = [t.language for t in template.translations.all()] if template.pk else []
    return [template.language, *sorted(set(others) - {template.language})]


def source_for(template: Template, language: str) -> tuple[str, str, str]:
    """(subject, html, text) sources of the template in `language`."""
    if language == template.language:
        return template.subject, template.html, template.text
    tr = TemplateTranslation.objects.filter(template=template, language=language).first()
    if tr is None:
        return template.subject, template.html, template.text
    return tr.subject, tr.html, tr.text


_compiled: dict[tuple[str, str, str], object] = {}
MAX_COMPILED = 128


def compiled_for(subject: str, html: str, text: str):
    """The compiled template for these sources, compiled once per process: compiling a
    starter (~20 KB of HTML, and the text part derived from it) costs ~8 ms, rendering it
    well under one. Keyed by the sources themselves, so an edit is never served stale."""
    key = (subject, html, text)
    found = _compiled.get(key)
    if found is None:
        found = compile_template(subject, html, text)
        if len(_compiled) >= MAX_COMPILED:
            _compiled.clear()
        _compiled[key] = found
    return found


_URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _too_long(path: str, value: str, limit: int) -> None:
    if len(value) > limit:
        raise DataError(path, f"is {len(value):,} characters long; at most {limit:,}")


def _check(path: str, spec: dict, value):
    kind = spec.get("type", "string")
    if kind == "string":
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            raise DataError(path, "must be a string")
        value = str(value)
        _too_long(path, value, spec.get("max_length", MAX_STRING))
        return value
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
        _too_long(path, value, spec.get("max_length", MAX_URL))
        return value
    if kind == "email":
        if not isinstance(value, str) or not _EMAIL.match(value) or len(value) > 320:
            raise DataError(path, "must be an email address")
        return value
    if kind in ("date", "datetime"):
        try:
            parse = date.fromisoformat if kind == "date" else datetime.fromisoformat
            parse(value)
        except (TypeError, ValueError):
            example = "2026-03-01" if kind == "date" else "2026-03-01T14:30:00+01:00"
            raise DataError(path, f"must be an ISO 8601 {kind}, e.g. {example}") from None
        return value
    if kind == "list":
        if not isinstance(value, list):
            raise DataError(path, "must be a list")
        limit = spec.get("max_items", MAX_ITEMS)
        if len(value) > limit:
            raise DataError(path, f"has {len(value):,} items; at most {limit:,}")
        if spec.get("required") and not value:
            raise DataError(path, "must not be empty")
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
        if data.get(name) is None or data.get(name) == "":
            if spec.get("required"):
                raise DataError(path, "is required by this template")
            continue
        out[name] = _check(path, spec, data[name])
    return out


def validate_data(template: Template, data: dict) -> dict:
    """Check `data` against template.fields; return it (coerced). Raises DataError naming
    the field, e.g. `items[2].price: must be a number`; `data` itself when it is not an
    object or larger than MAX_DATA_BYTES of JSON. Fields the template does not declare pass
    through unchecked (only the size limit applies)."""
    try:
        size = len(json.dumps(data, ensure_ascii=False).encode("utf-8"))
    except (TypeError, ValueError):
        raise DataError("data", "must be JSON (objects, lists, strings, numbers)") from None
    if size > MAX_DATA_BYTES:
        raise DataError(
            "data", f"is {size:,} bytes of JSON; at most {MAX_DATA_BYTES:,}", too_large=True
        )
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
    compiled = compiled_for(subject, html, text)
    ctx = service_context(
        data=data,
        contact=contact,
        language=language,
        marketing_consent=marketing_consent,
        message_id=message_id,
        extra=extra,
    )
    subject_out, html_out, text_out = compiled.render(ctx)
    return Rendered(subject_out, html_out, text_out, language)


def service_context(
    *,
    data: dict,
    contact: dict,
    language: str,
    marketing_consent: bool = False,
    message_id: int | None = None,
    organisation: dict | None = None,
    extra: dict | None = None,
) -> dict:
    """What a service template sees (the module docstring lists the names)."""

    def promo(caller=None):
        if caller is None or not marketing_consent:
            return Markup("")
        return caller()

    return {
        "data": data,
        "contact": contact,
        "organisation": organisation or org_settings.context(),
        "language": language,
        "message": {"id": message_id},
        "marketing_consent": marketing_consent,
        "promo": promo,
        **(extra or {}),
    }


_PROMO_CALL = re.compile(r"{%-?\s*call(\(.*?\))?\s+promo\s*\(")
_DATA_NAME = re.compile(r"\bdata(?:\.([A-Za-z_]\w*)|\[\s*['\"]([^'\"]+)['\"]\s*\])")
_JINJA = re.compile(r"{{.*?}}|{%.*?%}", re.DOTALL)


def data_names(source: str) -> set[str]:
    """The top-level `data` names a template source uses: data.x and data['x'], inside
    Jinja tags."""
    names = set()
    for tag in _JINJA.findall(source):
        for attr, item in _DATA_NAME.findall(tag):
            names.add(attr or item)
    return names


def _sources(template: Template) -> list[tuple[str, str, str, str]]:
    """(language, subject, html, text) of the template and each translation."""
    out = [(template.language, template.subject, template.html, template.text)]
    if template.pk:
        out += [
            (t.language, t.subject, t.html, t.text)
            for t in template.translations.all()
            if t.language != template.language
        ]
    return out


def lint_service(template: Template) -> list[dict]:
    """Warnings about a service template: [{"code", "message", "where"}], one per problem;
    `where` names the parts and languages, e.g. "html (en, pl); text (en, pl)"."""
    declared = set(template.fields or {})
    places: dict[tuple[str, str], dict[str, list[str]]] = {}

    def add(code: str, message: str, part: str, language: str) -> None:
        places.setdefault((code, message), {}).setdefault(part, []).append(language)

    for language, subject, html, text in _sources(template):
        for part, source in (("subject", subject), ("html", html), ("text", text)):
            if _PROMO_CALL.search(source):
                add("promotional_content", PROMOTIONAL, part, language)
            for name in sorted(data_names(source) - declared):
                message = (
                    f"data.{name} is used but not declared in the template's fields, so"
                    " messages are not checked for it"
                )
                add("undeclared_field", message, part, language)
    return [
        {
            "code": code,
            "message": message,
            "where": "; ".join(f"{part} ({', '.join(langs)})" for part, langs in parts.items()),
        }
        for (code, message), parts in places.items()
    ]


def check_fields_spec(fields, prefix: str = "") -> None:
    """Refuse a malformed `fields` declaration (TemplateError naming the field)."""
    if not isinstance(fields, dict):
        raise TemplateError("must be an object of field name: {type, …}", part="fields")
    for name, spec in fields.items():
        path = f"{prefix}.{name}" if prefix else name
        if not re.match(r"^[A-Za-z_]\w{0,63}$", name):
            raise TemplateError(f"{path}: not a valid field name", part="fields")
        if not isinstance(spec, dict):
            raise TemplateError(f"{path}: must be an object", part="fields")
        kind = spec.get("type", "string")
        if kind not in FIELD_TYPES:
            raise TemplateError(
                f"{path}: unknown type {kind!r}; one of {', '.join(FIELD_TYPES)}", part="fields"
            )
        for limit in ("max_length", "max_items"):
            if limit in spec and (not isinstance(spec[limit], int) or spec[limit] < 1):
                raise TemplateError(f"{path}.{limit}: must be a positive integer", part="fields")
        if kind == "list":
            check_fields_spec(spec.get("items") or {}, f"{path}[]")
        if kind == "object":
            check_fields_spec(spec.get("fields") or {}, path)


_PLACEHOLDERS = {
    "string": "Example",
    "integer": 1,
    "number": 1.5,
    "boolean": True,
    "url": "https://example.com/",
    "email": "sample@example.com",
    "date": "2026-03-01",
    "datetime": "2026-03-01T14:30:00+01:00",
}


def example_data(fields: dict) -> dict:
    """Data for a check render: each field's `example`, else a value of its type."""
    out = {}
    for name, spec in (fields or {}).items():
        kind = spec.get("type", "string")
        if "example" in spec:
            out[name] = spec["example"]
        elif kind == "list":
            out[name] = [example_data(spec.get("items") or {})]
        elif kind == "object":
            out[name] = example_data(spec.get("fields") or {})
        else:
            out[name] = _PLACEHOLDERS.get(kind, "Example")
    return out


def save_service_template(
    *,
    key: str,
    name: str,
    subject: str,
    html: str | None = None,
    mjml_source: str | None = None,
    text: str = "",
    fields: dict | None = None,
    language: str = "en",
    description: str = "",
    instance: Template | None = None,
) -> tuple[Template, list[dict]]:
    """Create or replace a service template (not a starter: those are read-only); renders
    it with its fields' examples (with and without marketing consent) before saving.
    Returns the template and lint_service's warnings."""
    if instance is not None and instance.starter:
        raise TemplateError("a starter template is read-only; copy it to edit", part="key")
    if not re.match(r"^[a-z0-9]+(-[a-z0-9]+)*$", key or "") or len(key) > 100:
        raise TemplateError(
            "use lowercase letters, digits and dashes, e.g. order-shipped", part="key"
        )
    clash = Template.objects.filter(key=key).exclude(pk=getattr(instance, "pk", None))
    if clash.exists():
        raise TemplateError(f"a template with key {key!r} exists", part="key")
    if language not in LANGUAGES:
        raise TemplateError(f"one of {', '.join(LANGUAGES)}", part="language")
    fields = fields or {}
    check_fields_spec(fields)
    if not (name or "").strip() or len(name) > 200:
        raise TemplateError("give a name of 1 to 200 characters", part="name")
    if bool(html) == bool(mjml_source):
        raise TemplateError("give exactly one of 'html' or 'mjml'", part="html")
    compiled_html = compile_mjml(mjml_source) if mjml_source else html
    contexts = [
        service_context(
            data=example_data(fields),
            contact={"email": "sample@example.com", "name": "Sam Example", "first_name": "Sam"},
            language=language,
            marketing_consent=consent,
        )
        for consent in (False, True)
    ]
    validate_template(subject, compiled_html, text, contexts)
    tpl = instance or Template()
    tpl.kind = Template.Kind.SERVICE
    tpl.key, tpl.name, tpl.language, tpl.description = key, name.strip(), language, description
    tpl.fields, tpl.starter = fields, False
    tpl.subject, tpl.html, tpl.mjml, tpl.text = subject, compiled_html, mjml_source or "", text
    tpl.save()
    return tpl, lint_service(tpl)
