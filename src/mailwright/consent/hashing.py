"""Salted address hashes: what stays of a person after erasure, so they cannot be re-added."""

from __future__ import annotations

import hmac
import secrets
from functools import lru_cache

from django.db import IntegrityError, transaction

from mailwright.contacts.addresses import email_key


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


def _hmac(text: str) -> str:
    # hmac.digest: the one-shot C implementation, the same bytes as hmac.new(...).digest().
    return hmac.digest(_salt(), text.encode("utf-8", "surrogatepass"), "sha256").hex()


def address_hash(email: str) -> str:
    """HMAC-SHA256 of the address's key (contacts.addresses.email_key: local part
    case-insensitive) under this installation's salt."""
    return _hmac(email_key(email))


def address_hashes(email: str) -> list[str]:
    """The hashes an entry for this address may carry: the key's, and, for a spelling with
    capitals, the spelling's own (erasures recorded before keys were case-insensitive)."""
    key = email_key(email)
    return [_hmac(key)] if key == email else [_hmac(key), _hmac(email)]


def reset_cache() -> None:
    """For tests, whose databases are recreated under a running process."""
    _salt.cache_clear()
