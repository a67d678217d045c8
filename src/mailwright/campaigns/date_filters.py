"""Date filters for templates, in the recipient's language and time zone (SPEC §4.2).

    {{ contact.created_at|date }}              Mar 6, 2026      (en, "medium")
    {{ contact.created_at|date("long") }}      6 marca 2026     (pl)
    {{ contact.created_at|datetime("short") }} 6.03.2026 00:30  (tr, Europe/Istanbul)
    {{ contact.attributes.renewal|date("d MMMM y") }}  an ISO string attribute works too

Formats are Babel's: "short", "medium", "long", "full", or a CLDR pattern ("d MMMM y").
The language and time zone are the contact's (context["contact"]), else English and UTC.
A bad pattern or a value that is not a date is a template error naming the filter, never a
crash; patterns are short and the output is small, so the render budget only ticks."""

from __future__ import annotations

import datetime as dt
import functools
import zoneinfo

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_datetime
from jinja2 import Undefined, pass_context
from jinja2.exceptions import TemplateRuntimeError

from mailwright.campaigns.render_budget import tick

NAMED = frozenset({"short", "medium", "long", "full"})
MAX_PATTERN = 64


class DateFilterError(TemplateRuntimeError):
    """A date filter got a bad format or a value that is not a date."""


@functools.lru_cache(maxsize=64)
def _locale(language: str) -> Locale:
    try:
        return Locale.parse((language or "en").replace("-", "_"))
    except (UnknownLocaleError, ValueError, TypeError):
        return Locale.parse("en")


@functools.lru_cache(maxsize=1024)
def zone(name: str) -> dt.tzinfo | None:
    """The time zone called `name`, or None if there is none by that name."""
    try:
        return zoneinfo.ZoneInfo(name) if name else None
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError):
        return None


def _who(context) -> tuple[Locale, dt.tzinfo]:
    contact = context.get("contact")
    contact = contact if isinstance(contact, dict) else {}
    language = contact.get("language")
    tz = zone(contact.get("time_zone") or "UTC") or dt.UTC
    return _locale(language if isinstance(language, str) else "en"), tz


def _value(value, name: str):
    """A datetime or a date from what the template gave (ISO strings included)."""
    if isinstance(value, dt.datetime | dt.date):
        return value
    if isinstance(value, str):
        text = value.strip()
        if len(text) <= 40:
            try:
                return (
                    dt.date.fromisoformat(text)
                    if len(text) == 10
                    else dt.datetime.fromisoformat(text)
                )
            except ValueError:
                pass
    shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:40] + "…"
    raise DateFilterError(f"|{name}: {shown} is not a date (give a date or an ISO 8601 string)")


def _format(fmt) -> str:
    if not isinstance(fmt, str) or not fmt.strip() or len(fmt) > MAX_PATTERN:
        raise DateFilterError(
            f"date format {fmt!r}: use short, medium, long, full or a pattern like"
            f' "d MMMM y" (at most {MAX_PATTERN} characters)'
        )
    return fmt


@functools.lru_cache(maxsize=8192)
def _formatted(name: str, when, fmt: str, locale: Locale, tz) -> str:
    """Babel's formatting, cached: a campaign prints the same few days (and patterns) for
    many recipients, and Babel takes ~30 µs a call, a third of a whole render."""
    try:
        if name == "date":
            return format_date(when, fmt, locale=locale)
        return format_datetime(when, fmt, tzinfo=tz, locale=locale)
    except Exception as exc:  # Babel's errors for bad patterns vary
        raise DateFilterError(f"|{name}({fmt!r}): not a valid date pattern ({exc})") from None


@pass_context
def date_filter(context, value, fmt: str = "medium"):
    """The date, in the contact's language (a datetime is first moved to their time zone)."""
    tick()
    if isinstance(value, Undefined) or value is None or value == "":
        return value if isinstance(value, Undefined) else ""
    fmt = _format(fmt)
    when = _value(value, "date")
    locale, tz = _who(context)
    if isinstance(when, dt.datetime):
        when = (when if when.tzinfo else when.replace(tzinfo=dt.UTC)).astimezone(tz).date()
    return _formatted("date", when, fmt, locale, None)


@pass_context
def datetime_filter(context, value, fmt: str = "medium"):
    """The date and time in the contact's time zone and language. A plain date is taken
    as midnight in their time zone."""
    tick()
    if isinstance(value, Undefined) or value is None or value == "":
        return value if isinstance(value, Undefined) else ""
    fmt = _format(fmt)
    when = _value(value, "datetime")
    locale, tz = _who(context)
    if not isinstance(when, dt.datetime):
        when = dt.datetime.combine(when, dt.time(), tzinfo=tz)
    elif when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return _formatted("datetime", when, fmt, locale, tz)


FILTERS = {"date": date_filter, "datetime": datetime_filter}
