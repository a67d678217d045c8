"""Typed custom attributes (SPEC §2.1): the organisation declares each attribute with a type
(string, number, date, bool); every write path (API, UI, import) cleans values through
`clean`, so a segment comparing `attributes.orders >= 3` compares numbers, and a date is
always stored as ISO text (YYYY-MM-DD), which sorts and compares the same on SQLite and
PostgreSQL.

JSON writers (the API) give typed values; text writers (forms, CSV imports) give text, which
`clean(..., from_text=True)` parses: numbers with a decimal point or comma, dates in ISO,
day-first (31.12.1990, 31/12/1990) or with a four-digit year first, and yes/no words in the
six product languages."""

from __future__ import annotations

import math
import re
from datetime import date, datetime

from mailwright.contacts.models import AttributeDefinition

KEY = re.compile(r"^[a-z_][a-z0-9_]{0,63}$")
MAX_TEXT = 1000
MAX_ATTRIBUTES = 100
TRUE_WORDS = {"true", "yes", "y", "1", "tak", "evet", "sí", "si", "có", "co", "да", "x", "on"}
FALSE_WORDS = {"false", "no", "n", "0", "nie", "hayır", "hayir", "không", "khong", "не", "off"}
_DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y", "%d-%m-%Y", "%Y/%m/%d", "%Y.%m.%d")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_NUMBER = re.compile(r"^[+-]?(\d{1,3}([ \u00a0\u202f]\d{3})+|\d+)([.,]\d+)?$")


class AttributeValueError(ValueError):
    """A value does not fit its attribute; `key` names the attribute."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(f"attributes.{key}: {message}")
        self.key = key


def definitions() -> dict[str, str]:
    """Declared attributes: key → type."""
    return dict(AttributeDefinition.objects.values_list("key", "type"))


def parse_date(text: str) -> date:
    """A calendar date from ISO or day-first text; ValueError when it is not one."""
    value = text.strip()
    if len(value) > 32:
        raise ValueError("not a date")
    if _ISO_DATE.fullmatch(value):  # the common YYYY-MM-DD, without strptime (~15 µs)
        try:
            return date(int(value[:4]), int(value[5:7]), int(value[8:]))
        except ValueError:
            raise ValueError("not a date") from None  # no other format reads 4-2-2 digits
    if "T" in value or " " in value:  # an ISO date-time: keep the date
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00")).date()
        except ValueError:
            pass
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    raise ValueError("not a date")


def _number(key: str, value, from_text: bool) -> int | float:
    if isinstance(value, bool):
        raise AttributeValueError(key, "expected a number, got true/false")
    if isinstance(value, str) and from_text:
        text = value.strip()
        if text.isascii() and text.isdigit():  # the common whole number: no regex
            value = int(text)
            if value > 1e15:
                raise AttributeValueError(key, "number is too large (at most 10^15)")
            return value
        if not _NUMBER.match(text):
            raise AttributeValueError(key, f"expected a number, got {text[:40]!r}")
        text = re.sub(r"[ \u00a0\u202f]", "", text).replace(",", ".")
        value = float(text) if "." in text else int(text)
    finite = not isinstance(value, float) or math.isfinite(value)
    if not isinstance(value, (int, float)) or not finite:
        raise AttributeValueError(key, "expected a number")
    if abs(value) > 1e15:
        raise AttributeValueError(key, "number is too large (at most 10^15)")
    return value


def _date(key: str, value, from_text: bool) -> str:
    if not isinstance(value, str):
        raise AttributeValueError(key, "expected a date as text (YYYY-MM-DD)")
    try:
        parsed = parse_date(value) if from_text else date.fromisoformat(value.strip())
    except ValueError:
        example = "YYYY-MM-DD or DD.MM.YYYY" if from_text else "YYYY-MM-DD"
        raise AttributeValueError(key, f"expected a date ({example}), got {value[:40]!r}") from None
    return parsed.isoformat()


def _bool(key: str, value, from_text: bool) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and from_text:
        word = value.strip().casefold()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
    raise AttributeValueError(key, f"expected true or false, got {str(value)[:40]!r}")


def _string(key: str, value, from_text: bool) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise AttributeValueError(key, "expected text")
    text = str(value)
    if len(text) > MAX_TEXT:
        raise AttributeValueError(key, f"text is longer than {MAX_TEXT:,} characters")
    if "\x00" in text:
        raise AttributeValueError(key, "text contains a NUL character")
    return text


CLEANERS = {"string": _string, "number": _number, "date": _date, "bool": _bool}


def clean(values: dict, defs: dict[str, str] | None = None, *, from_text: bool = False) -> dict:
    """Validated, typed copy of `values`. Every key must be declared; `None` (or empty text
    from a text source) removes the attribute. Raises AttributeValueError naming the key."""
    if not isinstance(values, dict):
        raise AttributeValueError("", "attributes must be an object")
    if len(values) > MAX_ATTRIBUTES:
        raise AttributeValueError("", f"more than {MAX_ATTRIBUTES} attributes")
    defs = definitions() if defs is None else defs
    cleaned = {}
    for key, value in values.items():
        if not isinstance(key, str) or key not in defs:
            shown = str(key)[:64]
            raise AttributeValueError(
                shown,
                "no such attribute; declare it first (Settings → Attributes, or"
                " POST /api/v1/attributes)",
            )
        if value is None or (from_text and isinstance(value, str) and not value.strip()):
            cleaned[key] = None
            continue
        cleaned[key] = CLEANERS[defs[key]](key, value, from_text)
    return cleaned


def apply(current: dict | None, cleaned: dict) -> dict:
    """`current` updated with cleaned values (None removes a key)."""
    result = dict(current or {})
    for key, value in cleaned.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = value
    return result
