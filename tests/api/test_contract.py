"""The §10.1 contract: the happy paths scripts and integrations rely on."""

from __future__ import annotations

import pytest

from tests.api.util import MJML, SIMPLE_HTML, assert_error, subscribe
from tests.conftest import declare

pytestmark = pytest.mark.django_db

COUNT_STATES = {"queued", "sending", "sent", "deferred", "bounced", "failed", "suppressed"}


def test_create_topic(api):
    r = api.post("/topics", {"key": "offers", "name": "Offers"})
    assert r.status_code == 201
    body = r.json()
    assert isinstance(body["id"], int)
    assert body["key"] == "offers"
    assert body["name"] == "Offers"
    assert api.get(f"/topics/{body['id']}").json()["key"] == "offers"


def test_create_contact_with_subscriptions(api, newsletter):
    declare(plan="string", seats="number")
    r = api.post(
        "/contacts",
        {
            "email": "ada@Example.COM",
            "name": "Ada Lovelace",
            "language": "en",
            "attributes": {"plan": "pro", "seats": 3},
            "subscriptions": [subscribe(basis="double opt-in on our site")],
        },
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert isinstance(body["id"], int)
    assert body["email"] == "ada@example.com"  # domain lower-cased, local part kept
    assert body["name"] == "Ada Lovelace"
    assert body["attributes"] == {"plan": "pro", "seats": 3}
    assert [(s["topic"], s["state"], s["basis"]) for s in body["subscriptions"]] == [
        ("newsletter", "confirmed", "double opt-in on our site")
    ]

    got = api.get(f"/contacts/{body['id']}")
    assert got.status_code == 200
    assert got.json()["email"] == "ada@example.com"
    assert got.json()["subscriptions"][0]["state"] == "confirmed"


def test_create_contact_pending_needs_no_basis(api, newsletter):
    r = api.post(
        "/contacts",
        {"email": "p@example.com", "subscriptions": [subscribe(state="pending", basis="")]},
    )
    assert r.status_code == 201, r.content
    assert r.json()["subscriptions"][0]["state"] == "pending"


def test_duplicate_contact_is_a_conflict(api):
    assert api.post("/contacts", {"email": "dup@example.com"}).status_code == 201
    assert_error(api.post("/contacts", {"email": "dup@EXAMPLE.com"}), 409, "conflict", "email")


def test_patch_contact(api, newsletter):
    cid = api.post("/contacts", {"email": "bob@example.com", "name": "Bob"}).json()["id"]
    r = api.patch(
        f"/contacts/{cid}",
        {
            "name": "Robert",
            "language": "pl",
            "subscriptions": [subscribe(basis="signed up at the fair")],
        },
    )
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["name"] == "Robert"
    assert body["language"] == "pl"
    assert body["email"] == "bob@example.com"
    assert body["subscriptions"][0]["state"] == "confirmed"
    # fields left out are unchanged
    declare(vip="bool")
    r = api.patch(f"/contacts/{cid}", {"attributes": {"vip": True}})
    assert r.json()["name"] == "Robert"
    assert r.json()["attributes"] == {"vip": True}


def test_batch_upserts_by_normalized_email(api, newsletter):
    from mailwright.contacts.models import Contact

    api.post("/contacts", {"email": "user@example.com", "name": "Old"})
    r = api.post(
        "/contacts/batch",
        {
            "contacts": [
                {"email": "user@EXAMPLE.com", "name": "Updated"},  # same contact: domain case
                {"email": "new@example.com", "subscriptions": [subscribe()]},
                {"email": "not-an-address"},  # bad row
                {"email": "new2@example.com", "subscriptions": [subscribe(topic="nope")]},
                "a string, not an object",
                {"email": "extra@example.com", "unknown": 1},
                {"email": "NEW@Example.com", "name": "Second write"},  # one person: row 1
                {"email": "new@example.COM", "name": "Newer"},  # updates row 1 again
            ]
        },
    )
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["created"] == 1
    assert body["updated"] == 3
    assert [(e["index"], e["code"]) for e in body["errors"]] == [
        (2, "invalid"),
        (3, "unknown_topic"),
        (4, "invalid"),
        (5, "invalid"),
    ]
    for e in body["errors"]:
        assert set(e) >= {"index", "code", "message"}
        assert e["message"]
    assert body["errors"][0]["field"] == "email"
    assert body["errors"][1]["field"] == "subscriptions[0].topic"
    assert body["errors"][3]["field"] == "unknown"

    # good rows were kept; bad rows left nothing behind
    assert Contact.objects.get(email="user@example.com").name == "Updated"
    assert Contact.objects.get(email="new@example.com").name == "Newer"  # first spelling kept
    assert Contact.objects.filter(email_key="new@example.com").count() == 1
    assert Contact.objects.filter(email="new2@example.com").count() == 0
    # Issue 10: the local part's spelling is kept for sending, but NEW@ and new@ are one person
    assert Contact.objects.filter(email="NEW@example.com").count() == 0
    assert Contact.objects.count() == 2


def test_batch_limit(api):
    too_many = {"contacts": [{"email": f"u{i}@example.com"} for i in range(1001)]}
    assert_error(api.post("/contacts/batch", too_many), 422, "invalid", "contacts")
    ok = {"contacts": [{"email": f"u{i}@example.com"} for i in range(1000)]}
    r = api.post("/contacts/batch", ok)
    assert r.json() == {"created": 1000, "updated": 0, "errors": []}


def test_template_with_html(api):
    r = api.post(
        "/templates",
        {"name": "Welcome", "subject": "Hi {{ contact.first_name }}", "html": SIMPLE_HTML},
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert isinstance(body["id"], int)
    assert body["html"] == SIMPLE_HTML
    assert body["mjml"] == ""
    assert api.get(f"/templates/{body['id']}").json()["subject"] == "Hi {{ contact.first_name }}"


def test_template_with_mjml_compiles_to_html(api):
    r = api.post("/templates", {"name": "MJML", "subject": "Hello", "mjml": MJML})
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["mjml"] == MJML
    assert body["html"].lower().startswith("<!doctype html>")
    assert "<mj-" not in body["html"]
    assert "Hello {{ contact.first_name }}" in body["html"]  # Jinja survives MJML compilation


def test_put_template(api):
    tid = api.post("/templates", {"name": "A", "subject": "A", "html": "<p>a</p>"}).json()["id"]
    r = api.put(
        f"/templates/{tid}",
        {"name": "B", "subject": "B {{ contact.name }}", "mjml": MJML, "text": "plain"},
    )
    assert r.status_code == 200, r.content
    body = r.json()
    assert (body["id"], body["name"], body["text"], body["mjml"]) == (tid, "B", "plain", MJML)
    assert api.get(f"/templates/{tid}").json()["subject"] == "B {{ contact.name }}"


def _template(api) -> int:
    return api.post(
        "/templates", {"name": "T", "subject": "Hi {{ contact.first_name }}", "html": SIMPLE_HTML}
    ).json()["id"]


def test_create_campaign_send_and_counts(api, newsletter):
    api.post("/contacts", {"email": "one@example.com", "subscriptions": [subscribe()]})
    api.post(
        "/contacts",
        {"email": "two@example.com", "subscriptions": [subscribe(state="pending", basis="")]},
    )
    r = api.post(
        "/campaigns",
        {
            "name": "Launch",
            "template": _template(api),
            "topics": ["newsletter"],
            "segment": {"field": "email", "op": "contains", "value": "example.com"},
        },
    )
    assert r.status_code == 201, r.content
    campaign = r.json()
    assert campaign["state"] == "draft"
    assert campaign["topics"] == ["newsletter"]
    assert set(campaign["counts"]) == COUNT_STATES

    r = api.post(f"/campaigns/{campaign['id']}/send")
    assert r.status_code == 200, r.content
    assert r.json() == {"id": campaign["id"], "state": "sending"}

    got = api.get(f"/campaigns/{campaign['id']}").json()
    assert got["state"] == "sending"
    assert got["recipients_total"] == 1  # only the confirmed contact
    assert got["counts"] == dict.fromkeys(COUNT_STATES, 0) | {"queued": 1}


def test_pause_resume_cancel(api, newsletter):
    api.post("/contacts", {"email": "one@example.com", "subscriptions": [subscribe()]})
    cid = api.post(
        "/campaigns", {"name": "C", "template": _template(api), "topics": ["newsletter"]}
    ).json()["id"]
    api.post(f"/campaigns/{cid}/send")
    assert api.post(f"/campaigns/{cid}/pause").json() == {"id": cid, "state": "paused"}
    assert api.post(f"/campaigns/{cid}/resume").json() == {"id": cid, "state": "sending"}
    assert api.post(f"/campaigns/{cid}/cancel").json() == {"id": cid, "state": "cancelled"}
    assert api.get(f"/campaigns/{cid}").json()["counts"]["failed"] == 1


def test_pagination(api):
    for i in range(5):
        api.post("/contacts", {"email": f"p{i}@example.com"})
    r = api.get("/contacts", limit=2)
    assert r.status_code == 200
    assert r["X-Total-Count"] == "5"
    assert [c["email"] for c in r.json()] == ["p0@example.com", "p1@example.com"]
    assert r["Link"] == '</api/v1/contacts?limit=2&offset=2>; rel="next"'

    r = api.get("/contacts", limit=2, offset=4)
    assert [c["email"] for c in r.json()] == ["p4@example.com"]
    assert r["X-Total-Count"] == "5"
    assert "Link" not in r

    # other query parameters are kept in the next link
    r = api.get("/contacts", q="example", limit=3)
    assert r["Link"] == '</api/v1/contacts?q=example&limit=3&offset=3>; rel="next"'

    assert api.get("/contacts", offset=99).json() == []


@pytest.mark.parametrize(
    "path", ["/topics", "/contacts", "/templates", "/campaigns", "/outbox/captured"]
)
@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 501}, "limit"),
        ({"offset": -1}, "offset"),
        ({"limit": "ten"}, "limit"),
    ],
)
def test_pagination_out_of_range(api, path, params, field):
    assert_error(api.get(path, **params), 422, "invalid", field)


