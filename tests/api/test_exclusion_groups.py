"""The audience API (SPEC §4.5): per-reason counts live and frozen, the empty-audience 422,
and exclusion groups: people reached by post or phone added as JSON or CSV, listed, and left
out of the group's campaigns."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from mailwright.audit.models import AuditEntry
from mailwright.campaigns.models import Campaign, ExclusionEntry
from tests.api.util import SIMPLE_HTML, assert_error, subscribe

pytestmark = pytest.mark.django_db

DAY_AGO = (timezone.now() - timedelta(hours=2)).isoformat()


def campaign(api, newsletter, group=""):
    tid = api.post("/templates", {"name": "T", "subject": "Hi", "html": SIMPLE_HTML}).json()["id"]
    cid = api.post("/campaigns", {"name": "C", "template": tid, "topics": ["newsletter"]})
    cid = cid.json()["id"]
    if group:
        Campaign.objects.filter(pk=cid).update(exclusion_group=group)
    return cid


def post_raw(client, api, path, data: bytes, content_type: str):
    return client.post(f"/api/v1{path}", data, content_type=content_type, headers=api.headers)


def people(api, *emails, state="confirmed"):
    for address in emails:
        r = api.post("/contacts", {"email": address, "subscriptions": [subscribe(state=state)]})
        assert r.status_code == 201, r.content


def test_audience_counts_live_then_frozen(api, newsletter):
    people(api, "a@example.com", "b@example.com")
    people(api, "p@example.com", state="pending")
    cid = campaign(api, newsletter, group="spring")
    r = api.post(
        "/exclusion-groups/spring/entries",
        [{"email": "B@example.com", "reached_at": DAY_AGO, "channel": "phone"}],
    )
    assert r.status_code == 201, r.content
    live = api.get(f"/campaigns/{cid}/audience").json()
    assert live == {
        "eligible": 1,
        "excluded": {
            "inactive": 0,
            "suppressed": 0,
            "no_consent": 1,
            "paused": 0,
            "frequency_cap": 0,
            "exclusion_group": 1,
        },
        "frozen": False,
    }
    assert api.post(f"/campaigns/{cid}/send").status_code == 200
    people(api, "late@example.com")  # joins after the freeze: the counts do not move
    frozen = api.get(f"/campaigns/{cid}/audience").json()
    assert frozen == {**live, "frozen": True}
    assert_error(api.get("/campaigns/999999/audience"), 404, "not_found")


def test_empty_audience_is_422_with_the_reasons(api, newsletter):
    people(api, "p@example.com", state="pending")
    cid = campaign(api, newsletter)
    r = api.post(f"/campaigns/{cid}/send")
    assert r.status_code == 422, r.content
    data = r.json()
    assert data["error"]["code"] == "empty_audience"
    assert "1 no_consent" in data["error"]["message"]
    assert data["exclusions"]["no_consent"] == 1 and data["exclusions"]["eligible"] == 0
    assert api.get(f"/campaigns/{cid}").json()["state"] == "draft"


def test_add_entries_json_and_csv_then_list(api, client, newsletter):
    people(api, "Known@Example.com")
    cid = campaign(api, newsletter, group="winter-sale")
    rows = [
        {"email": "known@example.com", "reached_at": DAY_AGO, "channel": "post"},
        {"email": "Stranger@EXAMPLE.com", "reached_at": "2026-01-05", "channel": "phone"},
    ]
    r = api.post("/exclusion-groups/winter-sale/entries", rows)
    assert r.status_code == 201 and r.json() == {"group": "winter-sale", "added": 2}
    csv_body = "email;reached_at;channel\nthird@example.com;2026-02-01T10:00:00+01:00;post\n"
    path = "/exclusion-groups/winter-sale/entries"
    r = post_raw(client, api, path, csv_body.encode(), "text/csv")
    assert r.status_code == 201 and r.json()["added"] == 1
    entries = api.get("/exclusion-groups/winter-sale/entries").json()
    by_email = {e["email"]: e for e in entries}
    assert set(by_email) == {"known@example.com", "stranger@example.com", "third@example.com"}
    assert by_email["known@example.com"]["contact_id"] is not None
    assert by_email["stranger@example.com"]["contact_id"] is None
    assert by_email["third@example.com"]["reached_at"].startswith("2026-02-01T09:00:00")
    [group] = api.get("/exclusion-groups").json()
    assert group["group"] == "winter-sale" and group["entries"] == 3
    assert [c["id"] for c in group["campaigns"]] == [cid]
    assert AuditEntry.objects.filter(action="exclusion.add").count() == 2


def test_bad_rows_are_reported_by_index_and_nothing_is_added(api):
    future = (timezone.now() + timedelta(days=3)).isoformat()
    rows = [
        {"email": "ok@example.com", "reached_at": DAY_AGO, "channel": "post"},
        {"email": "not-an-address", "reached_at": DAY_AGO},
        {"email": "c@example.com", "reached_at": future, "channel": "post"},
        {"email": "d@example.com", "channel": "post"},
        {"email": "e@example.com", "reached_at": "yesterday", "channel": "post"},
        {"email": "f@example.com", "reached_at": DAY_AGO, "channel": "pigeon"},
        {"email": "g@example.com", "reached_at": 20261201, "channel": 5},
        {"email": "h@example.com", "reached_at": DAY_AGO, "channel": 5},
        "not an object",
    ]
    r = api.post("/exclusion-groups/g/entries", rows)
    assert r.status_code == 422, r.content
    problems = r.json()["errors"]
    assert [(p["index"], p["field"]) for p in problems] == [
        (1, "email"),
        (2, "reached_at"),
        (3, "reached_at"),
        (4, "reached_at"),
        (5, "channel"),
        (6, "reached_at"),
        (7, "channel"),
        (8, ""),
    ]
    assert "future" in problems[1]["message"]
    assert not ExclusionEntry.objects.exists()
    too_many = [{"email": f"x{i}@example.com", "reached_at": DAY_AGO} for i in range(10_001)]
    r = api.post("/exclusion-groups/g/entries", too_many)
    assert r.status_code == 422 and "10,000" in r.json()["error"]["message"]
    assert_error(api.post("/exclusion-groups/g/entries", {"email": "x"}), 422, "invalid")
    assert_error(api.post("/exclusion-groups/g/entries", raw="[{"), 400, "bad_request")


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (b"", "empty"),
        (b"name,phone\nAna,123\n", "email,reached_at"),
        (b"email,reached_at\n", "no rows"),
        (b"PK\x03\x04rest-of-a-zip", "save it as CSV"),
        (b'email,reached_at\n"unterminated,2026-01-01\n', "row"),
    ],
)
def test_malformed_csv_is_a_clear_422(api, client, body, words):
    r = post_raw(client, api, "/exclusion-groups/g/entries", body, "text/csv")
    assert r.status_code == 422, r.content
    assert words in r.json()["error"]["message"]


def test_other_content_types_are_415(api, client):
    r = post_raw(client, api, "/exclusion-groups/g/entries", b"x", "text/plain")
    assert r.status_code == 415


def test_erasing_a_person_removes_their_entries(api, newsletter):
    people(api, "ana@example.com")
    contact_id = api.get("/contacts", email="ana@example.com").json()[0]["id"]
    rows = [
        {"email": "ana@example.com", "reached_at": DAY_AGO, "channel": "post"},
        {"email": "bo@example.com", "reached_at": DAY_AGO, "channel": "post"},
    ]
    assert api.post("/exclusion-groups/g/entries", rows).status_code == 201
    assert api.post(f"/contacts/{contact_id}/erase").status_code == 200
    remaining = api.get("/exclusion-groups/g/entries").json()
    assert [e["email"] for e in remaining] == ["bo@example.com"]
