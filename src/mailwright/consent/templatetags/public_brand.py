"""The brand kit on the public pages (consent/base.html): `{% brand_style %}` in the head
(colours and fonts as CSS custom properties, then the brand's own CSS, sanitised) and
`{% brand_logo %}` at the top of the card. Nothing is added until a brand is saved, so the
pages keep their own look until then."""

from __future__ import annotations

from urllib.parse import urlsplit

from django import template
from django.conf import settings
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from mailwright.consent.brand import current_brand
from mailwright.consent.organisation import current as current_organisation
from mailwright.consent.public_css import css_color, css_font_family, sanitize_public_css

register = template.Library()

DEFAULTS = {
    "primary": "#1d4ed8",
    "text": "#1c2430",
    "background": "#f3f4f6",
    "content": "#ffffff",
    "link": "#1d4ed8",
    "font": 'system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif',
}


def _saved_brand():
    brand = current_brand()
    return None if brand._state.adding else brand


def _luminance(hex_color: str) -> float:
    value = hex_color.lstrip("#")
    if len(value) == 3:
        value = "".join(c * 2 for c in value)
    channels = [int(value[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def on_color(background: str) -> str:
    """White or near-black text, whichever reads better on `background`."""
    lum = _luminance(background)
    return "#ffffff" if (1.05 / (lum + 0.05)) >= ((lum + 0.05) / 0.0625) else "#111827"


def brand_css(brand) -> str:
    """The <style> contents for a saved brand."""
    primary = css_color(brand.primary_color, DEFAULTS["primary"])
    font = css_font_family(brand.font_family, DEFAULTS["font"])
    variables = {
        "--mw-primary": primary,
        "--mw-on-primary": on_color(primary),
        "--mw-text": css_color(brand.text_color, DEFAULTS["text"]),
        "--mw-background": css_color(brand.background_color, DEFAULTS["background"]),
        "--mw-content-background": css_color(brand.content_background, DEFAULTS["content"]),
        "--mw-link": css_color(brand.link_color, DEFAULTS["link"]),
        "--mw-font": font,
        "--mw-heading-font": css_font_family(brand.heading_font_family, font),
    }
    # Secondary text: the text colour toned towards the card's background.
    variables["--mw-muted"] = (
        f"color-mix(in srgb, {variables['--mw-text']} 78%, {variables['--mw-content-background']})"
    )
    root = ":root {\n" + "".join(f"  {k}: {v};\n" for k, v in variables.items()) + "}\n"
    own_host = urlsplit(settings.BASE_URL).netloc
    return root + sanitize_public_css(brand.public_css, own_host)


@register.simple_tag
def brand_style() -> str:
    brand = _saved_brand()
    if brand is None:
        return ""
    # Safe by construction: checked colours and fonts, and sanitize_public_css's output.
    return mark_safe(f'<style id="brand">\n{brand_css(brand)}</style>')  # noqa: S308


def _logo_src(url: str) -> str:
    url = (url or "").strip()
    parts = urlsplit(url)
    if parts.scheme in ("http", "https") and parts.netloc:
        return url
    if url.startswith("/") and not url.startswith("//"):
        return url
    return ""


@register.simple_tag
def brand_logo() -> str:
    brand = _saved_brand()
    src = _logo_src(brand.logo_url) if brand else ""
    if not src:
        return ""
    alt = brand.logo_alt.strip() or current_organisation().name
    return format_html('<img class="brand-logo" src="{}" alt="{}">', src, alt)
