"""Engagement: human activity (not machine opens) and purchases build a score that decays,
and segments use it (most engaged, inactive for N days)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from mailwright.contacts.models import Contact
from mailwright.contacts.segments import SegmentError, compile_segment
from mailwright.feedback import engagement
from mailwright.feedback.models import Event
from tests.conftest import make_contact

pytestmark = pytest.mark.django_db


def event(contact, kind, days_ago=0, machine=False):
    Event.objects.create(
        type=kind,
        contact=contact,
        machine=machine,
        created_at=timezone.now() - timedelta(days=days_ago),
    )


def matching(tree) -> set[str]:
    return set(Contact.objects.filter(compile_segment(tree)).values_list("email", flat=True))


def test_score_counts_recent_human_activity_only(newsletter):
    fan = make_contact("fan@example.com", newsletter)
    bot = make_contact("bot@example.com", newsletter)
    old = make_contact("old@example.com", newsletter)
    for _ in range(3):
        event(fan, "clicked")
    event(fan, "opened")
    for _ in range(20):
        event(bot, "opened", machine=True)  # Apple MPP proxy opens: not engagement
    event(old, "clicked", days_ago=120)
    engagement.recompute()
    scores = dict(Contact.objects.values_list("email", "engagement_score"))
    assert scores["fan@example.com"] == pytest.approx(10.0, abs=0.01)
    assert scores["bot@example.com"] == 0 and scores["old@example.com"] == 0


def test_purchases_via_api_feed_the_score(api, newsletter):
    contact = make_contact("buyer@example.com", newsletter)
    response = api.post(f"/contacts/{contact.id}/events", {"type": "purchase", "amount": 49.9})
    assert response.status_code == 201
    contact.refresh_from_db()
    assert contact.engagement_score == pytest.approx(5.0, abs=0.01)
    bad = api.post(f"/contacts/{contact.id}/events", {"type": "refund"})
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "type"
    assert api.post("/contacts/999999/events", {"type": "purchase"}).status_code == 404


def test_engagement_segments(newsletter):
    active = make_contact("active@example.com", newsletter)
    sleepy = make_contact("sleepy@example.com", newsletter)
    make_contact("never@example.com", newsletter)
    for _ in range(4):
        event(active, "clicked", days_ago=1)
    event(sleepy, "opened", days_ago=100)
    event(sleepy, "opened", days_ago=1, machine=True)  # a proxy open is not activity
    engagement.recompute()
    assert matching({"builtin": "most_engaged"}) == {"active@example.com"}
    assert matching({"builtin": "inactive_90_days"}) == {"sleepy@example.com", "never@example.com"}
    assert matching({"field": "clicked_within", "value": 7}) == {"active@example.com"}
    assert matching({"field": "engagement", "op": "lte", "value": 0}) == {
        "sleepy@example.com",
        "never@example.com",
    }


@pytest.mark.parametrize(
    "tree",
    [
        {"builtin": "nope"},
        {"field": "engagement", "op": "eq", "value": 3},
        {"field": "engagement", "op": "gte", "value": "high"},
        {"field": "inactive_for", "value": 0},
        {"field": "opened_within", "value": True},
        {"field": "name", "op": "gte", "value": 1},
    ],
)
def test_bad_engagement_conditions_are_explained(tree):
    with pytest.raises(SegmentError):
        compile_segment(tree)
