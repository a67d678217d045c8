"""The segment grammar (contacts.segments): every condition against real rows, on SQLite and
PostgreSQL (tools/run_tests.py runs both: date arithmetic and JSON numbers differ between
them), and bad trees named down to the node."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from mailwright.campaigns.models import Campaign, Template
from mailwright.contacts.models import AttributeDefinition, Contact, Subscription, Topic
from mailwright.contacts.segments import SegmentError, annual_window, compile_segment
from mailwright.delivery.models import Delivery
from mailwright.feedback.models import Event

pytestmark = pytest.mark.django_db


def add(email: str, **fields) -> Contact:
    return Contact.objects.create(email=email, **fields)


def emails(tree) -> set[str]:
    return set(Contact.objects.filter(compile_segment(tree)).values_list("email", flat=True))


def error(tree) -> str:
    with pytest.raises(SegmentError) as info:
        compile_segment(tree)
    return str(info.value)


# --- topics and subscription state ------------------------------------------------------------


@pytest.fixture
def subscribed():
    news = Topic.objects.create(key="newsletter", name="Newsletter")
    offers = Topic.objects.create(key="offers", name="Offers")
    rows = {
        "conf@x.com": {news: "confirmed", offers: "pending"},
        "pend@x.com": {news: "pending"},
        "gone@x.com": {news: "unsubscribed", offers: "confirmed"},
        "none@x.com": {},
    }
    for address, subs in rows.items():
        contact = add(address)
        for topic, state in subs.items():
            Subscription.objects.create(contact=contact, topic=topic, state=state)


def sub(op, value=None, topic="newsletter"):
    node = {"field": "subscription", "topic": topic, "op": op}
    return node if value is None else node | {"value": value}


def test_subscription_state_on_a_topic(subscribed):
    assert emails(sub("eq", "confirmed")) == {"conf@x.com"}
    assert emails(sub("eq", "confirmed", "offers")) == {"gone@x.com"}
    assert emails(sub("in", ["pending", "confirmed"])) == {"conf@x.com", "pend@x.com"}
    # neq: everyone not in that state, including those never subscribed to the topic
    assert emails(sub("neq", "confirmed")) == {"pend@x.com", "gone@x.com", "none@x.com"}
    assert emails(sub("exists")) == {"conf@x.com", "pend@x.com", "gone@x.com"}
    assert emails(sub("exists", False)) == {"none@x.com"}


def test_subscription_errors_name_the_part(subscribed):
    assert error({"and": [sub("eq", "confirmed"), sub("eq", "yes")]}).startswith(
        "segment.and[1].value: subscription state must be one of"
    )
    assert error(sub("eq", "confirmed", "nope")) == "segment.topic: no topic 'nope'"
    assert error({"field": "subscription", "value": "confirmed"}).startswith("segment.topic:")


# --- tags -------------------------------------------------------------------------------------


def test_tags_exact_and_any_of():
    add("a@x.com", tags=["vip", "2024"])
    add("b@x.com", tags=["not-vip"])
    add("c@x.com", tags=["press"])
    add("d@x.com", tags=[])
    assert emails({"field": "tag", "value": "vip"}) == {"a@x.com"}
    assert emails({"field": "tag", "op": "in", "value": ["vip", "press"]}) == {
        "a@x.com",
        "c@x.com",
    }
    assert emails({"not": {"field": "tag", "op": "in", "value": ["vip", "press"]}}) == {
        "b@x.com",
        "d@x.com",
    }
    assert error({"field": "tag", "op": "in", "value": []}).startswith("segment.value:")
    assert error({"field": "tag", "op": "contains", "value": "v"}).startswith("segment.op:")


# --- dates ------------------------------------------------------------------------------------


def test_created_before_after_and_within():
    now = timezone.now()
    for address, days_ago in (("new@x.com", 2), ("month@x.com", 20), ("old@x.com", 400)):
        add(address)
        Contact.objects.filter(email=address).update(created_at=now - timedelta(days=days_ago))
    assert emails({"field": "created_at", "op": "within_days", "value": 7}) == {"new@x.com"}
    cut = (now - timedelta(days=10)).date().isoformat()
    assert emails({"field": "created_at", "op": "before", "value": cut}) == {
        "month@x.com",
        "old@x.com",
    }
    assert emails({"field": "created_at", "op": "after", "value": cut}) == {"new@x.com"}
    assert "YYYY-MM-DD" in error({"field": "created_at", "op": "before", "value": "last week"})


def test_birthday_in_the_next_days_and_month():
    today = timezone.localdate()
    add("today@x.com", birthday=today.replace(year=1990) if not _feb29(today) else None)
    add("in6@x.com", birthday=_years_ago(today + timedelta(days=6), 30))
    add("in7@x.com", birthday=_years_ago(today + timedelta(days=7), 30))
    add("yesterday@x.com", birthday=_years_ago(today - timedelta(days=1), 30))
    add("nobday@x.com")
    got = emails({"field": "birthday", "op": "in_next_days", "value": 7})
    expected = {"in6@x.com"} | (set() if _feb29(today) else {"today@x.com"})
    assert got == expected
    month = (today + timedelta(days=6)).month
    assert "in6@x.com" in emails({"field": "birthday", "op": "month", "value": month})
    assert emails({"field": "birthday", "op": "exists", "value": False}) == {"nobday@x.com"}
    assert error({"field": "birthday", "op": "month", "value": 13}).startswith("segment.value:")


def _feb29(day: date) -> bool:
    return day.month == 2 and day.day == 29


def _years_ago(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


@pytest.mark.parametrize(
    ("today", "days", "ranges"),
    [
        (date(2025, 6, 10), 7, [(610, 616)]),
        (date(2025, 12, 28), 7, [(1228, 1231), (101, 103)]),  # across the year end
        (date(2025, 2, 22), 7, [(222, 229)]),  # 2025 has no 29 Feb: celebrated on the 28th
        (date(2028, 2, 22), 7, [(222, 228)]),  # 2028 has one: 28 Feb is only the 28th
        (date(2027, 3, 1), 1, [(301, 301)]),  # no 29 Feb birthday on 1 March
        (date(2025, 1, 1), 366, [(101, 1231)]),
    ],
)
def test_annual_window(today, days, ranges):
    assert annual_window(today, days) == ranges


def test_the_window_runs_in_the_database_across_the_year_end():
    """The ranges annual_window gives select the right dates in SQL on both databases."""
    from mailwright.contacts.segment_sql import month_day_between

    add("dec31@x.com", anniversary=date(2019, 12, 31))
    add("jan2@x.com", anniversary=date(2015, 1, 2))
    add("feb29@x.com", anniversary=date(2020, 2, 29))
    add("mar1@x.com", anniversary=date(2020, 3, 1))
    add("jun@x.com", anniversary=date(2020, 6, 15))

    def between(ranges):
        q = month_day_between("anniversary", ranges)
        return set(Contact.objects.filter(q).values_list("email", flat=True))

    assert between(annual_window(date(2025, 12, 30), 5)) == {"dec31@x.com", "jan2@x.com"}
    assert between(annual_window(date(2025, 2, 25), 4)) == {"feb29@x.com"}  # 25..28 Feb 2025
    assert between(annual_window(date(2027, 3, 1), 3)) == {"mar1@x.com"}


# --- typed attributes -------------------------------------------------------------------------


@pytest.fixture
def typed():
    for key, kind in (("orders", "number"), ("signup", "date"), ("member", "bool")):
        AttributeDefinition.objects.create(key=key, type=kind)
    add("two@x.com", attributes={"orders": 2, "signup": "2023-05-01", "member": True})
    add("ten@x.com", attributes={"orders": 10, "signup": "2024-01-15", "member": False})
    add("half@x.com", attributes={"orders": 2.5})
    add("text@x.com", attributes={"orders": "100"})  # stored before the declaration
    add("none@x.com", attributes={})


def test_numbers_compare_as_numbers(typed):
    # As text "10" < "2": a number comparison puts 10 above 2 on both databases.
    assert emails({"field": "attributes.orders", "op": "gte", "value": 3}) == {"ten@x.com"}
    assert emails({"field": "attributes.orders", "op": "lte", "value": 2.5}) == {
        "two@x.com",
        "half@x.com",
    }
    assert emails({"field": "attributes.orders", "op": "eq", "value": 10}) == {"ten@x.com"}
    assert emails({"field": "attributes.orders", "op": "eq", "value": 2.0}) == {"two@x.com"}
    assert emails({"field": "attributes.orders", "op": "gt", "value": 2}) == {
        "ten@x.com",
        "half@x.com",
    }
    # "not" is the exact complement: no orders, or orders that are not a number
    assert emails({"not": {"field": "attributes.orders", "op": "gte", "value": 3}}) == {
        "two@x.com",
        "half@x.com",
        "text@x.com",
        "none@x.com",
    }


def test_sqlite_json_extract_gives_numbers():
    """SQLite's json_extract returns a JSON number as an SQL number (what the comparison
    relies on); PostgreSQL's cast goes through numeric."""
    add("n@x.com", attributes={"n": 10})
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT typeof(json_extract(attributes, '$.n')) FROM contacts_contact")
            assert cursor.fetchone()[0] == "integer"
        else:
            cursor.execute("SELECT jsonb_typeof(attributes -> 'n') FROM contacts_contact")
            assert cursor.fetchone()[0] == "number"


