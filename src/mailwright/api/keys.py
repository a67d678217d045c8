"""Create and check API keys. The key is shown once; only its SHA-256 digest is stored
(keys are 256-bit random, so a fast hash is enough: there is nothing to brute-force)."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from django.db import transaction
from django.utils import timezone

from mailwright.api.models import ApiKey
from mailwright.audit import log as audit
from mailwright.audit.actors import Actor

KEY_PREFIX = "mw_"
CLI = Actor(channel="cli", actor="mailwright apikey")


def digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


@transaction.atomic
def create(name: str, *, scope: str = ApiKey.Scope.FULL, by: Actor = CLI) -> tuple[ApiKey, str]:
    """A new key: (its record, the key itself, which is never stored or logged). `scope`:
    "full", or "send" (service messages only)."""
    name = name.strip()
    if not name or len(name) > 100:
        raise ValueError("the key name must be 1-100 characters")
    if scope not in ApiKey.Scope.values:
        raise ValueError(f"the scope must be one of {', '.join(ApiKey.Scope.values)}")
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    record = ApiKey.objects.create(name=name, prefix=key[:10], digest=digest(key), scope=scope)
    audit.record(
        by,
        "api_key.create",
        "api_key",
        record.pk,
        after={"name": name, "prefix": key[:10], "scope": scope},
    )
    return record, key


def authenticate(key: str) -> ApiKey | None:
    if not key or len(key) > 200 or not key.startswith(KEY_PREFIX):
        return None
    wanted = digest(key)
    record = ApiKey.objects.filter(digest=wanted, revoked_at__isnull=True).first()
    if record is None or not hmac.compare_digest(record.digest, wanted):
        return None
    now = timezone.now()
    if record.last_used_at is None or (now - record.last_used_at).total_seconds() > 60:
        ApiKey.objects.filter(pk=record.pk).update(last_used_at=now)
    return record


@transaction.atomic
def revoke(key_id: int, *, by: Actor = CLI) -> bool:
    revoked = ApiKey.objects.filter(pk=key_id, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    if revoked:
        audit.record(by, "api_key.revoke", "api_key", key_id, after={"revoked": True})
    return bool(revoked)
