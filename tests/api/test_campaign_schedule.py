"""The API's scheduling fields and controls: bad values are 422s naming the field; send with
a future send_at schedules; unschedule, cancel, duplicate, delete and edit follow the
campaign's state (a campaign that has started sending is refused with what to do)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from mailwright.campaigns.models import Campaign, Template
from mailwright.consent.organisation import current
from tests.api.util import SIMPLE_HTML, assert_error, subscribe

pytestmark = pytest.mark.django_db(transaction=True)
FUTURE = (timezone.now() + timedelta(days=3)).replace(microsecond=0).isoformat()


def _template(api) -> int:
    return api.post("/templates", {"name": "T", "subject": "Hi", "html": SIMPLE_HTML}).json()["id"]


def _body(api, **fields) -> dict:
    return {"name": "C", "template": _template(api), "topics": ["newsletter"], **fields}


AB = {
    "variants": [{"subject": "A"}, {"subject": "B"}],
    "sample_percent": 10,
    "metric": "opens",
    "wait_minutes": 60,
}
BAD = [
    ({"send_at": "2030-01-01T09:00:00"}, "send_at", "offset"),
    ({"send_at": "2001-01-01T09:00:00+00:00"}, "send_at", "past"),
    ({"send_at": "next tuesday"}, "send_at", "ISO 8601"),
    ({"window": {"start": "09:00", "end": "09:00"}}, "window.end", "differ"),
    ({"window": {"start": "25:00", "end": "09:00"}}, "window.start", "time of day"),
    ({"window": {"start": "9am", "end": "11:00"}}, "window.start", "HH:MM"),
    ({"exclusion_group": "spring sale!"}, "exclusion_group", "slug"),
    ({"exclusion_window_hours": 0}, "exclusion_window_hours", "1 to 720"),
    ({"exclusion_window_hours": 721}, "exclusion_window_hours", "1 to 720"),
    ({"ab_test": {**AB, "variants": [{"subject": "A"}]}}, "ab_test.variants", "2 to 5"),
    ({"ab_test": {**AB, "variants": [{"subject": "A"}] * 6}}, "ab_test.variants", "2 to 5"),
    ({"ab_test": {**AB, "sample_percent": 51}}, "ab_test.sample_percent", "1 to 50"),
    ({"ab_test": {**AB, "metric": "revenue"}}, "ab_test.metric", "opens"),
    ({"ab_test": {**AB, "wait_minutes": 4}}, "ab_test.wait_minutes", "5 to 10080"),
    (
        {"ab_test": {**AB, "variants": [{"subject": "A"}, {"subject": "B\r\nBcc: x@y"}]}},
        "ab_test.variants[1].subject",
        "line break",
    ),
    (
        {"ab_test": {**AB, "variants": [{"subject": "A"}, {"subject": "x" * 999}]}},
        "ab_test.variants[1].subject",
        "998",
    ),
    (
        {"ab_test": {**AB, "variants": [{"subject": "A"}, {"template": 999999}]}},
        "ab_test.variants[1].template",
        "no template",
    ),
    (
        {"ab_test": {**AB, "variants": [{"subject": "A"}, {"subject": "B", "template": 1}]}},
        "ab_test.variants[1]",
        "subject",
    ),
]


@pytest.mark.parametrize(("fields", "field", "words"), BAD)
def test_bad_scheduling_values_are_422_naming_the_field(api, newsletter, fields, field, words):
    error = assert_error(api.post("/campaigns", _body(api, **fields)), 422, field=field)
    assert words in error["message"]
    assert not Campaign.objects.exists()


def test_a_service_template_cannot_be_a_variant(api, newsletter):
    service = Template.objects.filter(kind="service").first() or Template.objects.create(
        kind="service", key="svc", name="S", subject="S", html="<p>x</p>"
    )
    ab = {**AB, "variants": [{"subject": "A"}, {"template": service.pk}]}
    error = assert_error(api.post("/campaigns", _body(api, ab_test=ab)), 422)
    assert error["field"] == "ab_test.variants[1].template" and "service" in error["message"]


def test_fields_round_trip_and_send_schedules(api, newsletter):
    api.post("/contacts", {"email": "ana@example.com", "subscriptions": [subscribe()]})
    body = _body(
        api,
        send_at=FUTURE,
        window={"start": "22:00", "end": "02:00"},
        exclusion_group="spring",
        exclusion_window_hours=48,
        ab_test=AB,
    )
    r = api.post("/campaigns", body)
    assert r.status_code == 201, r.content
    c = r.json()
    assert c["window"] == {"start": "22:00", "end": "02:00"}
    assert (c["exclusion_group"], c["exclusion_window_hours"]) == ("spring", 48)
    assert c["ab_test"]["variants"] == AB["variants"] and c["send_at"]

    sent = api.post(f"/campaigns/{c['id']}/send")
    assert sent.json() == {"id": c["id"], "state": "scheduled"}
    # Scheduled campaigns can still be edited…
    r = api.patch(f"/campaigns/{c['id']}", {"name": "C2", "window": None})
    assert r.status_code == 200 and r.json()["window"] is None
    assert_error(api.patch(f"/campaigns/{c['id']}", {"send_at": None}), 422, field="send_at")
    # …unscheduled, and cancelled.
    assert api.post(f"/campaigns/{c['id']}/unschedule").json()["state"] == "draft"
    assert_error(api.post(f"/campaigns/{c['id']}/unschedule"), 409, "invalid_state")
    assert api.post(f"/campaigns/{c['id']}/send").json()["state"] == "scheduled"
    assert api.post(f"/campaigns/{c['id']}/cancel").json()["state"] == "cancelled"


def test_a_send_refused_by_the_preflight_is_not_scheduled(api, newsletter, settings):
    r = api.post("/campaigns", _body(api, send_at=FUTURE, topics=["newsletter"]))
    cid = r.json()["id"]
    org = current()
    org.postal_address = ""
    org.save()
    error = assert_error(api.post(f"/campaigns/{cid}/send"), 409, "invalid_state")
    assert "postal address" in error["message"]
    assert api.get(f"/campaigns/{cid}").json()["state"] == "draft"


def test_duplicate_delete_and_edit_follow_the_state(api, newsletter):
    api.post("/contacts", {"email": "ana@example.com", "subscriptions": [subscribe()]})
    cid = api.post("/campaigns", _body(api, exclusion_group="spring")).json()["id"]
    api.post(f"/campaigns/{cid}/send")

    error = assert_error(api.patch(f"/campaigns/{cid}", {"name": "x"}), 409, "invalid_state")
    assert "duplicate" in error["message"]
    assert "duplicate" in assert_error(api.delete(f"/campaigns/{cid}"), 409)["message"]

    r = api.post(f"/campaigns/{cid}/duplicate")
    assert r.status_code == 201 and r.json()["state"] == "draft"
    copy = api.get(f"/campaigns/{r.json()['id']}").json()
    assert r.json() == copy  # the whole copy, as GET shows it
    assert copy["name"] == "Copy of C" and copy["exclusion_group"] == "spring"
    assert copy["topics"] == ["newsletter"] and copy["recipients_total"] == 0

    assert api.delete(f"/campaigns/{copy['id']}").status_code == 204
    assert_error(api.get(f"/campaigns/{copy['id']}"), 404)
    assert_error(api.delete(f"/campaigns/{copy['id']}"), 404)


def test_pick_winner_needs_a_waiting_ab_test(api, newsletter):
    for i in range(4):
        api.post("/contacts", {"email": f"p{i}@example.com", "subscriptions": [subscribe()]})
    plain = api.post("/campaigns", _body(api)).json()["id"]
    assert_error(api.post(f"/campaigns/{plain}/ab/winner", {"variant": 0}), 409)
    cid = api.post("/campaigns", _body(api, ab_test={**AB, "sample_percent": 50})).json()["id"]
    assert_error(api.post(f"/campaigns/{cid}/ab/winner", {"variant": 0}), 409)  # draft
    api.post(f"/campaigns/{cid}/send")
    assert_error(api.post(f"/campaigns/{cid}/ab/winner", {"variant": 2}), 422, field="variant")
    assert api.post(f"/campaigns/{cid}/ab/winner", {"variant": 1}).status_code == 200
    got = api.get(f"/campaigns/{cid}").json()
    assert (got["ab_winner"], got["ab_phase"], got["recipients_total"]) == (1, "decided", 4)
    assert_error(api.post(f"/campaigns/{cid}/ab/winner", {"variant": 0}), 409)
