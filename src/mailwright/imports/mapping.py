"""Column mapping: which file column fills which contact field.

STAND-IN until the `imports` branch lands its mapping.py (same interface: auto_map,
validate_mapping, MappingError, TARGETS); on merge, that file replaces this one."""

from __future__ import annotations

import re

from mailwright.contacts import attributes

TARGETS = (
    "email",
    "name",
    "first_name",
    "last_name",
    "language",
    "time_zone",
    "tags",
    "birthday",
    "anniversary",
    "consent",
)
_GUESSES = {
    "email": {"email", "e-mail", "mail", "email address", "e-mail address", "adres e-mail"},
    "name": {"name", "full name", "imię i nazwisko"},
    "first_name": {"first name", "firstname", "given name", "imię"},
    "last_name": {"last name", "lastname", "surname", "family name", "nazwisko"},
    "language": {"language", "lang", "język"},
    "time_zone": {"time zone", "timezone", "tz"},
    "tags": {"tags", "tag", "labels"},
    "birthday": {"birthday", "date of birth", "birth date", "dob"},
    "anniversary": {"anniversary", "customer since"},
    "consent": {"consent", "opt-in", "optin", "opted in", "gdpr consent", "zgoda"},
}


class MappingError(ValueError):
    """The mapping cannot be used; the message names the column or target."""


def _norm(header: str) -> str:
    return re.sub(r"[\s_]+", " ", header.strip().lower())


def auto_map(headers: list[str]) -> dict[str, str]:
    """A target for each header ("" = ignore), each target used at most once."""
    used: set[str] = set()
    result = {}
    for header in headers:
        key = _norm(header)
        target = next((t for t, names in _GUESSES.items() if key in names), "")
        if target in used:
            target = ""
        used.add(target)
        result[header] = target
    return result


def validate_mapping(mapping: dict[str, str], headers: list[str]) -> None:
    if not isinstance(mapping, dict):
        raise MappingError("the mapping must be an object of column → target")
    seen: dict[str, str] = {}
    for header, target in mapping.items():
        if header not in headers:
            raise MappingError(f"the file has no column {header!r}")
        if not target:
            continue
        if target.startswith("attributes."):
            if not attributes.KEY.match(target.removeprefix("attributes.")):
                raise MappingError(f"column {header!r}: {target!r} is not an attribute name")
        elif target not in TARGETS:
            raise MappingError(f"column {header!r}: unknown target {target!r}")
        if target in seen:
            raise MappingError(f"columns {seen[target]!r} and {header!r} both map to {target!r}")
        seen[target] = header
    if "email" not in seen:
        raise MappingError("map one column to email")
