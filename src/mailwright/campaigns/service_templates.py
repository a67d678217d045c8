"""Service templates: validating a message's `data` against the template's declared fields,
choosing the language, and rendering subject, HTML and text for one message.

The context a service template sees (SPEC §4.2, plus `data`): `data`, `contact` (the
recipient; only `email` when the address is not a contact), `organisation`, `language`,
`message` (`id`), `marketing_consent` (bool), `promo()` (a block that renders only when
`marketing_consent` is true: `{% call promo() %}…{% endcall %}`).
"""

from __future__ import annotations

from dataclasses import dataclass

from mailwright.campaigns.models import Template, TemplateTranslation

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


def validate_data(template: Template, data: dict) -> dict:
    """Check `data` against template.fields; return it (coerced). Raises DataError."""
    raise NotImplementedError  # implemented by the starter-library work


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
    raise NotImplementedError  # implemented by the starter-library work
