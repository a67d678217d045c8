"""The one place that signs and verifies public tokens. Every token is purpose-bound:
a token made for one purpose never verifies for another."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

from django.conf import settings
from django.core import signing

# purpose -> max age in seconds (None: no expiry; such links must keep working in old mail)
PURPOSES: dict[str, int | None] = {
    "unsubscribe": None,
    "preferences": None,
    "view_online": None,
    "optin": 7 * 24 * 3600,
    "survey": None,  # a rating row's link: a score for one survey, person and message
}


class BadToken(Exception):
    """Forged, tampered, expired or made for another purpose."""


_derived: dict[tuple[str, str], bytes] = {}


def _signing_key(salt: str) -> bytes:
    """Django's salted_hmac key for this salt and the current SECRET_KEY, derived once
    (deriving it costs a SHA-256 per token; bulk sending makes three tokens per message)."""
    secret = settings.SECRET_KEY
    key = _derived.get((salt, secret))
    if key is None:
        if len(_derived) > 64:
            _derived.clear()
        key = _derived[(salt, secret)] = hashlib.sha256(f"{salt}signer{secret}".encode()).digest()
    return key


def make(purpose: str, payload: dict) -> str:
    """The same token as `django.core.signing.dumps(payload, salt=…)` (a TimestampSigner
    over compact JSON, HMAC-SHA256), made without re-deriving the key every time; `read`
    verifies it with Django's signing (tests check that both agree)."""
    if purpose not in PURPOSES:
        raise ValueError(f"unknown token purpose {purpose!r}")
    data = json.dumps(payload, separators=(",", ":")).encode("latin-1")
    value = f"{signing.b64_encode(data).decode()}:{signing.b62_encode(int(time.time()))}"
    mac = hmac.digest(_signing_key(f"mailwright.token.{purpose}"), value.encode(), "sha256")
    return f"{value}:{signing.b64_encode(mac).decode()}"


def read(purpose: str, token: str) -> dict:
    if purpose not in PURPOSES:
        raise ValueError(f"unknown token purpose {purpose!r}")
    if not isinstance(token, str) or len(token) > 2000:
        raise BadToken("token is missing or too long")
    try:
        payload = signing.loads(
            token, salt=f"mailwright.token.{purpose}", max_age=PURPOSES[purpose]
        )
    except signing.SignatureExpired:
        raise BadToken("token has expired") from None
    except (signing.BadSignature, ValueError, UnicodeDecodeError):
        raise BadToken("token is not valid") from None
    if not isinstance(payload, dict):
        raise BadToken("token is not valid")
    return payload


# --- VERP ---------------------------------------------------------------------------------
# The bounce address must be short and survive case-folding by MTAs, so it is not a
# django.core.signing token: base-36 delivery id, a dash, 12 hex digits of an HMAC.

_B36 = "0123456789abcdefghijklmnopqrstuvwxyz"


def _b36(n: int) -> str:
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = _B36[r] + out
        if n == 0:
            return out


def short_mac(purpose: str, text: str, *, key: bytes | None = None) -> str:
    """12 hex digits of an HMAC bound to `purpose`: for tokens that must stay short and
    survive case-folding (VERP addresses, tracking URLs), where django.core.signing is too
    long. `key`: short_mac_key(purpose), for callers making many MACs at once."""
    key = key or short_mac_key(purpose)
    return hmac.digest(key, text.encode(), "sha256").hex()[:12]


def short_mac_key(purpose: str) -> bytes:
    """The HMAC key of `short_mac` for `purpose` (callers making many MACs fetch it once)."""
    return f"mailwright.token.{purpose}:{settings.SECRET_KEY}".encode()


def _verp_mac(ref: str) -> str:
    return short_mac("verp", ref)


def verp_token(delivery_id: int) -> str:
    ref = _b36(delivery_id)
    return f"{ref}-{_verp_mac(ref)}"


def read_verp(token: str) -> int:
    """The delivery id inside a VERP token; BadToken if forged or malformed."""
    token = (token or "").strip().lower()
    ref, sep, mac = token.partition("-")
    if not sep or not ref or len(ref) > 13 or any(ch not in _B36 for ch in ref):
        raise BadToken("not a VERP token")
    if not hmac.compare_digest(mac, _verp_mac(ref)):
        raise BadToken("VERP token signature does not match")
    return int(ref, 36)


def verp_address(delivery_id: int, domain: str) -> str:
    return f"bounce+{verp_token(delivery_id)}@{domain}"
