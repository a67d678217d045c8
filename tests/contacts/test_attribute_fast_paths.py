"""The import's fast paths in contacts.attributes (YYYY-MM-DD without strptime, whole numbers
without the regex) give exactly what the general parsers give: same value, same refusal."""

from __future__ import annotations

import re
from datetime import date, datetime

from hypothesis import example, given, settings
from hypothesis import strategies as st

from mailwright.contacts import attributes
from mailwright.contacts.attributes import AttributeValueError, clean


def reference_date(text: str) -> date:
    """parse_date as it was before the fast path: strptime over every format."""
    value = text.strip()
    if len(value) > 32:
        raise ValueError("not a date")
    if "T" in value or " " in value:
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00")).date()
        except ValueError:
            pass
    for fmt in attributes._DATE_FORMATS:
        try:
            return datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    raise ValueError("not a date")


def outcome(parse, text):
    try:
        return parse(text)
    except ValueError:
        return "refused"


dates = st.one_of(
    st.from_regex(r"\A[0-9]{4}-[0-9]{2}-[0-9]{2}\Z"),  # the fast path's shape, valid or not
    st.dates().map(date.isoformat),
    st.from_regex(r"\A\s?[0-9٠-٩]{1,5}[-./][0-9]{1,3}[-./][0-9]{1,5}\s?\Z"),
    st.text("0123456789-./T: Z", max_size=14),
)


@settings(max_examples=2000, deadline=None)
@given(dates)
@example("2024-02-30")
@example("0000-01-01")
@example("2024-13-01")
@example("2024-1-05")
@example("٢٠٢٤-01-05")
def test_fast_date_parse_agrees_with_strptime(text):
    assert outcome(attributes.parse_date, text) == outcome(reference_date, text)


_NUMBER = attributes._NUMBER


def reference_number(text: str):
    """A number attribute from text, as before the whole-number fast path."""
    text = text.strip()
    if not _NUMBER.match(text):
        return "refused"
    text = re.sub(r"[ \u00a0\u202f]", "", text).replace(",", ".")
    value = float(text) if "." in text else int(text)
    if abs(value) > 1e15:
        return "too large"
    return value


def number_outcome(text: str):
    try:
        return clean({"n": text}, {"n": "number"}, from_text=True)["n"]
    except AttributeValueError as exc:
        return "too large" if "too large" in str(exc) else "refused"


@settings(max_examples=2000, deadline=None)
@given(st.one_of(st.from_regex(r"\A[0-9]{1,20}\Z"), st.text("0123456789 .,+-١", max_size=20)))
@example("1000000000000000")
@example("1000000000000001")
@example("0007")
def test_fast_whole_number_agrees_with_the_regex(text):
    if not text.strip():
        return  # blank text removes the attribute: not a number question
    assert number_outcome(text) == reference_number(text)
