"""|date and |datetime render in the contact's language and time zone (Babel formats and
patterns); ISO date attributes work; bad patterns are template errors, not crashes."""

from __future__ import annotations

import datetime as dt

import pytest

from mailwright.campaigns.rendering import TemplateError, compile_template, sample_context
from tests.api.util import assert_error

pytestmark = pytest.mark.django_db
WHEN = dt.datetime(2026, 3, 5, 23, 30, tzinfo=dt.UTC)


def render(source: str, language="en", time_zone="UTC", **attributes) -> str:
    ctx = sample_context()
    ctx["contact"].update(
        language=language, time_zone=time_zone, created_at=WHEN, attributes=attributes
    )
    return compile_template("s", source, "t").render(ctx)[1]


@pytest.mark.parametrize(
    ("language", "medium", "long", "pattern"),
    [
        ("en", "Mar 5, 2026", "March 5, 2026", "5 March 2026"),
        ("pl", "5 mar 2026", "5 marca 2026", "5 marca 2026"),
        ("tr", "5 Mar 2026", "5 Mart 2026", "5 Mart 2026"),
        ("es", "5 mar 2026", "5 de marzo de 2026", "5 marzo 2026"),
        ("vi", "5 thg 3, 2026", "5 tháng 3, 2026", "5 tháng 3 2026"),
        ("bg", "5.03.2026\u202fг.", "5 март 2026\u202fг.", "5 март 2026"),
    ],
)
def test_dates_in_each_product_language(language, medium, long, pattern):
    out = render(
        "{{ contact.created_at|date }}|{{ contact.created_at|date('long') }}"
        "|{{ contact.created_at|date('d MMMM y') }}",
        language,
    )
    assert out == f"{medium}|{long}|{pattern}"


def test_the_contacts_time_zone_moves_the_date_and_time():
    # 23:30 UTC on 5 March is already 6 March in Warsaw
    assert render("{{ contact.created_at|date('long') }}", "pl", "Europe/Warsaw") == "6 marca 2026"
    assert render("{{ contact.created_at|datetime('short') }}", "pl", "Europe/Warsaw") == (
        "6.03.2026, 00:30"
    )
    assert render("{{ contact.created_at|datetime('short') }}", "en", "America/New_York") == (
        "3/5/26, 6:30\u202fPM"
    )
    # an unknown time zone falls back to UTC rather than failing
    assert render("{{ contact.created_at|datetime('HH:mm') }}", "en", "Mars/Olympus") == "23:30"


def test_iso_string_attributes_are_dates_too():
    out = render(
        "{{ contact.attributes.renewal|date('long') }} /"
        " {{ contact.attributes.at|datetime('short') }}",
        "es",
        "Europe/Madrid",
        renewal="2026-07-01",
        at="2026-07-01T08:00:00+00:00",
    )
    assert out == "1 de julio de 2026 / 1/7/26, 10:00"


@pytest.mark.parametrize(
    ("source", "says"),
    [
        ("{{ contact.created_at|date('qqqqqqqqqqqq') }}", "not a valid date pattern"),
        ("{{ contact.created_at|date('x' * 100) }}", "at most 64 characters"),
        ("{{ contact.created_at|date(7) }}", "use short, medium, long, full"),
        ("{{ 'next tuesday'|date }}", "'next tuesday' is not a date"),
        ("{{ contact.attributes|date }}", "is not a date"),
    ],
)
def test_bad_patterns_and_values_are_template_errors(source, says):
    with pytest.raises(TemplateError) as caught:
        render(source)
    assert says in str(caught.value) and "html, line 1, column 4" in str(caught.value)


def test_missing_dates_print_nothing_when_sending():
    assert render("[{{ contact.birthday|date }}][{{ contact.attributes.x|date }}]") == "[][]"


@pytest.mark.django_db
def test_a_bad_pattern_is_refused_at_save(api):
    response = api.post(
        "/templates",
        {
            "name": "T",
            "subject": "Hi",
            "html": "<p>{{ contact.created_at|datetime('ZZZZZZZZ') }}</p>",
        },
    )
    error = assert_error(response, 422, "template_error", "html")
    assert "not a valid date pattern" in error["message"]
