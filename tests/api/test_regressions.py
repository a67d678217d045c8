"""Regressions found through the API: internationalized addresses and bare unsafe attributes."""

from __future__ import annotations

import pytest

from tests.api.util import assert_error, subscribe


@pytest.mark.django_db(transaction=True)
def test_non_ascii_local_part_is_delivered(api, newsletter, capture_relay):
    from tests.conftest import run_worker

    r = api.post(
        "/contacts", {"email": "şükrü@example.com", "name": "Şükrü", "subscriptions": [subscribe()]}
    )
    assert r.status_code == 201
    tid = api.post("/templates", {"name": "T", "subject": "Hi", "html": "<p>x</p>"}).json()["id"]
    cid = api.post("/campaigns", {"name": "C", "template": tid, "topics": ["newsletter"]}).json()[
        "id"
    ]
    api.post(f"/campaigns/{cid}/send")
    assert run_worker(capture_relay) == 1
    assert api.get(f"/campaigns/{cid}").json()["counts"]["sent"] == 1


@pytest.mark.django_db
def test_bare_unsafe_attribute_is_refused(api):
    r = api.post(
        "/templates", {"name": "evil", "subject": "s", "html": "<p>{{ ''.__class__ }}</p>"}
    )
    assert_error(r, 422, "template_error", "html")
