"""Sending limits that hold across every worker on every machine, coordinated through the
database: a relay's daily cap, its rate (messages per second), its concurrent connections,
per-destination-domain hourly caps with warm-up, and adaptive back-off after 421/451.

Every function here runs inside the caller's transaction or its own short one; on
PostgreSQL the counters are row-locked (SELECT … FOR UPDATE), on SQLite the IMMEDIATE
transaction already serializes writers.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from mailwright.delivery.models import DomainPolicy, RelaySlot, RelayState, UsageCounter

BACKOFF_START = 30
BACKOFF_MAX = 900
RATE_LIMIT_TEXT = re.compile(
    r"rate.?limit|too many|throttl|try again later|slow down|temporarily deferred|"
    r"exceeded|4\.7\.28|4\.7\.0 .*(limit|rate)",
    re.IGNORECASE,
)


def _locked(model, **lookup):
    """get_or_create, then lock the row for the rest of the transaction."""
    try:
        with transaction.atomic():
            model.objects.get_or_create(**lookup)
    except IntegrityError:
        pass
    return model.objects.select_for_update().get(**lookup)


def day_start(now: datetime | None = None) -> datetime:
    now = now or timezone.now()
    return now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def hour_start(now: datetime | None = None) -> datetime:
    now = now or timezone.now()
    return now.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


# --- daily cap ------------------------------------------------------------------------------


def reserve(scope: str, window: datetime, cap: int, want: int) -> int:
    """Take up to `want` units of `cap` in this window; returns how many were granted."""
    if want <= 0:
        return 0
    counter = _locked(UsageCounter, scope=scope, window_start=window)
    granted = max(0, min(want, cap - counter.used))
    if granted:
        counter.used += granted
        counter.save(update_fields=["used"])
    return granted


def release(scope: str, window: datetime, count: int) -> None:
    """Give back reserved units that were not used (messages not attempted)."""
    if count <= 0:
        return
    counter = _locked(UsageCounter, scope=scope, window_start=window)
    counter.used = max(0, counter.used - count)
    counter.save(update_fields=["used"])


def daily_used(relay_key: str) -> int:
    row = UsageCounter.objects.filter(scope=f"relay-day:{relay_key}", window_start=day_start())
    return row.values_list("used", flat=True).first() or 0


# --- rate -------------------------------------------------------------------------------------


def schedule(relay_key: str, rate: float, count: int) -> datetime:
    """Book `count` sends at `rate` per second; returns when this batch may start.
    Consecutive bookings never overlap, whichever worker makes them."""
    now = timezone.now()
    with transaction.atomic():
        state = _locked(RelayState, key=relay_key)
        start = max(now, state.next_send_at or now)
        state.next_send_at = start + timedelta(seconds=count / rate)
        state.save(update_fields=["next_send_at"])
    return start


# --- concurrent connections ------------------------------------------------------------------


def acquire_slot(relay_key: str, slots: int, owner: str, ttl: int) -> int | None:
    """Lease one of the relay's connection slots; None when all are taken."""
    now = timezone.now()
    with transaction.atomic():
        for number in range(slots):
            try:
                with transaction.atomic():
                    RelaySlot.objects.get_or_create(relay_key=relay_key, slot=number)
            except IntegrityError:
                pass
        free = (
            RelaySlot.objects.select_for_update()
            .filter(relay_key=relay_key, slot__lt=slots)
            .filter(Q(owner="") | Q(expires_at__lt=now) | Q(owner=owner))
            .order_by("slot")
            .first()
        )
        if free is None:
            return None
        free.owner = owner
        free.expires_at = now + timedelta(seconds=ttl)
        free.save(update_fields=["owner", "expires_at"])
        return free.slot


def renew_slot(relay_key: str, slot: int, owner: str, ttl: int) -> bool:
    return bool(
        RelaySlot.objects.filter(relay_key=relay_key, slot=slot, owner=owner).update(
            expires_at=timezone.now() + timedelta(seconds=ttl)
        )
    )


def release_slot(relay_key: str, slot: int, owner: str) -> None:
    RelaySlot.objects.filter(relay_key=relay_key, slot=slot, owner=owner).update(
        owner="", expires_at=None
    )


# --- destination domains ----------------------------------------------------------------------


def hourly_cap(policy: DomainPolicy, now: datetime | None = None) -> int:
    """The domain's cap for this hour, following its warm-up schedule."""
    now = now or timezone.now()
    if policy.warmup_start and policy.warmup_started_at:
        days = max(0, (now - policy.warmup_started_at).days)
        warm = int(policy.warmup_start * (policy.warmup_growth**days))
        return min(policy.hourly_cap, warm)
    return policy.hourly_cap


def capped_domains() -> set[str]:
    return set(DomainPolicy.objects.values_list("domain", flat=True))


def take_domain_allowance(domains: set[str], window: datetime) -> dict[str, int]:
    """For these capped domains, how many more may be sent this hour. Locks their counters
    until the caller's transaction ends, so two workers cannot both spend the same room."""
    out = {}
    for policy in DomainPolicy.objects.filter(domain__in=domains).order_by("domain"):
        counter = _locked(UsageCounter, scope=f"domain-hour:{policy.domain}", window_start=window)
        out[policy.domain] = max(0, hourly_cap(policy) - counter.used)
    return out


def count_domains(taken: dict[str, int], window: datetime) -> None:
    for domain, n in taken.items():
        UsageCounter.objects.filter(scope=f"domain-hour:{domain}", window_start=window).update(
            used=F("used") + n
        )


def throttled_domain_keys() -> list[str]:
    return list(
        RelayState.objects.filter(
            key__startswith="domain:", throttled_until__gt=timezone.now()
        ).values_list("key", flat=True)
    )


# --- adaptive back-off -------------------------------------------------------------------------


def looks_like_rate_limit(code: int | None, text: str) -> bool:
    return code in (421, 451) or bool(RATE_LIMIT_TEXT.search(text or ""))


def throttle(key: str, reason: str) -> datetime:
    """Back off `key` (a relay, or "domain:gmail.com"): 30 s, doubling to 15 min."""
    with transaction.atomic():
        state = _locked(RelayState, key=key[:64])
        now = timezone.now()
        if state.throttled_until and state.throttled_until > now:
            return state.throttled_until  # other lanes hit the same wall: one back-off
        state.backoff_seconds = min(BACKOFF_MAX, max(BACKOFF_START, state.backoff_seconds * 2))
        state.throttled_until = now + timedelta(seconds=state.backoff_seconds)
        state.last_error = reason[:1000]
        state.save(update_fields=["backoff_seconds", "throttled_until", "last_error"])
    return state.throttled_until


def recover(keys: set[str]) -> None:
    """A success after back-off: start the next back-off from the beginning again."""
    if keys:
        RelayState.objects.filter(key__in=keys, backoff_seconds__gt=0).update(backoff_seconds=0)


def throttled(keys: set[str]) -> set[str]:
    if not keys:
        return set()
    return set(
        RelayState.objects.filter(key__in=keys, throttled_until__gt=timezone.now()).values_list(
            "key", flat=True
        )
    )
