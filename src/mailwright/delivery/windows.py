"""The per-contact local-time window (SPEC §4.6): "09:00–11:00 in each contact's time zone".
When a campaign's audience is frozen, each delivery's next_attempt_at is moved into the next
such window in its contact's time zone, spread evenly over it by a hash of the contact id,
so the send is spread over the day as the zones come round. One UPDATE per time zone."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.db import connection

from mailwright.campaigns.models import Campaign
from mailwright.contacts.models import Contact
from mailwright.delivery.models import Delivery

SPREAD = 7919  # a prime: consecutive contact ids land far apart in the window


def zone(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name) if name else None
    except (ZoneInfoNotFoundError, ValueError):
        return None


def default_zone() -> ZoneInfo:
    """The organisation's default time zone (MW_TIME_ZONE / settings.TIME_ZONE, UTC)."""
    return zone(settings.TIME_ZONE) or ZoneInfo("UTC")


def next_window(tz: ZoneInfo, start: time, end: time, now: datetime) -> tuple[datetime, int]:
    """(begin in UTC, seconds) of the window in `tz` that ends next after `now`; a window
    already open begins now. An end before the start means the window crosses midnight."""
    today = now.astimezone(tz).date()
    for offset in (-1, 0, 1, 2):
        day = today + timedelta(days=offset)
        begin = datetime.combine(day, start, tzinfo=tz).astimezone(UTC)
        end_day = day if end > start else day + timedelta(days=1)
        finish = datetime.combine(end_day, end, tzinfo=tz).astimezone(UTC)
        if finish > now:
            begin = max(begin, now)
            return begin, max(1, int((finish - begin).total_seconds()))
    raise AssertionError("unreachable: a window ends within two days")


def _shift_sql() -> str:
    if connection.vendor == "postgresql":
        return f"%s + ((contact_id * {SPREAD}) %% %s) * interval '1 second'"
    return (
        "strftime('%%Y-%%m-%%d %%H:%%M:%%f', %s,"
        f" '+' || ((contact_id * {SPREAD}) %% %s) || ' seconds')"
    )


def spread(campaign: Campaign, frozen_at: datetime) -> int:
    """Move the deliveries frozen at `frozen_at` into their contacts' windows; returns how
    many time zones (UPDATEs). Unknown or invalid zones use the organisation's default."""
    if campaign.window_start is None or campaign.window_end is None:
        return 0
    rows = Delivery.objects.filter(campaign_id=campaign.pk, created_at=frozen_at)
    names = set(
        Contact.objects.filter(pk__in=rows.values("contact_id"))
        .values_list("time_zone", flat=True)
        .distinct()
    )
    fallback = default_zone()
    groups: dict[str, list[str]] = {}
    for name in names:
        key = name if zone(name) is not None else fallback.key
        groups.setdefault(key, []).append(name)
    ts = connection.ops.adapt_datetimefield_value
    table, contacts = Delivery._meta.db_table, Contact._meta.db_table
    with connection.cursor() as cursor:
        for key, members in groups.items():
            begin, seconds = next_window(
                zone(key) or fallback, campaign.window_start, campaign.window_end, frozen_at
            )
            marks = ", ".join(["%s"] * len(members))
            cursor.execute(
                f"UPDATE {table} SET next_attempt_at = {_shift_sql()}"  # noqa: S608
                f" WHERE campaign_id = %s AND created_at = %s AND contact_id IN"
                f" (SELECT id FROM {contacts} WHERE time_zone IN ({marks}))",
                [ts(begin), seconds, campaign.pk, ts(frozen_at), *members],
            )
    return len(groups)
