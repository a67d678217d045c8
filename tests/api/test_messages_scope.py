"""API keys scoped to sending: `mailwright apikey create NAME --scope send` makes a key that
may send and read service messages and list service templates, and nothing else."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from tests.api.test_messages import DATA, reset_template  # noqa: F401  (fixture)
from tests.api.util import assert_error

pytestmark = pytest.mark.django_db


def test_send_scoped_key(client, reset_template):  # noqa: F811
    from mailwright.api.models import ApiKey

    out, err = StringIO(), StringIO()
    call_command("apikey", "create", "shop backend", "--scope", "send", stdout=out, stderr=err)
    key = out.getvalue().strip()
    assert "scope send" in err.getvalue()
    assert ApiKey.objects.get(name="shop backend").scope == "send"
    h = {"Authorization": f"Bearer {key}"}

    body = {"template": "password-reset", "to": "a@example.com", "data": DATA}
    r = client.post("/api/v1/messages", body, content_type="application/json", headers=h)
    assert r.status_code == 202, r.content
    mid = r.json()["id"]
    assert client.get(f"/api/v1/messages/{mid}", headers=h).json()["state"] == "queued"
    assert client.get("/api/v1/messages", headers=h).status_code == 200
    batch = client.post(
        "/api/v1/messages/batch", {"messages": [body]}, content_type="application/json", headers=h
    )
    assert batch.status_code == 200
    assert client.get("/api/v1/templates", {"kind": "service"}, headers=h).status_code == 200

    for method, path in [
        ("get", "/api/v1/contacts"),
        ("get", "/api/v1/templates"),
        ("get", "/api/v1/suppressions"),
        ("post", "/api/v1/campaigns"),
        ("get", "/api/v1/outbox/captured"),
    ]:
        response = getattr(client, method)(path, headers=h)
        error = assert_error(response, 403, "forbidden_scope")
        assert "send" in error["message"]

    # A full key is not limited; an unknown scope is refused.
    full = StringIO()
    call_command("apikey", "create", "--name", "admin", stdout=full, stderr=StringIO())
    hf = {"Authorization": f"Bearer {full.getvalue().strip()}"}
    assert client.get("/api/v1/contacts", headers=hf).status_code == 200
    with pytest.raises(CommandError, match="invalid choice"):
        call_command("apikey", "create", "x", "--scope", "everything", stderr=StringIO())
