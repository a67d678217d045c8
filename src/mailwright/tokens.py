"""The one place that signs and verifies public tokens. Every token is purpose-bound:
a token made for one purpose never verifies for another."""

from __future__ import annotations

from django.core import signing

# purpose -> max age in seconds (None: no expiry; such links must keep working in old mail)
PURPOSES: dict[str, int | None] = {
    "unsubscribe": None,
    "preferences": None,
    "view_online": None,
    "optin": 7 * 24 * 3600,
}


class BadToken(Exception):
    """Forged, tampered, expired or made for another purpose."""


def make(purpose: str, payload: dict) -> str:
    if purpose not in PURPOSES:
        raise ValueError(f"unknown token purpose {purpose!r}")
    return signing.dumps(payload, salt=f"mailwright.token.{purpose}", compress=False)


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
