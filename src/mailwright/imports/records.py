"""One file row → one person to import (consent.bulk.Incoming), or the reason it cannot be:
the mapping applied, the address checked (imports.checks), names, language, time zone, dates,
tags and typed attributes validated, and consent evidence read from the mapped column."""

from __future__ import annotations

import re
from functools import lru_cache
from zoneinfo import available_timezones

from mailwright.consent.bulk import Incoming
from mailwright.contacts import attributes
from mailwright.contacts.addresses import email_key
from mailwright.contacts.models import LANGUAGES
from mailwright.imports.checks import Checker, Verdict

MAX_NAME = 200
MAX_TAG = 100
MAX_TAGS = 50
# A consent column holding one of these (or nothing) is no evidence of consent.
NO_WORDS = attributes.FALSE_WORDS | {"none", "null", "-", "n/a", "na", "unknown", "brak", "yok"}
_TAG_SPLIT = re.compile(r"[,;|]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


class RowRejected(ValueError):
    """The row cannot be imported; the message names the column and the problem."""


@lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def has_evidence(value: str | None) -> bool:
    """A consent column's value counts as evidence unless it is blank or a "no" word."""
    if value is None:
        return False
    word = value.strip().casefold()
    return bool(word) and word not in NO_WORDS


def _one_line(text: str) -> str:
    # Printable text holds no whitespace but the ASCII space: already one line unless it
    # has a space at an end or two in a row (the common case costs no regex).
    if text.isprintable() and "  " not in text and text[:1] != " " and text[-1:] != " ":
        return text
    return " ".join(_CONTROL.sub(" ", text).split())


class RowConverter:
    """Built once per run: which column feeds which field, and the declared attributes."""

    def __init__(self, mapping: dict[str, str], defs: dict[str, str], checker: Checker) -> None:
        self.checker = checker
        self.defs = defs
        self.columns: dict[str, str] = {t: h for h, t in mapping.items() if t}
        self.email_column = self.columns["email"]
        self.attribute_columns = {
            t.removeprefix("attributes."): h
            for t, h in self.columns.items()
            if t.startswith("attributes.")
        }

    def verdict(self, values: dict[str, str]) -> Verdict:
        return self.checker.check(values.get(self.email_column) or "")

    def evidence(self, values: dict[str, str]) -> bool:
        column = self.columns.get("consent")
        return has_evidence(values.get(column)) if column else False

    def convert(self, values: dict[str, str], verdict: Verdict) -> Incoming:
        """The person in this row; raises RowRejected."""
        if not verdict.valid or verdict.normalized is None:
            given = verdict.address
            why = "; ".join(verdict.reasons) or "not a valid address"
            if not given:
                raise RowRejected(f"{self.email_column}: no email address")
            raise RowRejected(f"{self.email_column}: {why}")
        email = verdict.normalized
        row = Incoming(email=email, key=email_key(email), evidence=self.evidence(values))
        get = self._getter(values)
        name = get("name")
        if not name:
            name = " ".join(part for part in (get("first_name"), get("last_name")) if part)
        if len(name) > MAX_NAME:
            column = self.columns.get("name") or self.columns.get("first_name")
            raise RowRejected(f"{column}: name is longer than {MAX_NAME} characters")
        row.name = name
        if language := get("language").lower():
            language = language.replace("_", "-").split("-")[0]
            if language not in LANGUAGES:
                raise RowRejected(
                    f"{self.columns['language']}: unknown language {get('language')[:20]!r}"
                    f" (one of {', '.join(sorted(LANGUAGES))})"
                )
            row.language = language
        if zone := get("time_zone"):
            if zone not in _zones():
                raise RowRejected(
                    f"{self.columns['time_zone']}: unknown time zone {zone[:40]!r}"
                    " (e.g. Europe/Warsaw)"
                )
            row.time_zone = zone
        for target in ("birthday", "anniversary"):
            if text := get(target):
                try:
                    setattr(row, target, attributes.parse_date(text))
                except ValueError:
                    raise RowRejected(
                        f"{self.columns[target]}: expected a date (YYYY-MM-DD or DD.MM.YYYY),"
                        f" got {text[:40]!r}"
                    ) from None
        if tags := get("tags"):
            row.tags = self._tags(tags)
        if self.attribute_columns:
            row.attributes = self._attributes(values)
        return row

    def _getter(self, values: dict[str, str]):
        columns = self.columns

        def get(target: str) -> str:
            column = columns.get(target)
            return _one_line(values.get(column) or "") if column else ""

        return get

    def _tags(self, text: str) -> list[str]:
        tags = list(dict.fromkeys(t.strip() for t in _TAG_SPLIT.split(text) if t.strip()))
        column = self.columns["tags"]
        if len(tags) > MAX_TAGS:
            raise RowRejected(f"{column}: more than {MAX_TAGS} tags")
        if any(len(t) > MAX_TAG for t in tags):
            raise RowRejected(f"{column}: a tag is longer than {MAX_TAG} characters")
        return tags

    def _attributes(self, values: dict[str, str]) -> dict:
        raw = {key: values.get(column, "") for key, column in self.attribute_columns.items()}
        try:
            cleaned = attributes.clean(raw, self.defs, from_text=True)
        except attributes.AttributeValueError as exc:
            column = self.attribute_columns.get(exc.key, exc.key)
            message = str(exc).removeprefix(f"attributes.{exc.key}: ")
            raise RowRejected(f"{column}: {message}") from None
        return {k: v for k, v in cleaned.items() if v is not None}
