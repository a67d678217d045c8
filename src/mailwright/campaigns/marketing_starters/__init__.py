"""The starter library of marketing templates (SPEC §4.1): five MJML designs that use the brand
kit (its colours and fonts come from the mj-attributes injected at compile time, its logo is
placed in the header) and carry a preheader, alt texts and the compliance footer. A starter is
copied into an ordinary marketing template, edited like any other (in the block editor)."""

from __future__ import annotations

import html as html_lib
from pathlib import Path

from django.conf import settings

from mailwright.campaigns.models import Template
from mailwright.campaigns.templates import save_template
from mailwright.consent.brand import brand_context

HERE = Path(__file__).resolve().parent
STATIC_IMAGES = "/static/web/editor/"

STARTERS: dict[str, dict] = {
    "newsletter": {
        "name": "Newsletter",
        "subject": "What is new this month",
        "description": "A hero image, an introduction and two stories side by side.",
    },
    "announcement": {
        "name": "Announcement",
        "subject": "Introducing something new",
        "description": "A headline, one call to action and three short points.",
    },
    "offer": {
        "name": "Offer",
        "subject": "20% off until Sunday",
        "description": "A big discount, a code and two product cards.",
    },
    "event-invitation": {
        "name": "Event invitation",
        "subject": "You are invited: spring meetup",
        "description": "An event picture, when and where, and a registration button.",
    },
    "plain-letter": {
        "name": "Plain letter",
        "subject": "A note from our team",
        "description": "Just text, like a personal letter.",
    },
}


class UnknownStarter(LookupError):
    pass


def absolute(url: str) -> str:
    """A path on this server as the absolute URL an email needs."""
    return f"{settings.BASE_URL}{url}" if url.startswith("/") else url


def _header(brand: dict) -> str:
    if not brand.get("logo_url"):
        return (HERE / "_header.mjml").read_text()
    alt = html_lib.escape(brand.get("logo_alt") or "{{ organisation.name }}")
    src = html_lib.escape(absolute(brand["logo_url"]))
    return (
        '    <mj-section padding="20px 0 8px">\n      <mj-column>\n'
        f'        <mj-image src="{src}" alt="{alt}" width="160px" />\n'
        "      </mj-column>\n    </mj-section>\n"
    )


def source(key: str, brand: dict | None = None) -> str:
    """The starter's MJML with the brand's logo (or the organisation's name) in the header."""
    if key not in STARTERS:
        raise UnknownStarter(f"no starter named {key!r}; choose one of {', '.join(STARTERS)}")
    brand = brand or brand_context()
    text = (HERE / f"{key}.mjml").read_text()
    text = text.replace("[[header]]\n", _header(brand))
    text = text.replace("[[footer]]\n", (HERE / "_footer.mjml").read_text())
    return text.replace("[[static]]", absolute(STATIC_IMAGES))


def listing() -> list[dict]:
    return [{"key": key, **meta} for key, meta in STARTERS.items()]


def create_from_starter(key: str, name: str = "") -> Template:
    """A new marketing template copied from the starter, opened in the block editor."""
    mjml = source(key)
    meta = STARTERS[key]
    return save_template(
        name=name.strip() or meta["name"],
        subject=meta["subject"],
        mjml_source=mjml,
        editor="blocks",
        design=None,
    )
