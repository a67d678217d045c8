"""The API twins of Contacts → Duplicates and `mailwright hygiene check`: list near-duplicate
groups, merge one by the merge rule or dismiss it; check addresses with a summary. Bad input
is a 4xx in the API's error shape."""

from __future__ import annotations

import pytest

from mailwright.audit.models import AuditEntry
from mailwright.contacts.models import Contact, Subscription
from tests.api.util import assert_error
from tests.conftest import make_contact

pytestmark = pytest.mark.django_db


@pytest.fixture
def twins(newsletter):
    first = make_contact("jan.kowalski@gmail.com", newsletter)
    second = make_contact("jankowalski+shop@googlemail.com", newsletter, state="pending")
    Subscription.objects.filter(contact=second).update(state="unsubscribed")
    make_contact("solo@example.com", newsletter)
    return first, second


def test_list_then_merge_by_the_rule(api, twins, newsletter):
    first, second = twins
    listed = api.get("/contacts/duplicates")
    assert listed.status_code == 200
    [group] = listed.json()
    assert group["key"] == "jankowalski@gmail.com"
    assert [c["id"] for c in group["contacts"]] == [first.pk, second.pk]
    assert "googlemail.com is gmail.com" in group["reasons"]
    assert listed["X-Total-Count"] == "1"

    merged = api.post("/contacts/duplicates/merge", {"key": group["key"]})
    assert merged.status_code == 200, merged.content
    body = merged.json()
    assert body["id"] == first.pk  # the oldest is kept by default
    assert body["subscriptions"][0]["state"] == "unsubscribed"  # a withdrawal always wins
    assert not Contact.objects.filter(pk=second.pk).exists()
    assert AuditEntry.objects.get(action="contact.merge").channel == "api"
    assert api.get("/contacts/duplicates").json() == []


def test_keep_a_chosen_contact_or_dismiss(api, twins):
    first, second = twins
    kept = api.post(
        "/contacts/duplicates/merge",
        {"key": "jankowalski@gmail.com", "keep": second.pk, "merge": [first.pk]},
    )
    assert kept.status_code == 200 and kept.json()["id"] == second.pk
    make_contact("ola@example.pl")
    make_contact("ola+x@example.pl")
    assert api.post("/contacts/duplicates/dismiss", {"key": "ola@example.pl"}).status_code == 204
    assert api.get("/contacts/duplicates").json() == []


@pytest.mark.parametrize(
    ("payload", "status", "code"),
    [
        ({"key": "nobody@example.com"}, 409, "not_mergeable"),
        ({"key": "jankowalski@gmail.com", "keep": 999999}, 409, "not_mergeable"),
        ({"key": "jankowalski@gmail.com", "merge": [999999]}, 409, "not_mergeable"),
        ({"key": "jankowalski@gmail.com", "merge": []}, 422, "invalid"),
        ({"key": "x" * 5000}, 422, "invalid"),
        ({"key": "jankowalski@gmail.com", "surprise": 1}, 422, "invalid"),
        ({}, 422, "invalid"),
    ],
)
def test_bad_merges_change_nothing(api, twins, payload, status, code):
    assert_error(api.post("/contacts/duplicates/merge", payload), status, code)
    assert Contact.objects.count() == 3


def test_hygiene_check_offline(api):
    r = api.post(
        "/hygiene/check",
        {
            "addresses": ["ana@example.com", "info@example.com", "cy@gmial.com", "not-an-address"],
            "offline": True,
        },
    )
    assert r.status_code == 200, r.content
    body = r.json()
    assert [v["risk"] for v in body["results"]] == ["ok", "role", "typo", "invalid"]
    assert body["results"][2]["suggestion"] == "cy@gmail.com"
    assert body["results"][3]["valid"] is False
    assert body["summary"]["total"] == 4
    assert body["summary"]["counts"]["invalid"] == 1


@pytest.mark.parametrize(
    "payload",
    [
        {"addresses": []},
        {"addresses": ["a@example.com"] * 1001},
        {"addresses": "ana@example.com"},
        {"addresses": [1, 2]},
        {"addresses": ["a@example.com"], "offline": "maybe"},
        {},
    ],
)
def test_hygiene_bad_input(api, payload):
    assert_error(api.post("/hygiene/check", payload), 422, "invalid")


def test_hygiene_hostile_addresses(api):
    r = api.post(
        "/hygiene/check", {"addresses": ["x" * 100_000, "a@" + "b" * 300], "offline": True}
    )
    assert r.status_code == 200
    assert [v["valid"] for v in r.json()["results"]] == [False, False]
    nul = api.post("/hygiene/check", {"addresses": ["a\x00b@example.com"], "offline": True})
    assert_error(nul, 422, "invalid")
