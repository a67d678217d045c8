"""Finding our VERP token (bounce+TOKEN@bounce-domain) in a message. The token is only
extracted here; the caller verifies it with mailwright.tokens.read_verp."""

from __future__ import annotations

import re
from collections.abc import Iterable

VERP_RE = re.compile(r"(?:^|[<\s,;:\"'(])bounce\+([0-9a-z][0-9a-z-]{0,80})@", re.I)


def token_in(value: str | None) -> str | None:
    m = VERP_RE.search(value or "")
    return m.group(1).lower() if m else None


def first_token(values: Iterable[str | None]) -> str | None:
    for value in values:
        token = token_in(value)
        if token:
            return token
    return None


def is_ours(address: str | None, bounce_domains: set[str]) -> bool:
    """True for an address of our own bounce handling (a VERP address or any address at a
    bounce domain): such an address is never a contact to suppress."""
    if not address:
        return False
    local, _, domain = address.lower().rpartition("@")
    return local.startswith("bounce+") or domain.strip(". >") in bounce_domains