def test_list_filters(api, newsletter):
    api.post("/contacts", {"email": "Find.Me@Example.com", "name": "Findable"})
    api.post("/contacts", {"email": "other@example.com"})
    r = api.get("/contacts", email="Find.Me@EXAMPLE.COM")
    assert [c["email"] for c in r.json()] == ["Find.Me@example.com"]
    assert [c["name"] for c in api.get("/contacts", q="findab").json()] == ["Findable"]
    tid = _template(api)
    api.post("/campaigns", {"name": "C", "template": tid, "topics": ["newsletter"]})
    assert len(api.get("/campaigns", state="draft").json()) == 1
    assert api.get("/campaigns", state="sent").json() == []
    assert [t["key"] for t in api.get("/topics").json()] == ["newsletter"]
    assert [t["id"] for t in api.get("/templates").json()] == [tid]


def test_openapi_document(client):
    r = client.get("/api/v1/openapi.json")
    assert r.status_code == 200
    doc = r.json()
    assert doc["openapi"].startswith("3.")
    paths = set(doc["paths"])
    for path in [
        "/api/v1/topics",
        "/api/v1/contacts",
        "/api/v1/contacts/{contact_id}",
        "/api/v1/contacts/batch",
        "/api/v1/templates",
        "/api/v1/templates/{template_id}",
        "/api/v1/campaigns",
        "/api/v1/campaigns/{campaign_id}",
        "/api/v1/campaigns/{campaign_id}/send",
        "/api/v1/outbox/captured",
        "/api/v1/outbox/captured/{message_id}/raw",
    ]:
        assert path in paths, path
    # list endpoints take limit/offset, never a "response" parameter
    params = {p["name"] for p in doc["paths"]["/api/v1/contacts"]["get"]["parameters"]}
    assert {"limit", "offset"} <= params
    assert "response" not in params
    assert doc["paths"]["/api/v1/contacts"]["post"]["security"]
