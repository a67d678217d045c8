"""The rating row of an in-email survey (SPEC §5.4): `{{ survey_row("delivery") }}` in any
template (campaign or service) prints 5 stars (1-5) or 11 boxes (0-10, NPS), each a link to
`{BASE_URL}/s/<token>`.

The token (purpose "survey", no expiry: old mail keeps working) carries the survey key, the
scale, the score, the contact's id and what carried the row: the campaign (`m`; the delivery
is the campaign's one to that contact) or the service message (`x`), or the delivery itself
(`d`) when the render context has one. The surveys app (a higher layer) reads it; this module
touches no database, so it is safe in the delivery worker's render.

In the HTML part the row is an email-safe table (cells, inline styles, no script, no form:
it works in Outlook); in the text part it is a list of links. Without a real recipient (the
sample contact of previews and save checks, id 0, or a service message to an address that is
not a contact) the links are inert ("#").
"""

from __future__ import annotations

import re

from django.conf import settings
from jinja2 import pass_context
from markupsafe import Markup, escape

from mailwright import tokens

SCALES = {"stars": range(1, 6), "nps": range(0, 11)}
KEY = re.compile(r"^[a-z0-9][a-z0-9_-]{0,99}$")
STAR = "\u2605"  # ★
STAR_COLOR = "#f5a623"
MAX_QUESTION = 300


def _id(value) -> int | None:
    """An id from the context (a dict entry or attribute), or None."""
    if isinstance(value, dict):
        value = value.get("id")
    else:
        value = getattr(value, "id", None)
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        return None
    return value


def carrier(context) -> dict:
    """What the token says about the person and the message: {"c", and "d" | "m" | "x"}, or
    {} for a render without a real recipient (the links are then inert)."""
    contact = _id(context.get("contact"))
    if contact is None:
        return {}
    out = {"c": contact}
    for name, short in (("delivery", "d"), ("campaign", "m"), ("message", "x")):
        found = _id(context.get(name))
        if found is not None:
            out[short] = found
            break
    return out


def survey_link(key: str, scale: str, score: int, who: dict) -> str:
    if not who:
        return "#"
    token = tokens.make("survey", {"k": key, "sc": scale, "s": score, **who})
    return f"{settings.BASE_URL}/s/{token}"


def _check(key, scale, question) -> tuple[str, str, str]:
    if not isinstance(key, str) or not KEY.fullmatch(key):
        raise ValueError(
            "survey_row: the key must be 1 to 100 lowercase letters, digits, - or _"
            f" (e.g. 'delivery-feedback'), not {str(key)[:40]!r}"
        )
    if scale not in SCALES:
        raise ValueError(f"survey_row: scale must be 'stars' or 'nps', not {str(scale)[:20]!r}")
    question = "" if question is None else str(question)
    if len(question) > MAX_QUESTION:
        raise ValueError(f"survey_row: the question is longer than {MAX_QUESTION} characters")
    return key, scale, question


@pass_context
def survey_row(context, key, scale="stars", question=None):
    """The rating row for survey `key` on `scale` ("stars" or "nps"), with an optional
    question above it."""
    key, scale, question = _check(key, scale, question)
    who = carrier(context)
    links = [(score, survey_link(key, scale, score, who)) for score in SCALES[scale]]
    if context.eval_ctx.autoescape:
        return _html(scale, question, links)
    return _text(scale, question, links)


def _text(scale: str, question: str, links: list[tuple[int, str]]) -> str:
    lines = [question] if question else []
    for score, url in links:
        label = f"{score} {STAR * score}" if scale == "stars" else str(score)
        lines.append(f"{label}: {url}")
    return "\n".join(lines) + "\n"


_CELL = "padding:0 1px;text-align:center;"
_STAR_LINK = (
    f"display:inline-block;font-size:32px;line-height:36px;color:{STAR_COLOR};"
    "text-decoration:none;font-family:Arial,Helvetica,sans-serif;"
)
_BOX_LINK = (
    "display:inline-block;width:24px;padding:6px 0;font-size:14px;line-height:18px;"
    "font-weight:bold;color:#1f2937;background:#f2f4f7;border:1px solid #d0d5dd;"
    "border-radius:4px;text-decoration:none;text-align:center;"
    "font-family:Arial,Helvetica,sans-serif;"
)


def _html(scale: str, question: str, links: list[tuple[int, str]]) -> Markup:
    cells = []
    for score, url in links:
        if scale == "stars":
            title = f"{score} / 5"
            inner = STAR
            style = _STAR_LINK
        else:
            title = f"{score} / 10"
            inner = str(score)
            style = _BOX_LINK
        cells.append(
            f'<td style="{_CELL}"><a href="{escape(url)}" title="{title}" '
            f'style="{style}">{inner}</a></td>'
        )
    head = ""
    if question:
        head = (
            f'<tr><td colspan="{len(links)}" style="padding:0 1px 8px;font-size:16px;'
            f'line-height:22px;font-family:Arial,Helvetica,sans-serif;color:#1f2937;">'
            f"{escape(question)}</td></tr>"
        )
    # Every value in it is escaped above (the URLs, the question); the rest is ours.
    return Markup(  # noqa: S704
        '<table role="presentation" class="mw-survey" cellpadding="0" cellspacing="0" '
        'border="0" style="border-collapse:collapse;margin:12px 0;">'
        f"{head}<tr>{''.join(cells)}</tr></table>"
    )
