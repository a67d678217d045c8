"""Unsubscribe links: a GET never unsubscribes; a POST (page or RFC 8058 one-click) does;
forged tokens get a friendly 400."""

from __future__ import annotations

import pytest

from mailwright import tokens
from mailwright.consent import ledger
from mailwright.consent.models import ConsentEvent
from mailwright.contacts.models import Subscription
from tests.conftest import make_campaign, make_contact

pytestmark = pytest.mark.django_db


@pytest.fixture
def subscriber(newsletter):
    return make_contact("sub@example.com", newsletter, name="Sub Scriber")


def unsub_url(contact, campaign=None):
    payload = {"c": contact.id}
    if campaign:
        payload["m"] = campaign.id
    return f"/u/{tokens.make('unsubscribe', payload)}"


def state(contact):
    return Subscription.objects.get(contact=contact).state


def test_get_shows_a_button_and_changes_nothing(client, subscriber):
    response = client.get(unsub_url(subscriber))
    assert response.status_code == 200
    assert b"<form" in response.content and b"sub@example.com" in response.content
    assert state(subscriber) == "confirmed"


def test_one_click_post_unsubscribes_without_cookies_or_csrf(subscriber, newsletter):
    from django.test import Client

    campaign = make_campaign(newsletter)
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        unsub_url(subscriber, campaign),
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert state(subscriber) == "unsubscribed"
    event = ConsentEvent.objects.filter(action="unsubscribe").get()
    assert event.channel == "one_click" and event.topic_key == "newsletter"
    assert event.source_ip == "127.0.0.0/24"


def test_page_post_unsubscribes_and_is_in_the_ledger(client, subscriber):
    response = client.post(unsub_url(subscriber), {"scope": "all"})
    assert response.status_code == 200
    assert state(subscriber) == "unsubscribed"
    assert ledger.verify().ok


@pytest.mark.parametrize(
    "token",
    [
        "garbage",
        "eyJjIjoxfQ:1abcde:forgedsignature",
        "x" * 3000,
        "",
    ],
)
def test_forged_or_bad_tokens_are_400_not_500(client, subscriber, token):
    for prefix in ("/u/", "/p/", "/v/"):
        response = client.get(f"{prefix}{token}")
        assert response.status_code in (400, 404), prefix
        response = client.post(
            f"{prefix}{token}",
            "List-Unsubscribe=One-Click",
            content_type="application/x-www-form-urlencoded",
        )
        assert response.status_code in (400, 403, 404), prefix
    assert state(subscriber) == "confirmed"


def test_a_token_for_another_purpose_does_not_work(client, subscriber):
    wrong = tokens.make("preferences", {"c": subscriber.id})
    assert client.post(f"/u/{wrong}").status_code == 400
    assert state(subscriber) == "confirmed"


def test_preferences_page_lets_a_contact_drop_a_topic(client, subscriber):
    url = f"/p/{tokens.make('preferences', {'c': subscriber.id})}"
    page = client.get(url)
    assert page.status_code == 200 and b"Newsletter" in page.content
    response = client.post(url, {})  # every box unticked
    assert response.status_code == 200
    assert state(subscriber) == "unsubscribed"
    assert ConsentEvent.objects.filter(channel="preferences").count() == 1


def test_view_online_renders_the_campaign_sandboxed(client, subscriber, newsletter):
    campaign = make_campaign(newsletter)
    url = f"/v/{tokens.make('view_online', {'c': subscriber.id, 'm': campaign.id})}"
    response = client.get(url)
    assert response.status_code == 200
    assert b"Hi Sub" in response.content
    assert "sandbox" in response["Content-Security-Policy"]


def test_one_click_unsubscribe_is_an_event_of_its_campaign(subscriber, newsletter):
    from django.test import Client

    from mailwright.delivery import sending
    from mailwright.feedback.models import Event

    campaign = make_campaign(newsletter)
    sending.start(campaign.id)
    Client().post(
        unsub_url(subscriber, campaign),
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    event = Event.objects.get(type="unsubscribed")
    assert event.campaign_id == campaign.id and event.contact_id == subscriber.id
