"""The audit log in the API (GET /api/v1/audit-log) and in the UI (Settings → Audit log)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from mailwright.audit.models import AuditEntry
from tests.conftest import make_contact

pytestmark = pytest.mark.django_db


def test_api_lists_filters_and_pages_the_audit_log(api, api_key, newsletter):
    people = [make_contact(f"p{i}@example.com", newsletter) for i in range(3)]
    for p in people:
        assert api.post(f"/contacts/{p.id}/unsubscribe", {}).status_code == 200
    assert api.post("/suppressions", {"email": "gone@example.com"}).status_code == 201

    r = api.get("/audit-log?type=contact.unsubscribe&limit=2")
    assert r.status_code == 200 and r["X-Total-Count"] == "3" and 'rel="next"' in r["Link"]
    rows = r.json()
    assert [row["object_id"] for row in rows] == [str(people[2].id), str(people[1].id)]
    row = rows[0]
    assert row["actor_kind"] == "api_key" and row["channel"] == "api"
    assert row["actor"].startswith("api key ") and row["source_ip"] == "127.0.0.0/24"
    assert row["before"] == {"status": "active"}
    assert row["after"]["status"] == "unsubscribed" and row["after"]["topics"] == ["newsletter"]

    r = api.get(f"/audit-log?object_type=contact&object_id={people[0].id}")
    actions = {row["action"] for row in r.json()}
    assert "contact.unsubscribe" in actions and "contact.status" in actions
    assert [row["action"] for row in api.get("/audit-log?type=suppression.").json()] == [
        "suppression.add"
    ]
    assert api.get("/audit-log?actor=nobody-like-this").json() == []
    assert api.get("/audit-log?limit=0").status_code == 422
    assert api.get("/audit-log?object_id=%00").status_code == 422


def test_settings_audit_log_page(client, newsletter):
    person = make_contact("ui@example.com", newsletter)
    user = User.objects.create_user("olga", password="a long password 123")
    client.force_login(user)
    assert client.post(f"/contacts/{person.id}/unsubscribe/").status_code == 302
    entry = AuditEntry.objects.get(action="contact.unsubscribe")
    assert entry.actor == "olga" and entry.actor_kind == "user" and entry.actor_ref == str(user.id)

    page = client.get("/settings/audit-log/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "contact.unsubscribe" in html and "olga" in html and 'aria-current="page"' in html
    filtered = client.get("/settings/audit-log/?action=suppression.").content.decode()
    assert "contact.unsubscribe" not in filtered and "Nothing recorded that matches" in filtered
    client.logout()
    assert client.get("/settings/audit-log/").status_code == 302  # sign-in required
