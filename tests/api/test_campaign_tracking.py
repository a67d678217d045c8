"""Per-campaign tracking switches (track_opens, track_clicks): set through the API (create and
PATCH of a draft), read back, and honoured by the worker sending to a real SMTP sink."""

from __future__ import annotations

from email import message_from_bytes, policy

import pytest

from tests.api.util import assert_error, subscribe
from tests.conftest import run_worker

pytestmark = pytest.mark.django_db(transaction=True)

HTML = (
    "<html><body><p>Hi {{ contact.first_name }}</p>"
    '<a href="https://shop.example.com/spring">Spring sale</a> '
    '<a href="{{ unsubscribe_url }}">Unsubscribe</a> <a href="{{ preferences_url }}">Prefs</a>'
    "<p>{{ organisation.address }}</p></body></html>"
)


def _template(api) -> int:
    r = api.post("/templates", {"name": "T", "subject": "Hi", "html": HTML})
    assert r.status_code == 201, r.content
    return r.json()["id"]


def _campaign(api, **fields) -> dict:
    body = {"name": "C", "template": _template(api), "topics": ["newsletter"], **fields}
    r = api.post("/campaigns", body)
    assert r.status_code == 201, r.content
    return r.json()


def test_the_switches_default_to_on_and_round_trip(api, newsletter):
    created = _campaign(api)
    assert (created["track_opens"], created["track_clicks"]) == (True, True)

    off = _campaign(api, track_opens=False, track_clicks=False)
    assert (off["track_opens"], off["track_clicks"]) == (False, False)
    got = api.get(f"/campaigns/{off['id']}").json()
    assert (got["track_opens"], got["track_clicks"]) == (False, False)
    listed = {c["id"]: c for c in api.get("/campaigns").json()}
    assert listed[off["id"]]["track_clicks"] is False

    r = api.patch(f"/campaigns/{off['id']}", {"track_clicks": True})
    assert r.status_code == 200, r.content
    assert (r.json()["track_opens"], r.json()["track_clicks"]) == (False, True)
    assert r.json()["name"] == "C" and r.json()["topics"] == ["newsletter"]
    got = api.get(f"/campaigns/{off['id']}").json()
    assert (got["track_opens"], got["track_clicks"]) == (False, True)


def test_patch_refuses_bad_input_and_sent_campaigns(api, newsletter):
    cid = _campaign(api)["id"]
    assert_error(api.patch(f"/campaigns/{cid}", {"track_opens": "maybe"}), 422, "invalid")
    assert_error(api.patch(f"/campaigns/{cid}", {"name": None}), 422, "invalid", "name")
    assert_error(api.patch(f"/campaigns/{cid}", {"name": "  "}), 422, "invalid", "name")
    assert_error(api.patch(f"/campaigns/{cid}", {"topics": ["nope"]}), 422, "unknown_topic")
    assert_error(api.patch(f"/campaigns/{cid}", {"colour": "red"}), 422, "invalid")
    assert_error(api.patch("/campaigns/999999", {"name": "x"}), 404, "not_found")
    assert api.get(f"/campaigns/{cid}").json()["name"] == "C"

    api.post("/contacts", {"email": "ana@example.com", "subscriptions": [subscribe()]})
    assert api.post(f"/campaigns/{cid}/send").status_code == 200
    assert_error(api.patch(f"/campaigns/{cid}", {"track_opens": False}), 409, "invalid_state")
    assert api.get(f"/campaigns/{cid}").json()["track_opens"] is True


@pytest.mark.parametrize(
    ("opens", "clicks"), [(False, False), (True, False), (False, True), (True, True)]
)
def test_the_sent_message_follows_the_switches(api, newsletter, smtp_sink, opens, clicks):
    api.post("/contacts", {"email": "ana@example.com", "subscriptions": [subscribe()]})
    cid = _campaign(api, track_opens=opens, track_clicks=clicks)["id"]
    api.post(f"/campaigns/{cid}/send")
    assert run_worker(smtp_sink.relay) == 1

    msg = message_from_bytes(smtp_sink.messages[0].data, policy=policy.default)
    html = msg.get_body(("html",)).get_content()
    text = msg.get_body(("plain",)).get_content()
    assert ("/t/o/" in html) is opens
    assert ("/t/c/" in html) is clicks
    assert ('href="https://shop.example.com/spring"' in html) is not clicks
    assert ("/t/c/" in text) is clicks
    assert "/u/" in html and "/p/" in html  # never tracked
