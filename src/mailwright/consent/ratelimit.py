"""Fixed-window rate limits kept in the database, so every web process shares them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from mailwright.consent.models import RateCounter
from mailwright.contacts.addresses import mailbox_key


def hit(key: str, limit: int, window_seconds: int) -> bool:
    """Count one event for `key`; True while the count in this window is within `limit`."""
    now = timezone.now()
    epoch = int(now.timestamp()) // window_seconds * window_seconds
    window_start = datetime.fromtimestamp(epoch, tz=UTC)
    key = key[:200]
    with transaction.atomic():
        updated = RateCounter.objects.filter(key=key, window_start=window_start).update(
            count=F("count") + 1
        )
        if not updated:
            try:
                with transaction.atomic():
                    RateCounter.objects.create(key=key, window_start=window_start, count=1)
            except IntegrityError:
                RateCounter.objects.filter(key=key, window_start=window_start).update(
                    count=F("count") + 1
                )
        count = RateCounter.objects.get(key=key, window_start=window_start).count
    if count == 1 and now.second == 0:
        # Now and then, drop windows that ended long ago.
        RateCounter.objects.filter(window_start__lt=now - timedelta(days=2)).delete()
    return count <= limit


def optin_email_allowed(email: str) -> bool:
    """Count one opt-in email for the mailbox behind `email`; False past
    MW_FORM_LIMIT_PER_ADDRESS an hour. Keyed on the mailbox (addresses.mailbox_key), so
    `ａｎａ@`, `𝐚𝐧𝐚@`, `ANA@` and `ana+1@` share one count (anti mail-bombing)."""
    return hit(f"form-addr:{mailbox_key(email)}", settings.FORM_LIMIT_PER_ADDRESS, 3600)
