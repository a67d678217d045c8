"""Tracked links: the open pixel and click addresses put into outgoing mail, and reading
them back (the tracking endpoints in feedback record what they see).

At compile time (once per campaign) links in the HTML become placeholders, and the URLs are
stored (CampaignLink): the click redirect only ever sends people to a URL that was in the
message, never to one taken from the request. After each recipient's render, `fill` puts a
signed per-recipient URL in every placeholder (one regex pass, no template calls).
Tokens are compact HMACs (base-36 ids + 12 hex digits) so tracked URLs stay short.
"""

from __future__ import annotations

import hmac
import html as html_lib
import re
import secrets

from django.conf import settings
from django.utils.encoding import iri_to_uri

from mailwright.tokens import BadToken, _b36, short_mac, short_mac_key

_HREF = re.compile(r'(<a\b[^>]*?\bhref\s*=\s*)(["\'])(.*?)\2', re.IGNORECASE | re.DOTALL)
_BODY_END = re.compile(r"</body\s*>", re.IGNORECASE)
UNTRACKED = ("unsubscribe_url", "preferences_url", "view_online_url", "{{", "{%")
# Placeholders carry a per-process nonce, so text from a contact's data can never pose as one.
_NONCE = secrets.token_hex(6)
_PLACEHOLDER = re.compile(f"\x1a{_NONCE}(?:c([0-9]+)|o)\x1a")


def click_placeholder(index: int) -> str:
    return f"\x1a{_NONCE}c{index}\x1a"


def open_placeholder() -> str:
    return f"\x1a{_NONCE}o\x1a"


def _mac(text: str) -> str:
    return short_mac("tracking", text)


def open_token(delivery_id: int, campaign_id: int) -> str:
    ref = f"{_b36(delivery_id)}.{_b36(campaign_id)}"
    return f"{ref}.{_mac('o' + ref)}"


def click_token(delivery_id: int, campaign_id: int, index: int) -> str:
    ref = f"{_b36(delivery_id)}.{_b36(campaign_id)}.{_b36(index)}"
    return f"{ref}.{_mac('c' + ref)}"


def _read(token: str, parts: int, kind: str) -> tuple[int, ...]:
    token = token or ""
    # Tokens are ASCII; anything else (é, fullwidth digits, U+FFFD from bad UTF-8) is forged,
    # and compare_digest refuses non-ASCII text with a TypeError.
    if len(token) > 80 or not token.isascii():
        raise BadToken("not a tracking token")
    pieces = token.lower().split(".")
    if len(pieces) != parts + 1:
        raise BadToken("not a tracking token")
    *ids, mac = pieces
    ref = ".".join(ids)
    if not hmac.compare_digest(mac, _mac(kind + ref)):
        raise BadToken("tracking token signature does not match")
    try:
        return tuple(int(i, 36) for i in ids)
    except ValueError:
        raise BadToken("not a tracking token") from None


def read_open(token: str) -> tuple[int, int]:
    return _read(token, 2, "o")


def read_click(token: str) -> tuple[int, int, int]:
    return _read(token, 3, "c")


_TAB_NEWLINE = str.maketrans("", "", "\t\r\n")
_C0_AND_SPACE = "".join(map(chr, range(0x21)))


def redirect_target(url: str) -> str | None:
    """The Location for a stored link, or None if it cannot be one.

    Like a browser reading the href: tabs and line breaks are removed anywhere, control
    characters and spaces at the ends are stripped; then everything a header must not carry
    (other controls, spaces, non-ASCII) is percent-encoded. So a link written with
    `&#13;&#10;` can never inject a header or break the response."""
    cleaned = (url or "").translate(_TAB_NEWLINE).strip(_C0_AND_SPACE)
    if not cleaned.lower().startswith(("http://", "https://")):
        return None
    location = iri_to_uri(cleaned)
    if not location.isascii() or any(ord(ch) < 0x21 or ord(ch) == 0x7F for ch in location):
        return None  # iri_to_uri encodes all of these; never trust that silently
    return location


def rewrite(html: str, *, clicks: bool, opens: bool, first: int = 0) -> tuple[str, list[str]]:
    """Return (html with tracking placeholders, the tracked URLs in index order; the first
    has index `first`)."""
    links: list[str] = []
    if clicks:

        def replace(match: re.Match) -> str:
            raw = match.group(3).strip()
            if not raw.lower().startswith(("http://", "https://")) or any(
                marker in raw for marker in UNTRACKED
            ):
                return match.group(0)
            links.append(html_lib.unescape(raw))
            quote = match.group(2)
            return f"{match.group(1)}{quote}{click_placeholder(first + len(links) - 1)}{quote}"

        html = _HREF.sub(replace, html)
    if opens:
        pixel = (
            f'<img src="{open_placeholder()}" width="1" height="1" alt="" '
            'style="display:block;width:1px;height:1px;border:0">'
        )
        html, found = _BODY_END.subn(pixel + "</body>", html, count=1)
        if not found:
            html += pixel
    return html, links


def fill(
    rendered: str,
    delivery_id: int,
    campaign_id: int,
    *,
    html: bool = True,
    macs: dict | None = None,
) -> str:
    """Replace the placeholders of a rendered part (the HTML, or a text part made from it)
    with this recipient's signed URLs. `macs`: one dict shared by a message's parts, so a
    link present in both is signed once."""
    if "\x1a" not in rendered:
        return rendered
    base = f"{settings.BASE_URL}/t"
    if html:
        base = html_lib.escape(base)
    ref = f"{_b36(delivery_id)}.{_b36(campaign_id)}"
    key = short_mac_key("tracking")  # the same MACs as open_token/click_token, key fetched once
    macs = {} if macs is None else macs

    def url(match: re.Match) -> str:
        index = match.group(1)
        signed = macs.get(index)
        if signed is None:
            if index is None:
                signed = f"o/{ref}.{short_mac('tracking', 'o' + ref, key=key)}.gif"
            else:
                link = f"{ref}.{_b36(int(index))}"
                signed = f"c/{link}.{short_mac('tracking', 'c' + link, key=key)}"
            macs[index] = signed
        return f"{base}/{signed}"

    return _PLACEHOLDER.sub(url, rendered)
