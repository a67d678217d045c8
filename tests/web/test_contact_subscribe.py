"""Subscribing an existing contact to a topic from the contact page (the form posts to the
contact page, with CSRF, through directory.upsert like the API)."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from mailwright.consent.models import ConsentEvent
from mailwright.contacts.models import Subscription
from tests.conftest import make_contact

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(admin_user):
    client = Client(enforce_csrf_checks=True)  # as a browser: the token must be sent
    client.force_login(admin_user)
    return client


@pytest.fixture
def ana(newsletter):
    return make_contact("ana@example.com")  # no subscription yet


def submit(client, contact, **fields):
    page = client.get(f"/contacts/{contact.pk}/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())
    return client.post(
        f"/contacts/{contact.pk}/", {"csrfmiddlewaretoken": token.group(1), **fields}
    )


def test_subscribe_confirmed_shows_on_the_page_and_in_the_ledger(staff, ana, admin_user):
    page = staff.get(f"/contacts/{ana.pk}/").content.decode()
    assert "Subscribe to a topic" in page and "No subscriptions." in page

    response = submit(
        staff, ana, topic="newsletter", state="confirmed", basis="signed up at the fair"
    )
    assert response.status_code == 302
    page = staff.get(response["Location"]).content.decode()
    assert "Subscribed to “Newsletter” (confirmed)." in page
    assert "No subscriptions." not in page
    assert re.search(r"Newsletter.*newsletter.*badge-confirmed.*signed up at the fair", page)
    sub = Subscription.objects.get(contact=ana, topic__key="newsletter")
    assert (sub.state, sub.basis) == ("confirmed", "signed up at the fair")
    entry = ConsentEvent.objects.get(contact=ana, topic_key="newsletter")
    assert (entry.action, entry.state_to, entry.basis) == (
        "subscribe_confirmed",
        "confirmed",
        "signed up at the fair",
    )
    assert (entry.channel, entry.actor) == ("admin", admin_user.get_username())


def test_subscribe_pending_needs_no_basis(staff, ana):
    response = submit(staff, ana, topic="newsletter", state="pending", basis="")
    assert response.status_code == 302
    assert Subscription.objects.get(contact=ana).state == "pending"
    assert ConsentEvent.objects.get(contact=ana, topic_key="newsletter").action == (
        "subscribe_pending"
    )


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"topic": "newsletter", "state": "confirmed", "basis": "  "}, "Say what the consent"),
        ({"topic": "nope", "state": "confirmed", "basis": "x"}, "Select a valid choice"),
        ({"topic": "newsletter", "state": "unsubscribed", "basis": "x"}, "Select a valid choice"),
        ({"topic": "", "state": "pending"}, "This field is required"),
    ],
)
def test_bad_input_is_a_clear_400(staff, ana, fields, error):
    response = submit(staff, ana, **fields)
    assert response.status_code == 400
    assert error in response.content.decode()
    assert not Subscription.objects.filter(contact=ana).exists()
    assert not ConsentEvent.objects.filter(contact=ana, topic_key="newsletter").exists()


def test_someone_who_unsubscribed_is_not_re_confirmed(staff, newsletter):
    bob = make_contact("bob@example.com", newsletter)
    Subscription.objects.filter(contact=bob).update(state="unsubscribed")
    response = submit(staff, bob, topic="newsletter", state="confirmed", basis="phone call")
    assert response.status_code == 400
    assert "only they can subscribe again" in response.content.decode()
    assert Subscription.objects.get(contact=bob).state == "unsubscribed"


def test_without_the_csrf_token_nothing_happens(staff, ana):
    response = staff.post(
        f"/contacts/{ana.pk}/", {"topic": "newsletter", "state": "pending", "basis": ""}
    )
    assert response.status_code == 403
    assert not Subscription.objects.filter(contact=ana).exists()
