"""Contact fields through the API: declared typed attributes (merged on PATCH), tags, time zone,
birthday and anniversary; /api/v1/attributes; the list's filters and the CSV export."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest

from mailwright.audit.models import AuditEntry
from mailwright.contacts.models import AttributeDefinition, Contact
from tests.api.util import assert_error
from tests.conftest import declare, make_contact

pytestmark = pytest.mark.django_db


@pytest.fixture
def declared(db):
    declare(plan="string", orders="number", since="date", vip="bool")


def create(api, **fields):
    return api.post("/contacts", {"email": "ana@example.com", **fields})


def test_typed_attributes_are_stored_typed(api, declared):
    r = create(api, attributes={"plan": "pro", "orders": 3, "since": "2024-05-01", "vip": True})
    assert r.status_code == 201, r.content
    assert r.json()["attributes"] == {
        "plan": "pro",
        "orders": 3,
        "since": "2024-05-01",
        "vip": True,
    }


@pytest.mark.parametrize(
    "attributes, field, message",
    [
        ({"colour": "red"}, "attributes.colour", "no such attribute; declare it first"),
        ({"orders": "3"}, "attributes.orders", "expected a number"),
        ({"orders": True}, "attributes.orders", "expected a number, got true/false"),
        ({"orders": 1e20}, "attributes.orders", "number is too large"),
        ({"since": "01.05.2024"}, "attributes.since", "expected a date (YYYY-MM-DD)"),
        ({"since": "2024-02-30"}, "attributes.since", "expected a date"),
        ({"vip": "yes"}, "attributes.vip", "expected true or false"),
        ({"plan": ["a"]}, "attributes.plan", "expected text"),
        ({"plan": {"nested": 1}}, "attributes.plan", "expected text"),
        ({"plan": "x" * 1001}, "attributes.plan", "longer than 1,000 characters"),
    ],
)
def test_bad_attributes_are_a_422_naming_the_attribute(api, declared, attributes, field, message):
    error = assert_error(create(api, attributes=attributes), 422, "invalid", field)
    assert error["message"].startswith(f"{field}: ")
    assert message in error["message"]
    assert not Contact.objects.exists()


def test_patch_merges_attributes_and_null_removes_one(api, declared):
    cid = create(api, name="Ana", attributes={"plan": "pro", "orders": 3}).json()["id"]
    r = api.patch(f"/contacts/{cid}", {"attributes": {"orders": 4, "vip": False}})
    assert r.status_code == 200, r.content
    assert r.json()["attributes"] == {"plan": "pro", "orders": 4, "vip": False}
    r = api.patch(f"/contacts/{cid}", {"attributes": {"plan": None}})
    assert r.json()["attributes"] == {"orders": 4, "vip": False}
    r = api.patch(f"/contacts/{cid}", {"name": "Ana N."})  # attributes left out: kept
    assert r.json()["attributes"] == {"orders": 4, "vip": False}
    # a bad value changes nothing
    assert_error(api.patch(f"/contacts/{cid}", {"attributes": {"orders": "x"}}), 422)
    assert Contact.objects.get(pk=cid).attributes == {"orders": 4, "vip": False}


def test_batch_rows_with_bad_attributes_are_reported(api, declared):
    r = api.post(
        "/contacts/batch",
        {
            "contacts": [
                {"email": "a@example.com", "attributes": {"orders": 2}},
                {"email": "b@example.com", "attributes": {"orders": "two"}},
            ]
        },
    )
    assert r.json()["created"] == 1
    [error] = r.json()["errors"]
    assert (error["index"], error["field"]) == (1, "attributes.orders")


def test_tags_time_zone_and_dates(api):
    r = create(
        api,
        tags=[" vip ", "fair-2026", "vip", ""],
        time_zone="Europe/Warsaw",
        birthday="1990-05-01",
        anniversary="2015-03-02",
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["tags"] == ["vip", "fair-2026"]  # trimmed, de-duplicated
    assert (body["time_zone"], body["birthday"], body["anniversary"]) == (
        "Europe/Warsaw",
        "1990-05-01",
        "2015-03-02",
    )
    cid = body["id"]
    r = api.patch(f"/contacts/{cid}", {"tags": ["new"], "birthday": None})
    assert (r.json()["tags"], r.json()["birthday"], r.json()["anniversary"]) == (
        ["new"],
        None,
        "2015-03-02",
    )
    assert r.json()["time_zone"] == "Europe/Warsaw"


TOMORROW = (date.today() + timedelta(days=1)).isoformat()


@pytest.mark.parametrize(
    "fields, field, message",
    [
        ({"tags": [f"t{i}" for i in range(51)]}, "tags", "at most 50 tags"),
        ({"tags": ["x" * 65]}, "tags[0]", "at most 64 characters"),
        ({"tags": ["a", "line\nbreak"]}, "tags[1]", "on one line"),
        ({"tags": [3]}, "tags[0]", "valid string"),
        ({"tags": "vip"}, "tags", "valid list"),
        ({"time_zone": "Mars/Olympus"}, "time_zone", "not a known IANA time zone"),
        ({"time_zone": "../../etc/passwd"}, "time_zone", "not a known IANA time zone"),
        ({"time_zone": ""}, "time_zone", "expected an IANA time zone"),
        ({"birthday": TOMORROW}, "birthday", "cannot be in the future"),
        ({"birthday": "1990-13-01"}, "birthday", "expected a date as YYYY-MM-DD"),
        ({"birthday": "19900501"}, "birthday", "expected a date as YYYY-MM-DD"),
        ({"anniversary": "1800-01-01"}, "anniversary", "1900 or later"),
        ({"anniversary": 20200101}, "anniversary", "valid string"),
    ],
)
def test_bad_fields_are_a_422_naming_the_field(api, fields, field, message):
    error = assert_error(create(api, **fields), 422, "invalid", field)
    assert message in error["message"]


def test_a_future_anniversary_is_fine(api):
    assert create(api, anniversary=TOMORROW).status_code == 201


# --- /attributes ----------------------------------------------------------------------------


def test_attribute_crud(api):
    r = api.post("/attributes", {"key": "plan", "type": "string", "label": "Plan"})
    assert r.status_code == 201, r.content
    assert {k: r.json()[k] for k in ("key", "type", "label")} == {
        "key": "plan",
        "type": "string",
        "label": "Plan",
    }
    assert [a["key"] for a in api.get("/attributes").json()] == ["plan"]
    r = api.patch("/attributes/plan", {"label": "Price plan"})
    assert r.json()["label"] == "Price plan"
    assert_error(api.post("/attributes", {"key": "plan", "type": "number"}), 409, "conflict")
    assert_error(api.patch("/attributes/nope", {"label": "x"}), 404, "not_found")
    assert_error(api.delete("/attributes/nope"), 404, "not_found")
    actions = list(
        AuditEntry.objects.filter(object_type="attribute").values_list("action", flat=True)
    )
    assert sorted(actions) == ["attribute.define", "attribute.update"]


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"key": "Plan", "type": "string"}, "key"),
        ({"key": "1st", "type": "string"}, "key"),
        ({"key": "a-b", "type": "string"}, "key"),
        ({"key": "plan\n", "type": "string"}, "key"),
        ({"key": "x" * 65, "type": "string"}, "key"),
        ({"key": "plan", "type": "json"}, "type"),
        ({"key": "plan", "type": "string", "label": "a\nb"}, "label"),
    ],
)
def test_bad_attribute_definitions(api, payload, field):
    assert_error(api.post("/attributes", payload), 422, "invalid", field)
    assert not AttributeDefinition.objects.exists()


def test_type_change_converts_or_names_the_blockers(api):
    api.post("/attributes", {"key": "orders", "type": "string"})
    a = make_contact("a@example.com", attributes={"orders": "3"})
    b = make_contact("b@example.com", attributes={"orders": "1,5"})
    c = make_contact("c@example.com", attributes={"orders": "many"})
    error = assert_error(api.patch("/attributes/orders", {"type": "number"}), 409, "conflict")
    assert "1 contact has a value that does not convert (e.g. 'many')" in error["message"]
    assert AttributeDefinition.objects.get(key="orders").type == "string"
    assert Contact.objects.get(pk=a.pk).attributes == {"orders": "3"}  # nothing changed

    api.patch(f"/contacts/{c.pk}", {"attributes": {"orders": None}})
    r = api.patch("/attributes/orders", {"type": "number"})
    assert r.status_code == 200, r.content
    assert Contact.objects.get(pk=a.pk).attributes == {"orders": 3}
    assert Contact.objects.get(pk=b.pk).attributes == {"orders": 1.5}
    assert_error(api.patch(f"/contacts/{a.pk}", {"attributes": {"orders": "4"}}), 422)


def test_delete_removes_the_value_from_every_contact(api):
    make_contact("a@example.com", attributes={"plan": "pro", "orders": 2})
    make_contact("b@example.com", attributes={"plan": "free"})
    make_contact("c@example.com", attributes={"orders": 1})
    r = api.delete("/attributes/plan")
    assert r.json() == {"key": "plan", "contacts_changed": 2}
    assert sorted(Contact.objects.values_list("email", "attributes")) == [
        ("a@example.com", {"orders": 2}),
        ("b@example.com", {}),
        ("c@example.com", {"orders": 1}),
    ]
    assert_error(create(api, attributes={"plan": "pro"}), 422, "invalid", "attributes.plan")
    entry = AuditEntry.objects.get(action="attribute.delete")
    assert entry.after == {"contacts_changed": 2}


# --- list filters and export ----------------------------------------------------------------


def test_list_filters_and_export(api, newsletter):
    make_contact("ana@example.com", newsletter, name="Ana")
    make_contact("bob@example.com", newsletter, state="pending")
    make_contact("=cy@example.com")
    r = api.get("/contacts", topic="newsletter", state="confirmed")
    assert [c["email"] for c in r.json()] == ["ana@example.com"]
    assert_error(api.get("/contacts", state="maybe"), 422, "invalid", "state")
    assert_error(api.get("/contacts", created_after="yesterday"), 422, "invalid", "created_after")

    r = api.get("/contacts/export.csv", topic="newsletter")
    assert r.status_code == 200 and r["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(b"".join(r.streaming_content).decode("utf-8-sig"))))
    assert [(x["email"], x["subscriptions"]) for x in rows] == [
        ("ana@example.com", "newsletter:confirmed"),
        ("bob@example.com", "newsletter:pending"),
    ]
    r = api.get("/contacts/export.csv", q="cy")
    assert b"'=cy@example.com" in b"".join(r.streaming_content)
    assert_error(api.get("/contacts/export.csv", topic="nope"), 422, "invalid", "topic")
    assert AuditEntry.objects.filter(action="contact.export").count() == 2


@pytest.mark.django_db(transaction=True)
def test_export_streams_under_asgi(api_key, recwarn):
    """Through uvicorn as `mailwright web` runs it: the CSV arrives in chunks (chunked
    transfer, no Content-Length), complete, and Django did not have to read it all into
    memory first (it warns when it must: a synchronous iterator under ASGI)."""
    from tests.web_server import WebServer

    declare(n="number")
    Contact.objects.bulk_create(
        [Contact(email=f"p{i:04d}@example.com", attributes={"n": i}) for i in range(2100)]
    )
    server = WebServer(fast_path=False).start()
    try:
        answer = server.request(
            "GET",
            "/api/v1/contacts/export.csv",
            headers={"Authorization": f"Bearer {api_key}"},
        )
    finally:
        server.stop()
    assert answer.status == 200
    assert answer.headers["transfer-encoding"] == "chunked"
    assert "content-length" not in answer.headers
    body, chunks = answer.body, []
    while body:  # undo the chunked encoding
        size, rest = body.split(b"\r\n", 1)
        if int(size, 16) == 0:
            break
        chunks.append(rest[: int(size, 16)])
        body = rest[int(size, 16) + 2 :]
    assert len(chunks) >= 4  # the header, then one piece per 1,000 contacts
    lines = b"".join(chunks).decode("utf-8-sig").splitlines()
    assert lines[0] == (
        "email,name,language,time_zone,status,tags,birthday,anniversary,created_at,subscriptions,n"
    )
    assert len(lines) == 2101 and lines[-1].startswith("p2099@example.com,")
    assert not [w for w in recwarn if "synchronous iterators" in str(w.message)]
