"""The brand kit as the rest of the code reads it (SPEC §4.1): the one Brand row, or its
defaults when none was saved. Changing it goes through an audited action."""

from __future__ import annotations

from mailwright.consent.models import Brand


def current_brand() -> Brand:
    """The saved brand kit, or an unsaved one with the default values."""
    return Brand.objects.filter(pk=1).first() or Brand(pk=1)


def brand_context(brand: Brand | None = None) -> dict:
    """The brand as templates see it (the `brand` name in emails and public pages)."""
    brand = brand or current_brand()
    return {
        "logo_url": brand.logo_url,
        "logo_alt": brand.logo_alt,
        "primary_color": brand.primary_color,
        "text_color": brand.text_color,
        "background_color": brand.background_color,
        "content_background": brand.content_background,
        "link_color": brand.link_color,
        "font_family": brand.font_family,
        "heading_font_family": brand.heading_font_family or brand.font_family,
        "footer_text": brand.footer_text,
    }
