"""Open and click tracking.

At compile time (once per campaign) links in the HTML become Jinja calls that make a signed
per-recipient URL, and the URLs are stored (CampaignLink): the click redirect only ever
sends people to a URL that was in the message, never to one taken from the request.
Tokens are compact HMACs (base-36 ids + 12 hex digits) so tracked URLs stay short.
"""

from __future__ import annotations

import hmac
import html as html_lib
import ipaddress
import re

from django.conf import settings

from mailwright.tokens import BadToken, _b36, short_mac

_HREF = re.compile(r'(<a\b[^>]*?\bhref\s*=\s*)(["\'])(.*?)\2', re.IGNORECASE | re.DOTALL)
_BODY_END = re.compile(r"</body\s*>", re.IGNORECASE)
UNTRACKED = ("unsubscribe_url", "preferences_url", "view_online_url", "{{", "{%")


def _mac(text: str) -> str:
    return short_mac("tracking", text)


def open_token(delivery_id: int, campaign_id: int) -> str:
    ref = f"{_b36(delivery_id)}.{_b36(campaign_id)}"
    return f"{ref}.{_mac('o' + ref)}"


def click_token(delivery_id: int, campaign_id: int, index: int) -> str:
    ref = f"{_b36(delivery_id)}.{_b36(campaign_id)}.{_b36(index)}"
    return f"{ref}.{_mac('c' + ref)}"


def _read(token: str, parts: int, kind: str) -> tuple[int, ...]:
    pieces = (token or "").lower().split(".")
    if len(pieces) != parts + 1 or len(token) > 80:
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


def rewrite(html: str, *, clicks: bool, opens: bool) -> tuple[str, list[str]]:
    """Return (html with tracking placeholders, the tracked URLs in index order)."""
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
            return f"{match.group(1)}{quote}{{{{ _mw_click({len(links) - 1}) }}}}{quote}"

        html = _HREF.sub(replace, html)
    if opens:
        pixel = (
            '<img src="{{ _mw_open() }}" width="1" height="1" alt="" '
            'style="display:block;width:1px;height:1px;border:0">'
        )
        html, found = _BODY_END.subn(pixel + "</body>", html, count=1)
        if not found:
            html += pixel
    return html, links


def urls_for(delivery_id: int, campaign_id: int) -> dict:
    base = f"{settings.BASE_URL}/t"
    return {
        "_mw_click": lambda i: f"{base}/c/{click_token(delivery_id, campaign_id, i)}",
        "_mw_open": lambda: f"{base}/o/{open_token(delivery_id, campaign_id)}.gif",
    }


# --- machines versus people -------------------------------------------------------------------

APPLE_PROXY = ipaddress.ip_network("17.0.0.0/8")  # Apple Mail Privacy Protection fetches
SCANNER_AGENTS = re.compile(
    r"bot|crawler|spider|preview|python-requests|curl/|wget|go-http-client|java/|"
    r"barracuda|proofpoint|mimecast|urldefense|safelinks|forcepoint|symantec|trend ?micro|"
    r"sophos|fireeye|cisco|ironport|msnbot|bingpreview|slackbot|headlesschrome",
    re.IGNORECASE,
)
SCANNER_CLICK_SECONDS = 10  # a click this soon after delivery is a security scanner's
BURST_LINKS = 3  # this many different links clicked within…
BURST_SECONDS = 2  # …this many seconds: a scanner following every link


def machine_reason(method: str, ip: str, user_agent: str) -> str:
    """Why a request looks automated from the request alone ("" if it does not)."""
    if method == "HEAD":
        return "HEAD request"
    try:
        if ip and ipaddress.ip_address(ip) in APPLE_PROXY:
            return "Apple Mail Privacy Protection proxy"
    except ValueError:
        pass
    if user_agent.strip() in ("", "Mozilla/5.0"):
        return "prefetcher (no real user agent)"
    if SCANNER_AGENTS.search(user_agent):
        return "security scanner or bot user agent"
    return ""