def test_dates_and_bools(typed):
    assert emails({"field": "attributes.signup", "op": "before", "value": "2024-01-01"}) == {
        "two@x.com"
    }
    assert emails({"field": "attributes.signup", "op": "after", "value": "2023-05-01"}) == {
        "ten@x.com"
    }
    assert emails({"field": "attributes.member", "op": "eq", "value": True}) == {"two@x.com"}
    assert emails({"field": "attributes.member", "op": "eq", "value": False}) == {"ten@x.com"}
    assert emails({"field": "attributes.member", "op": "exists"}) == {"two@x.com", "ten@x.com"}


def test_typed_attribute_errors_name_the_value(typed):
    tree = {"and": [{"field": "tag", "value": "x"}, {"field": "attributes.orders", "value": "3"}]}
    assert error(tree).startswith("segment.and[1].value: attributes.orders is a number")
    assert error({"field": "attributes.signup", "op": "before", "value": "01/02/2024"}).startswith(
        "segment.value:"
    )
    assert error({"field": "attributes.member", "value": "yes"}).startswith("segment.value:")
    assert error({"field": "attributes.orders", "op": "contains", "value": 1}).startswith(
        "segment.op:"
    )


# --- engagement -------------------------------------------------------------------------------


def _event(contact, kind, days_ago=0):
    Event.objects.create(
        type=kind, contact=contact, created_at=timezone.now() - timedelta(days=days_ago)
    )


