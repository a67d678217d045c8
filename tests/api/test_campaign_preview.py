"""POST /campaigns/{id}/preview and /templates/{id}/preview: the message as one contact would
get it (by id, by email, or the n-th member of a segment), with inert links."""

from __future__ import annotations

import pytest

from mailwright.campaigns.models import Campaign
from mailwright.contacts.models import Segment, Subscription
from tests.api.util import assert_error
from tests.conftest import make_campaign, make_contact

pytestmark = pytest.mark.django_db

HTML = (
    "<h1>Hi {{ contact.first_name|default('there') }}</h1>"
    "<p>Since {{ contact.created_at|date('y') }} ·"
    " plan {{ contact.attributes.plan|default('free') }}</p>"
    '<p><a href="{{ unsubscribe_url }}">Unsubscribe</a></p>'
)


@pytest.fixture
def campaign(newsletter) -> Campaign:
    return make_campaign(
        newsletter, subject="News for {{ contact.first_name|default('you') }}", html=HTML
    )


def test_preview_as_a_contact_shows_their_message_with_inert_links(api, campaign):
    ana = make_contact(
        "ana@example.com", name="Ana Nowak", language="pl", attributes={"plan": "pro"}
    )
    response = api.post(f"/campaigns/{campaign.id}/preview", {"contact": ana.id})
    assert response.status_code == 200, response.content
    out = response.json()
    assert out["subject"] == "News for Ana"
    assert "<h1>Hi Ana</h1>" in out["html"] and "plan pro" in out["html"]
    assert out["contact"] == {
        "id": ana.id,
        "email": "ana@example.com",
        "name": "Ana Nowak",
        "language": "pl",
    }
    # inert: no unsubscribe token anywhere in the preview, and the footer is in Polish
    assert 'href="#preview-unsubscribe"' in out["html"] and "/u/" not in out["html"] + out["text"]
    assert "Wypisz się" in out["html"] and 'href="#preview-preferences"' in out["html"]
    by_email = api.post(f"/campaigns/{campaign.id}/preview", {"email": "ANA@example.com"}).json()
    assert by_email["contact"]["id"] == ana.id
    assert not Subscription.objects.filter(contact=ana, state="unsubscribed").exists()


def test_preview_steps_through_a_segments_members(api, campaign):
    for name in ("Ala", "Bea", "Cyd"):
        make_contact(f"{name.lower()}@example.com", name=name, tags=["vip"])
    make_contact("out@example.com", name="Out")
    seg = Segment.objects.create(name="VIP", tree={"field": "tag", "op": "eq", "value": "vip"})
    seen = []
    for index in range(4):
        out = api.post(
            f"/campaigns/{campaign.id}/preview", {"segment": seg.id, "index": index}
        ).json()
        seen.append((out["subject"], out["contact"]["index"], out["contact"]["total"]))
    assert seen == [
        ("News for Ala", 0, 3),
        ("News for Bea", 1, 3),
        ("News for Cyd", 2, 3),
        ("News for Ala", 0, 3),  # wraps around
    ]


def test_template_preview_defaults_to_the_sample_contact(api, campaign):
    out = api.post(f"/templates/{campaign.template_id}/preview", {}).json()
    assert out["subject"] == "News for Sam" and out["contact"]["email"] == "sample@example.com"


@pytest.mark.parametrize(
    ("body", "status", "field", "says"),
    [
        ({"contact": 999999}, 404, "contact", "no contact with id 999999"),
        ({"email": "nobody@example.com"}, 404, "email", "no contact with the email"),
        ({"segment": 999999}, 404, "segment", "no segment with id 999999"),
        ({"contact": 1, "segment": 1}, 422, "segment", "give one of contact, email or segment"),
        ({"index": -1, "segment": 1}, 422, None, ""),
        ({"whom": 1}, 422, None, ""),
    ],
)
def test_bad_preview_input_gets_a_clear_4xx(api, campaign, body, status, field, says):
    error = assert_error(api.post(f"/campaigns/{campaign.id}/preview", body), status)
    if says:
        assert says in error["message"] and error["field"] == field, error


def test_unknown_campaign_or_template_is_404(api):
    assert_error(api.post("/campaigns/999999/preview", {}), 404)
    assert_error(api.post("/templates/999999/preview", {}), 404)
