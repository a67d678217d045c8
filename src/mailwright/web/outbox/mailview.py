"""Read a captured message for display: headers, HTML and text parts. Any message, however
malformed, yields something to show; problems are listed instead of raised.

The HTML preview never reaches our tracking endpoints: looking at a captured message is not
the recipient opening it or clicking in it (see `without_tracking`)."""

from __future__ import annotations

import email
import email.policy
import html as html_lib
import re
from dataclasses import dataclass, field

from django.conf import settings

from mailwright.delivery import tracked_links
from mailwright.feedback.tracking_views import link_url, parse_click
from mailwright.tokens import BadToken

SUMMARY_HEADERS = ("From", "To", "Subject", "Date", "Message-ID", "List-Unsubscribe")
MAX_SOURCE_CHARS = 2_000_000


@dataclass
class ParsedMessage:
    headers: list[tuple[str, str]] = field(default_factory=list)
    html: str | None = None
    text: str | None = None
    source: str = ""
    source_truncated: bool = False
    problems: list[str] = field(default_factory=list)


def _header(msg, name: str) -> str:
    try:
        value = msg.get(name)
        return "" if value is None else " ".join(str(value).split())
    except Exception:  # a header the policy cannot parse: show it as it came
        try:
            raw = msg.get_all(name, failobj=[""])[0]
            return " ".join(str(raw).split())
        except Exception:
            return ""


def _part_content(part) -> str:
    try:
        content = part.get_content()
        if isinstance(content, bytes):
            return content.decode("utf-8", "replace")
        return str(content)
    except Exception:  # unknown charset, bad transfer encoding, ...
        payload = part.get_payload(decode=True)
        if isinstance(payload, bytes):
            return payload.decode("utf-8", "replace")
        return str(part.get_payload() or "")


def _body(msg, kind: str, problems: list[str]) -> str | None:
    try:
        part = msg.get_body(preferencelist=(kind,))
    except Exception as exc:
        problems.append(f"could not find the {kind} part: {exc}")
        return None
    if part is None:
        return None
    try:
        return _part_content(part)
    except Exception as exc:
        problems.append(f"could not decode the {kind} part: {exc}")
        return None


def parse(raw: bytes) -> ParsedMessage:
    out = ParsedMessage()
    source = raw.decode("utf-8", "replace")
    if len(source) > MAX_SOURCE_CHARS:
        source, out.source_truncated = source[:MAX_SOURCE_CHARS], True
    out.source = source
    try:
        msg = email.message_from_bytes(raw, policy=email.policy.default)
    except Exception as exc:
        out.problems.append(f"the message could not be parsed: {exc}")
        return out
    for defect in getattr(msg, "defects", []) or []:
        out.problems.append(f"{type(defect).__name__}: {defect}")
    out.headers = [(name, _header(msg, name)) for name in SUMMARY_HEADERS]
    out.html = _body(msg, "html", out.problems)
    out.text = _body(msg, "plain", out.problems)
    return out


# --- tracking in the preview ----------------------------------------------------------------

# Any URL whose path is an open pixel or a click redirect, whatever its host (BASE_URL may
# have changed since the message was sent). Group 1: o or c; group 2: the token.
_URL = r"""(?:https?:)?//[^\s"'<>()\\]+?/t/([oc])/([0-9a-z]+(?:\.[0-9a-z]+){2,4})"""
_TRACKING_URL = re.compile(_URL, re.IGNORECASE)
_IMG = re.compile(r"""<img\b[^>]*?\bsrc\s*=\s*["']?(""" + _URL + r""")[^>]*>""", re.IGNORECASE)
_PIXEL_DATA = "data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7"
_NOWHERE = "#tracking-link-removed-in-preview"
# For the preview frame. CSP cannot allow remote images but one path, so this cannot forbid
# the pixel by itself: `without_tracking` removes our URLs before the frame sees them.
CSP = (
    "sandbox; default-src 'none'; img-src data: https: http:; style-src 'unsafe-inline';"
    " form-action 'none'; base-uri 'none'"
)


def _ours(url: str) -> bool:
    base = settings.BASE_URL
    return url.startswith((base + "/t/", html_lib.escape(base) + "/t/"))


def _open_pixel(url: str, token: str) -> bool:
    token = token[:-4] if token.lower().endswith(".gif") else token
    try:
        tracked_links.read_open(token)
    except BadToken:
        return _ours(url)
    return True


def _replace(match: re.Match) -> str:
    url, kind, token = match.group(0), match.group(1).lower(), match.group(2)
    if kind == "o":
        return _PIXEL_DATA if _open_pixel(url, token) else url
    ids = parse_click(token)
    if ids is None:
        return _NOWHERE if _ours(url) else url
    destination = link_url(ids[1], ids[2])
    return html_lib.escape(destination) if destination else _NOWHERE


def without_tracking(html: str) -> str:
    """The HTML with our open pixel removed and every click-tracking link pointing straight
    at its destination (the campaign's stored link), so a preview records no open and no
    click. Signed tokens are recognised on any host; unsigned look-alikes only on ours."""

    def drop_pixel(match: re.Match) -> str:
        is_pixel = match.group(2).lower() == "o" and _open_pixel(match.group(1), match.group(3))
        return "" if is_pixel else match.group(0)

    return _TRACKING_URL.sub(_replace, _IMG.sub(drop_pixel, html))


def preview_html(raw: bytes) -> str | None:
    """The HTML part to show in the preview frame, tracking removed (None: no HTML part)."""
    html = parse(raw).html
    return None if html is None else without_tracking(html)
