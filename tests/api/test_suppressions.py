"""The suppression list through the API: list, filter, add by hand; erased entries keep
only their hash."""

from __future__ import annotations

import pytest

from mailwright.consent import privacy
from tests.conftest import ADMIN, make_contact

pytestmark = pytest.mark.django_db


def test_add_list_and_filter(api):
    created = api.post("/suppressions", {"email": "No.More@Example.COM", "note": "asked by phone"})
    assert created.status_code == 201
    body = created.json()
    assert body["email"] == "No.More@example.com" and body["reason"] == "manual"
    assert api.post("/suppressions", {"email": "No.More@example.com"}).status_code == 200
    listed = api.get("/suppressions", reason="manual")
    assert [s["email"] for s in listed.json()] == ["No.More@example.com"]
    assert listed["X-Total-Count"] == "1"
    # one address whatever the case of its local part (issue 10): the spelling is kept
    assert [s["email"] for s in api.get("/suppressions", email="no.more@EXAMPLE.com").json()] == [
        "No.More@example.com"
    ]
    assert len(api.get("/suppressions", email="No.More@example.com").json()) == 1


def test_erased_entries_show_no_address(api, newsletter):
    contact = make_contact("erased@example.com", newsletter)
    privacy.erase(contact, by=ADMIN)
    [entry] = api.get("/suppressions", reason="erased").json()
    assert entry["email"] is None and len(entry["email_hash"]) == 64
    assert len(api.get("/suppressions", email="erased@example.com").json()) == 1


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"email": "not an address"}, "email"),
        ({"email": "a@b.example\r\nBcc: x@y.example"}, "email"),
        ({}, "email"),
        ({"email": "a@example.com", "reason": "hard_bounce"}, "reason"),
    ],
)
def test_bad_input(api, payload, field):
    response = api.post("/suppressions", payload)
    assert response.status_code == 422
    assert response.json()["error"]["field"] == field


def test_bad_filter(api):
    response = api.get("/suppressions", reason="nope")
    assert response.status_code == 422 and response.json()["error"]["field"] == "reason"