def test_received_campaign_and_purchased():
    tpl = Template.objects.create(name="T", subject="S", html="<p>x</p>")
    spring = Campaign.objects.create(name="Spring", template=tpl, state="sent")
    got, bounced, buyer, old_buyer = (add(f"{n}@x.com") for n in ("got", "bounced", "b", "ob"))
    now = timezone.now()
    for contact, state in ((got, "sent"), (bounced, "bounced")):
        Delivery.objects.create(
            campaign=spring,
            contact=contact,
            email=contact.email,
            state=state,
            next_attempt_at=now,
            created_at=now,
            updated_at=now,
        )
    _event(buyer, "purchased", 3)
    _event(old_buyer, "purchased", 100)
    assert emails({"field": "received", "value": spring.id}) == {"got@x.com"}
    assert emails({"field": "purchased", "op": "exists"}) == {"b@x.com", "ob@x.com"}
    assert emails({"field": "purchased_within", "value": 30}) == {"b@x.com"}
    assert error({"field": "received", "value": 999999}) == "segment.value: no campaign 999999"


def test_opened_within_is_one_query_with_exists():
    fan = add("fan@x.com")
    _event(fan, "opened", 5)
    add("quiet@x.com")
    tree = {
        "and": [
            {"field": "opened_within", "value": 30},
            {"field": "email", "op": "contains", "value": "@x.com"},
        ]
    }
    q = compile_segment(tree)
    with CaptureQueriesContext(connection) as queries:
        assert Contact.objects.filter(q).count() == 1
    assert len(queries) == 1 and "EXISTS" in queries[0]["sql"].upper()


# --- structure --------------------------------------------------------------------------------


def test_old_trees_stay_valid():
    add("ana@x.com", name="Ana", language="pl", attributes={"plan": "pro"}, tags=["vip"])
    add("bob@y.com", name="Bob", language="en")
    for tree, expected in [
        ({"field": "email", "op": "contains", "value": "@x.com"}, {"ana@x.com"}),
        ({"field": "language", "op": "in", "value": ["pl", "bg"]}, {"ana@x.com"}),
        ({"field": "attributes.plan", "op": "eq", "value": "pro"}, {"ana@x.com"}),
        ({"field": "attributes.plan", "op": "exists"}, {"ana@x.com"}),
        ({"field": "tag", "op": "neq", "value": "vip"}, {"bob@y.com"}),
        ({"or": [{"field": "name", "value": "Bob"}, {"not": {"field": "status"}}]}, None),
    ]:
        if expected is None:
            assert "segment.or[1].not" in error(tree)
        else:
            assert emails(tree) == expected


def test_nested_and_or_not():
    add("a@x.com", language="pl", tags=["vip"])
    add("b@x.com", language="pl")
    add("c@x.com", language="en", tags=["vip"])
    tree = {
        "or": [
            {"and": [{"field": "language", "value": "pl"}, {"field": "tag", "value": "vip"}]},
            {"not": {"field": "language", "op": "in", "value": ["pl", "en"]}},
        ]
    }
    assert emails(tree) == {"a@x.com"}


@pytest.mark.parametrize(
    ("tree", "starts"),
    [
        ({"and": [{"field": "email", "value": "a"}, {"field": "nope"}]}, "segment.and[1].field:"),
        ({"or": [{"not": {"field": "tag", "value": 3}}]}, "segment.or[0].not.value:"),
        ({"and": "x"}, "segment.and:"),
        ({"field": "engagement", "op": "eq", "value": 3}, "segment.op:"),
        ({"field": "created_at", "op": "within_days", "value": 0}, "segment.value:"),
        ({"builtin": "best"}, "segment.builtin:"),
        ([], "segment: expected an object"),
    ],
)
def test_bad_trees_name_the_node(tree, starts):
    assert error(tree).startswith(starts)
