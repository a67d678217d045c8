"""/api/v1/segments: stored segments (CRUD, audited), counting a tree, members, the contacts
filter, bad trees named down to the node, and campaigns that pick a stored segment (evaluated
at send time, AND the inline segment)."""

from __future__ import annotations

import pytest

from mailwright.audit.models import AuditEntry
from mailwright.contacts.models import Contact
from tests.api.util import SIMPLE_HTML, assert_error, subscribe

pytestmark = pytest.mark.django_db

VIP_PL = {
    "and": [
        {"field": "tag", "value": "vip"},
        {"field": "language", "op": "eq", "value": "pl"},
    ]
}


@pytest.fixture
def people(api, newsletter):
    rows = {
        "ana@example.com": ("pl", ["vip"]),
        "ola@example.com": ("pl", []),
        "ben@example.com": ("en", ["vip"]),
        "eva@example.com": ("pl", ["vip", "press"]),
    }
    for address, (language, tags) in rows.items():
        r = api.post(
            "/contacts",
            {"email": address, "language": language, "subscriptions": [subscribe()]},
        )
        assert r.status_code == 201, r.content
        Contact.objects.filter(email=address).update(tags=tags)


def test_count_any_tree(api, people):
    r = api.post("/segments/count", {"segment": VIP_PL})
    assert r.status_code == 200 and r.json() == {"count": 2}
    sub = {"field": "subscription", "topic": "newsletter", "value": "confirmed"}
    assert api.post("/segments/count", {"segment": sub}).json() == {"count": 4}


def test_bad_tree_is_422_naming_the_node(api, people):
    tree = {"and": [{"field": "tag", "value": "vip"}, {"field": "birthday", "op": "month"}]}
    error = assert_error(api.post("/segments/count", {"segment": tree}), 422, "invalid_segment")
    assert error["message"].startswith("segment.and[1].value: month needs a month number")
    assert error["field"] == "segment"
    r = api.post("/segments", {"name": "Bad", "tree": {"or": [{"field": "colour"}]}})
    error = assert_error(r, 422, "invalid_segment", "tree")
    assert error["message"] == "tree.or[0].field: unknown field 'colour'"
    assert_error(api.post("/segments/count", {"segment": "vip"}), 422, "invalid", "segment")


def test_crud_with_counts_and_audit(api, people):
    r = api.post("/segments", {"name": "Polish VIPs", "description": "rewards", "tree": VIP_PL})
    assert r.status_code == 201, r.content
    seg = r.json()
    assert seg["count"] == 2 and seg["name"] == "Polish VIPs"
    sid = seg["id"]
    assert_error(api.post("/segments", {"name": "Polish VIPs", "tree": VIP_PL}), 409, "conflict")

    listed = api.get("/segments")
    assert [s["name"] for s in listed.json()] == ["Polish VIPs"]
    assert listed.json()[0]["count"] is None
    assert api.get("/segments", count=1).json()[0]["count"] == 2

    press = {"field": "tag", "op": "in", "value": ["press"]}
    r = api.patch(f"/segments/{sid}", {"tree": press})
    assert r.status_code == 200 and r.json()["count"] == 1
    assert r.json()["description"] == "rewards"  # left out: unchanged
    assert api.get(f"/segments/{sid}").json()["tree"] == press
    assert_error(api.patch(f"/segments/{sid}", {"name": None}), 422, "invalid", "name")

    assert api.delete(f"/segments/{sid}").status_code == 204
    assert_error(api.get(f"/segments/{sid}"), 404, "not_found")
    actions = list(
        AuditEntry.objects.filter(object_type="segment", object_id=str(sid))
        .order_by("id")
        .values_list("action", "actor_kind")
    )
    assert actions == [
        ("segment.create", "api_key"),
        ("segment.update", "api_key"),
        ("segment.delete", "api_key"),
    ]


def test_members_and_contacts_filter(api, people):
    sid = api.post("/segments", {"name": "VIP PL", "tree": VIP_PL}).json()["id"]
    r = api.get(f"/segments/{sid}/contacts", limit=1)
    assert r.status_code == 200 and r["X-Total-Count"] == "2"
    assert [c["email"] for c in r.json()] == ["eva@example.com"]  # newest first
    assert "offset=1" in r["Link"]
    r = api.get("/contacts", segment=sid)
    assert sorted(c["email"] for c in r.json()) == ["ana@example.com", "eva@example.com"]
    assert_error(api.get("/contacts", segment=999999), 404, "not_found", "segment")
    exported = api.get("/contacts/export.csv", segment=sid)
    assert exported.status_code == 200
    lines = b"".join(exported.streaming_content).decode("utf-8-sig").splitlines()
    assert sorted(line.split(",")[0] for line in lines[1:]) == [
        "ana@example.com",
        "eva@example.com",
    ]
    assert_error(api.get("/contacts/export.csv", segment=999999), 404, "not_found", "segment")
    # ?email= finds the one contact whatever the case of the address
    assert [c["email"] for c in api.get("/contacts", email="ANA@Example.com").json()] == [
        "ana@example.com"
    ]


@pytest.fixture
def template_id(api):
    return api.post("/templates", {"name": "T", "subject": "Hi", "html": SIMPLE_HTML}).json()["id"]


def test_campaign_picks_a_stored_segment_read_at_send_time(api, people, template_id):
    sid = api.post("/segments", {"name": "VIPs", "tree": {"field": "tag", "value": "vip"}})
    sid = sid.json()["id"]
    r = api.post(
        "/campaigns",
        {
            "name": "For VIPs",
            "template": template_id,
            "topics": ["newsletter"],
            "segment_id": sid,
            "segment": {"field": "language", "value": "pl"},
        },
    )
    assert r.status_code == 201, r.content
    cid = r.json()["id"]
    assert r.json()["segment_id"] == sid
    # The stored segment changes after the campaign was made: the send uses the new tree.
    api.patch(f"/segments/{sid}", {"tree": {"field": "tag", "op": "in", "value": ["vip", "x"]}})
    Contact.objects.filter(email="ola@example.com").update(tags=["x"])
    # A draft uses it: it cannot be deleted.
    error = assert_error(api.delete(f"/segments/{sid}"), 409, "in_use")
    assert "For VIPs" in error["message"]
    assert api.post(f"/campaigns/{cid}/send").status_code == 200
    got = set(Contact.objects.filter(deliveries__campaign_id=cid).values_list("email", flat=True))
    assert got == {"ana@example.com", "eva@example.com", "ola@example.com"}  # tags AND pl
    # Sent: the audience is frozen, the segment may go; the campaign forgets it.
    assert api.delete(f"/segments/{sid}").status_code == 204
    assert api.get(f"/campaigns/{cid}").json()["segment_id"] is None


def test_campaign_segment_id_errors_and_patch(api, people, template_id):
    base = {"name": "C", "template": template_id, "topics": ["newsletter"]}
    r = api.post("/campaigns", base | {"segment_id": 999999})
    assert_error(r, 422, "not_found", "segment_id")  # as an unknown template is
    cid = api.post("/campaigns", base).json()["id"]
    sid = api.post("/segments", {"name": "S", "tree": VIP_PL}).json()["id"]
    assert api.patch(f"/campaigns/{cid}", {"segment_id": sid}).json()["segment_id"] == sid
    assert api.patch(f"/campaigns/{cid}", {"segment_id": None}).json()["segment_id"] is None
    assert api.delete(f"/segments/{sid}").status_code == 204
