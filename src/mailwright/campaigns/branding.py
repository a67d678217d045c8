"""The brand kit in marketing MJML (SPEC §4.1): at compile time the brand's fonts and colours
become <mj-attributes> placed first in <mj-head>, so a template's own mj-attributes and any
attribute set on an element still win. When the brand changes, every marketing MJML template
is recompiled (consent.signals.brand_changed, campaigns.templates.on_brand_changed)."""

from __future__ import annotations

import html as html_lib
import re

from mailwright.consent.brand import brand_context

_MJML_OPEN = re.compile(r"<mjml\b[^>]*>", re.IGNORECASE)
_HEAD_OPEN = re.compile(r"<mj-head\s*>", re.IGNORECASE)
_BODY_OPEN = re.compile(r"<mj-body\b([^>]*)>", re.IGNORECASE)


def brand_head(brand: dict) -> str:
    """The MJML head elements that apply the brand. Every value was validated on save
    (colours #rrggbb, fonts letters, digits, spaces, commas, quotes and hyphens); MRML does not
    decode entities in attributes, so a font's double quotes become single ones."""

    def q(value: str) -> str:
        return value.replace('"', "'")

    heading = brand.get("heading_font_family") or brand["font_family"]
    return (
        "<mj-attributes>"
        f'<mj-all font-family="{q(brand["font_family"])}" />'
        f'<mj-text color="{q(brand["text_color"])}" />'
        f'<mj-button background-color="{q(brand["primary_color"])}" color="#ffffff" />'
        f'<mj-section background-color="{q(brand["content_background"])}" />'
        f'<mj-divider border-color="{q(brand["primary_color"])}" />'
        f'<mj-class name="heading" font-family="{q(heading)}" />'
        "</mj-attributes>"
        f"<mj-style>a {{ color: {brand['link_color']}; }}</mj-style>"
    )


def apply_brand(source: str, brand: dict | None = None) -> str:
    """The MJML with the brand injected; a template's own settings come later and win."""
    brand = brand or brand_context()
    head = brand_head(brand)
    if _HEAD_OPEN.search(source):
        source = _HEAD_OPEN.sub(lambda m: m.group(0) + head, source, count=1)
    else:
        opening = _MJML_OPEN.search(source)
        if opening is None:
            return source  # not MJML: the compiler reports it
        at = opening.end()
        source = f"{source[:at]}<mj-head>{head}</mj-head>{source[at:]}"

    def body(match: re.Match) -> str:
        attrs = match.group(1)
        if "background-color" in attrs.lower():
            return match.group(0)
        return f'<mj-body{attrs} background-color="{brand["background_color"]}">'

    return _BODY_OPEN.sub(body, source, count=1)


_PREVIEW = re.compile(r"<mj-preview\b[^>]*>(.*?)</mj-preview>", re.IGNORECASE | re.DOTALL)


def preheader_of(source: str) -> str:
    """The text of the MJML's <mj-preview> (the preheader inboxes show after the subject)."""
    match = _PREVIEW.search(source or "")
    return html_lib.unescape(match.group(1).strip()) if match else ""


def set_preheader(source: str, text: str) -> str:
    """The MJML with its <mj-preview> set to `text` (removed when empty)."""
    source = _PREVIEW.sub("", source)
    text = text.strip()
    if not text:
        return source
    preview = f"<mj-preview>{html_lib.escape(text, quote=False)}</mj-preview>"
    if _HEAD_OPEN.search(source):
        return _HEAD_OPEN.sub(lambda m: m.group(0) + preview, source, count=1)
    opening = _MJML_OPEN.search(source)
    if opening is None:
        return source
    at = opening.end()
    return f"{source[:at]}<mj-head>{preview}</mj-head>{source[at:]}"
