"""Salted address hashes: what stays of a person after erasure, so they cannot be re-added."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from functools import lru_cache

from django.db import IntegrityError, transaction


@lru_cache(maxsize=1)
def _salt() -> bytes:
    from mailwright.consent.models import PrivacySalt

    row = PrivacySalt.objects.filter(id=1).first()
    if row is None:
        try:
            with transaction.atomic():
                row = PrivacySalt.objects.create(id=1, salt=secrets.token_hex(32))
        except IntegrityError:
            row = PrivacySalt.objects.get(id=1)
    return row.salt.encode()


def address_hash(email: str) -> str:
    """HMAC-SHA256 of the normalized address under this installation's salt."""
    return hmac.new(_salt(), email.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()


def reset_cache() -> None:
    """For tests, whose databases are recreated under a running process."""
    _salt.cache_clear()
