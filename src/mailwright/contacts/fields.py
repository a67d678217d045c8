"""Validation of a contact's own fields beyond the address (SPEC §2.1): tags, time zone and
the dates worth remembering. Every write path (API, UI, import) cleans them here, so a tag is
always trimmed text and a time zone always one zoneinfo knows."""

from __future__ import annotations

import re
from datetime import date
from functools import cache
from zoneinfo import available_timezones

MAX_TAGS = 50
MAX_TAG_LENGTH = 64
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class FieldError(ValueError):
    """A field's value is not acceptable; `field` names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


def clean_tag(value, field: str = "tags") -> str:
    """One tag: text, trimmed, 1 to 64 characters, on one line."""
    if not isinstance(value, str):
        raise FieldError(field, "each tag must be text")
    tag = value.strip()
    if not tag:
        raise FieldError(field, "a tag cannot be empty")
    if len(tag) > MAX_TAG_LENGTH:
        raise FieldError(field, f"a tag is at most {MAX_TAG_LENGTH} characters ({tag[:20]!r}…)")
    if any(ch in tag for ch in "\r\n\t\x00"):
        raise FieldError(field, "a tag must be on one line, without tabs or NUL characters")
    return tag


def clean_tags(values) -> list[str]:
    """A list of at most 50 tags, trimmed and de-duplicated (first spelling kept, order kept).
    Empty strings are dropped (a trailing comma in a form)."""
    if not isinstance(values, (list, tuple)):
        raise FieldError("tags", "expected a list of text")
    tags: list[str] = []
    for i, value in enumerate(values):
        if isinstance(value, str) and not value.strip():
            continue
        tag = clean_tag(value, f"tags[{i}]")
        if tag not in tags:
            tags.append(tag)
    if len(tags) > MAX_TAGS:
        raise FieldError("tags", f"at most {MAX_TAGS} tags (got {len(tags)})")
    return tags


def split_tags(text: str) -> list[str]:
    """Tags typed in one input, separated by commas."""
    return text.split(",")


@cache
def time_zones() -> tuple[str, ...]:
    """The IANA zones zoneinfo knows, sorted (for a select list and validation)."""
    return tuple(sorted(available_timezones()))


def clean_time_zone(value) -> str:
    if not isinstance(value, str) or not value.strip():
        raise FieldError("time_zone", "expected an IANA time zone, e.g. Europe/Warsaw")
    zone = value.strip()
    if zone not in time_zones():
        raise FieldError(
            "time_zone", f"{zone[:64]!r} is not a known IANA time zone (e.g. Europe/Warsaw)"
        )
    return zone


def clean_date(value, field: str, *, past_only: bool = False, today: date | None = None):
    """An ISO date (YYYY-MM-DD) or None; `past_only` refuses a date after today."""
    if value is None or value == "":
        return None
    if isinstance(value, date):
        parsed = value
    elif isinstance(value, str):
        text = value.strip()
        try:
            parsed = date.fromisoformat(text) if _ISO_DATE.match(text) else None
        except ValueError:  # e.g. 2023-02-30
            parsed = None
        if parsed is None:
            raise FieldError(field, f"expected a date as YYYY-MM-DD, got {value[:40]!r}")
    else:
        raise FieldError(field, "expected a date as text (YYYY-MM-DD)")
    if parsed.year < 1900:
        raise FieldError(field, "the year must be 1900 or later")
    if past_only and parsed > (today or date.today()):
        raise FieldError(field, "cannot be in the future")
    return parsed
