"""contacts.attributes.clean: every type from JSON and from text (forms, files), undeclared keys,
hostile values; and the attribute definition actions on the real database."""

from __future__ import annotations

import pytest

from mailwright.contacts import attribute_store
from mailwright.contacts.attributes import AttributeValueError, apply, clean
from mailwright.contacts.models import AttributeDefinition, Contact
from tests.conftest import ADMIN, make_contact

DEFS = {"plan": "string", "orders": "number", "since": "date", "vip": "bool"}


@pytest.mark.parametrize(
    "values, expected",
    [
        ({"plan": "pro"}, {"plan": "pro"}),
        ({"plan": 42}, {"plan": "42"}),  # a number given for text is kept as its text
        ({"orders": 3}, {"orders": 3}),
        ({"orders": -2.5}, {"orders": -2.5}),
        ({"since": "2024-05-01"}, {"since": "2024-05-01"}),
        ({"vip": False}, {"vip": False}),
        ({"plan": None, "orders": None}, {"plan": None, "orders": None}),  # None removes
    ],
)
def test_json_values(values, expected):
    assert clean(values, DEFS) == expected


@pytest.mark.parametrize(
    "values, expected",
    [
        ({"orders": " 12 "}, {"orders": 12}),
        ({"orders": "1,5"}, {"orders": 1.5}),
        ({"orders": "-0.25"}, {"orders": -0.25}),
        ({"orders": "1 234 567,89"}, {"orders": 1234567.89}),
        ({"since": "31.12.1990"}, {"since": "1990-12-31"}),
        ({"since": "31/12/1990"}, {"since": "1990-12-31"}),
        ({"since": "1990/12/31"}, {"since": "1990-12-31"}),
        ({"since": "2024-05-01T10:00:00Z"}, {"since": "2024-05-01"}),
        ({"vip": "Tak"}, {"vip": True}),
        ({"vip": "hayır"}, {"vip": False}),
        ({"vip": "да"}, {"vip": True}),
        ({"vip": "No"}, {"vip": False}),
        ({"plan": ""}, {"plan": None}),  # empty text removes
        ({"orders": "   "}, {"orders": None}),
    ],
)
def test_text_values_are_parsed(values, expected):
    assert clean(values, DEFS, from_text=True) == expected


@pytest.mark.parametrize(
    "values, key, message",
    [
        ({"colour": "red"}, "colour", "no such attribute"),
        ({"Plan": "pro"}, "Plan", "no such attribute"),  # keys are exact
        ({"orders": "12"}, "orders", "expected a number"),  # JSON: text is not a number
        ({"orders": float("nan")}, "orders", "expected a number"),
        ({"orders": float("inf")}, "orders", "expected a number"),
        ({"orders": 10**16}, "orders", "too large"),
        ({"since": "2024-5-1"}, "since", "expected a date"),
        ({"since": 20240501}, "since", "expected a date as text"),
        ({"vip": 1}, "vip", "expected true or false"),
        ({"plan": "a\x00b"}, "plan", "NUL"),
        ({"plan": "x" * 1001}, "plan", "longer than 1,000"),
        ({"plan": True}, "plan", "expected text"),
    ],
)
def test_bad_json_values_name_the_attribute(values, key, message):
    with pytest.raises(AttributeValueError) as caught:
        clean(values, DEFS)
    assert caught.value.key == key
    assert str(caught.value).startswith(f"attributes.{key}: ")
    assert message in str(caught.value)


@pytest.mark.parametrize(
    "values, key, message",
    [
        ({"orders": "12 apples"}, "orders", "expected a number, got '12 apples'"),
        ({"orders": "1e5"}, "orders", "expected a number"),
        ({"orders": "=1+1"}, "orders", "expected a number"),
        ({"since": "30.02.2020"}, "since", "expected a date (YYYY-MM-DD or DD.MM.YYYY)"),
        ({"since": "x" * 100}, "since", "expected a date"),
        ({"vip": "maybe"}, "vip", "expected true or false, got 'maybe'"),
    ],
)
def test_bad_text_values(values, key, message):
    with pytest.raises(AttributeValueError) as caught:
        clean(values, DEFS, from_text=True)
    assert caught.value.key == key and message in str(caught.value)


def test_hostile_shapes():
    with pytest.raises(AttributeValueError, match="must be an object"):
        clean(["plan"], DEFS)
    with pytest.raises(AttributeValueError, match="more than 100 attributes"):
        clean({f"k{i}": 1 for i in range(101)}, DEFS)
    with pytest.raises(AttributeValueError, match="no such attribute"):
        clean({"__proto__": "x"}, DEFS)
    long_key = "k" * 5000
    with pytest.raises(AttributeValueError) as caught:
        clean({long_key: 1}, DEFS)
    assert len(caught.value.key) == 64  # the message names it, shortened


def test_apply_merges_and_removes():
    assert apply({"plan": "pro", "orders": 1}, {"orders": 2, "plan": None, "vip": True}) == {
        "orders": 2,
        "vip": True,
    }


@pytest.mark.django_db(transaction=True)
def test_delete_attribute_is_one_statement_and_leaves_other_keys(django_assert_max_num_queries):
    AttributeDefinition.objects.create(key="plan", type="string")
    AttributeDefinition.objects.create(key="orders", type="number")
    for i in range(30):
        make_contact(f"p{i}@example.com", attributes={"plan": f"p{i}", "orders": i})
    make_contact("none@example.com")
    # savepoint, the definition (locked), the UPDATE, the DELETE, the audit row
    with django_assert_max_num_queries(6):
        removed = attribute_store.do_delete_attribute("plan", by=ADMIN)
    assert removed == 30
    assert not Contact.objects.filter(attributes__has_key="plan").exists()
    assert Contact.objects.filter(attributes__has_key="orders").count() == 30
    assert Contact.objects.get(email="p7@example.com").attributes == {"orders": 7}


@pytest.mark.django_db
def test_retype_to_bool_and_back_to_text():
    AttributeDefinition.objects.create(key="vip", type="string")
    yes = make_contact("a@example.com", attributes={"vip": "tak"})
    no = make_contact("b@example.com", attributes={"vip": "no"})
    attribute_store.do_update_attribute("vip", type="bool", by=ADMIN)
    assert Contact.objects.get(pk=yes.pk).attributes == {"vip": True}
    assert Contact.objects.get(pk=no.pk).attributes == {"vip": False}
    attribute_store.do_update_attribute("vip", type="string", by=ADMIN)
    assert Contact.objects.get(pk=yes.pk).attributes == {"vip": "true"}
