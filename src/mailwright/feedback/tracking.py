"""Open and click tracking: telling machines (privacy proxies, security scanners,
prefetchers) from people. The tracked addresses themselves are made in
`delivery.tracked_links`."""

from __future__ import annotations

import ipaddress
import re

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
