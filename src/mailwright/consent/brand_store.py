"""Changing the brand kit (SPEC §4.1): one audited action that validates every field, so a
brand can never inject markup or CSS into the emails and public pages it styles."""

from __future__ import annotations

import re

from django.db import transaction

from mailwright.audit import log as audit
from mailwright.audit.actors import Actor
from mailwright.consent.brand import current_brand
from mailwright.consent.models import Brand
from mailwright.consent.signals import brand_changed

COLOUR_FIELDS = (
    "primary_color",
    "text_color",
    "background_color",
    "content_background",
    "link_color",
)
FONT_FIELDS = ("font_family", "heading_font_family")
FIELDS = ("logo_url", "logo_alt", *COLOUR_FIELDS, *FONT_FIELDS, "footer_text", "public_css")

# Fonts every mail client has (no web font is fetched from a third party).
SAFE_FONTS = {
    "System": "-apple-system, 'Segoe UI', Helvetica, Arial, sans-serif",
    "Arial": "Arial, Helvetica, sans-serif",
    "Helvetica": "Helvetica, Arial, sans-serif",
    "Verdana": "Verdana, Geneva, sans-serif",
    "Tahoma": "Tahoma, Verdana, sans-serif",
    "Trebuchet MS": "'Trebuchet MS', Helvetica, sans-serif",
    "Georgia": "Georgia, 'Times New Roman', serif",
    "Times New Roman": "'Times New Roman', Times, serif",
    "Courier New": "'Courier New', Courier, monospace",
}
_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
_FONT_STACK = re.compile(r"[A-Za-z0-9 ,'\"\-]+")
_LOCAL_PATH = re.compile(r"/(static|media)/[A-Za-z0-9._/\-]+")
MAX_FOOTER = 2000
MAX_PUBLIC_CSS = 20_000


class BrandError(ValueError):
    """Bad brand input: `field` names the field, the message says what is wrong."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.reason = message


def _clean_font(field: str, value: str) -> str:
    value = value.strip()
    if value in SAFE_FONTS:
        return SAFE_FONTS[value]
    if not value and field == "heading_font_family":
        return ""  # the body font is used for headings
    if not value or len(value) > 200 or not _FONT_STACK.fullmatch(value):
        raise BrandError(
            field,
            "use a font from the list or a CSS font stack such as"
            " \"Georgia, 'Times New Roman', serif\" (letters, digits, spaces, commas,"
            " quotes and hyphens only)",
        )
    return value


def _clean_logo(value: str) -> str:
    value = value.strip()
    if not value:
        return ""
    if len(value) > 2000 or any(ch in value for ch in "\"'<> \t\r\n\\"):
        raise BrandError("logo_url", "not a valid URL")
    if value.startswith("https://") and len(value) > len("https://") + 3:
        return value
    if ".." not in value and _LOCAL_PATH.fullmatch(value):
        return value
    raise BrandError(
        "logo_url", "use an https:// URL or a path under /static/ or /media/ of this server"
    )


def clean(values: dict) -> dict:
    """The validated values (only the fields given); raises BrandError on the first bad
    one."""
    out: dict = {}
    for field, value in values.items():
        if field not in FIELDS:
            raise BrandError(field, "unknown field")
        if not isinstance(value, str):
            raise BrandError(field, "must be a string")
        if field in COLOUR_FIELDS:
            if not _COLOUR.fullmatch(value.strip()):
                raise BrandError(field, f"{value[:20]!r} is not a colour like #1a2b3c")
            out[field] = value.strip().lower()
        elif field in FONT_FIELDS:
            out[field] = _clean_font(field, value)
        elif field == "logo_url":
            out[field] = _clean_logo(value)
        elif field == "logo_alt":
            if len(value) > 200:
                raise BrandError(field, "longer than 200 characters")
            out[field] = value.strip()
        elif field == "footer_text":
            if len(value) > MAX_FOOTER:
                raise BrandError(field, f"longer than {MAX_FOOTER:,} characters")
            out[field] = value.strip()
        else:  # public_css: styles only, no markup and no imported third-party sheets
            lowered = value.lower()
            if len(value) > MAX_PUBLIC_CSS:
                raise BrandError(field, f"longer than {MAX_PUBLIC_CSS:,} characters")
            if "<" in value or "@import" in lowered or "expression(" in lowered:
                raise BrandError(field, "must not contain '<', @import or expression()")
            out[field] = value
    return out


@transaction.atomic
def do_save_brand(values: dict, *, by: Actor) -> Brand:
    """Validate and save the brand kit; audited; announces brand_changed (the marketing MJML
    templates are recompiled with it)."""
    cleaned = clean(values)
    brand = current_brand()
    before = {f: getattr(brand, f) for f in FIELDS}
    for field, value in cleaned.items():
        setattr(brand, field, value)
    brand.save()
    changed = sorted(f for f in FIELDS if before[f] != getattr(brand, f))
    if changed:
        audit.record(
            by,
            "settings.brand",
            "settings",
            "brand",
            before={f: before[f] for f in changed},
            after={f: getattr(brand, f) for f in changed},
        )
        brand_changed.send(sender=Brand, brand=brand)
    return brand
