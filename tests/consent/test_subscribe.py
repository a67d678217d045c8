"""Hosted and embeddable subscription forms, double opt-in, and their abuse limits."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from email import message_from_bytes, policy

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from mailwright.consent.models import ConsentEvent
from mailwright.consent.topics import create_topic, update_topic
from mailwright.contacts.models import Contact, Subscription
from mailwright.delivery.models import Delivery
from tests.conftest import run_worker

pytestmark = pytest.mark.django_db


@pytest.fixture
def topics(db):
    return [
        create_topic(
            key="news", name="Newsletter", consent_text="Monthly news, unsubscribe anytime."
        ),
        create_topic(key="offers", name="Offers", consent_text="Discounts and offers."),
    ]


def optin_mails():
    return list(Delivery.objects.filter(stream="service", content__kind="optin"))


def confirm_link(delivery: Delivery) -> str:
    return re.search(r"(/confirm/[^\s\"<]+)", delivery.content["text"]).group(1)


def submit(client, **data):
    payload = {"email": "ana@example.com", "topic": ["news"], "v_news": "1", **data}
    return client.post("/subscribe/", payload)


def test_form_shows_unchecked_boxes_with_consent_text_and_honeypot(client, topics):
    page = client.get("/subscribe/").content.decode()
    assert (
        'name="topic" value="news"' in page
        and "checked" not in page.split("<fieldset")[1].split("</fieldset>")[0]
    )
    assert "Monthly news, unsubscribe anytime." in page
    assert 'name="website"' in page and 'name="csrfmiddlewaretoken"' in page


def test_subscribe_makes_pending_and_sends_optin_in_the_chosen_language(client, topics):
    response = submit(client, name="Ana", language="pl")
    assert response.status_code == 200
    contact = Contact.objects.get(email="ana@example.com")
    assert contact.language == "pl"
    assert Subscription.objects.get(contact=contact).state == "pending"
    event = ConsentEvent.objects.get(action="subscribe_pending")
    assert event.channel == "form" and event.text_version == 1 and event.source_ip.endswith("/24")
    [mail] = optin_mails()
    assert mail.content["language"] == "pl"


def test_the_version_shown_is_recorded(client, topics):
    update_topic(topics[0], name="Newsletter", description="", consent_text="New wording v2")
    submit(client, v_news="1")  # the visitor saw the old page
    assert ConsentEvent.objects.get(action="subscribe_pending").text_version == 1
    submit(client, email="bo@example.com", v_news="999")  # forged: record what we show now
    assert ConsentEvent.objects.filter(action="subscribe_pending").last().text_version == 2


def test_missing_topic_and_bad_email_are_explained(client, topics):
    response = client.post("/subscribe/", {"email": "not-an-email", "topic": ["news"]})
    assert response.status_code == 400 and b'aria-invalid="true"' in response.content
    response = client.post("/subscribe/", {"email": "ok@example.com"})
    assert response.status_code == 400 and "Choose at least one topic." in response.content.decode()
    assert not Contact.objects.exists() and not optin_mails()


def test_link_scanner_get_does_not_confirm_only_post_does(client, topics):
    submit(client)
    link = confirm_link(optin_mails()[0])
    page = client.get(link)
    assert page.status_code == 200 and b"<form" in page.content
    assert Subscription.objects.get().state == "pending"
    done = client.post(link)
    assert done.status_code == 200
    assert Subscription.objects.get().state == "confirmed"
    assert ConsentEvent.objects.filter(action="subscribe_confirmed").exists()


def test_confirm_post_needs_csrf(topics):
    Client().post("/subscribe/", {"email": "c@example.com", "topic": ["news"]})
    link = confirm_link(optin_mails()[0])
    strict = Client(enforce_csrf_checks=True)
    assert strict.post(link).status_code == 403
    assert Subscription.objects.get().state == "pending"


def test_expired_forged_and_replayed_links(client, topics):
    submit(client)
    link = confirm_link(optin_mails()[0])
    with time_machine.travel(timezone.now() + timedelta(days=8)):
        expired = client.get(link)
        assert expired.status_code == 400 and b"does not work" in expired.content
        assert client.post(link).status_code == 400
    assert Subscription.objects.get().state == "pending"
    forged = link[:-3] + ("AAA" if not link.endswith("AAA") else "BBB")
    assert client.post(forged).status_code == 400
    assert client.post(link).status_code == 200
    assert client.post(link).status_code == 200  # replay: already confirmed, harmless
    assert ConsentEvent.objects.filter(action="subscribe_confirmed").count() == 1


def test_resubscribing_after_unsubscribe_goes_through_optin_again(client, topics):
    from mailwright.audit.actors import Actor
    from mailwright.consent import actions

    submit(client)
    client.post(confirm_link(optin_mails()[0]))
    contact = Contact.objects.get()
    actions.do_unsubscribe(contact, by=Actor(channel="admin"))
    submit(client)
    assert Subscription.objects.get().state == "pending"
    assert len(optin_mails()) == 2


def test_honeypot_answers_like_success_but_records_and_sends_nothing(client, topics):
    response = submit(client, website="http://spam.example")
    assert response.status_code == 200
    assert not Contact.objects.exists() and not optin_mails()


def test_flood_from_one_ip_is_refused_beyond_the_limit(client, topics, settings):
    settings.FORM_LIMIT_PER_IP = 5
    codes = [submit(client, email=f"v{i}@example.com").status_code for i in range(12)]
    assert codes[:5] == [200] * 5 and set(codes[5:]) == {429}
    assert len(optin_mails()) == 5


def test_mail_bombing_one_address_sends_at_most_the_limit(topics, settings):
    settings.FORM_LIMIT_PER_ADDRESS = 3
    for i in range(10):
        # many different IPs, one victim address
        Client(REMOTE_ADDR=f"198.51.100.{i}").post(
            "/subscribe/", {"email": "victim@example.com", "topic": ["news"]}
        )
    assert len(optin_mails()) == 3


@pytest.mark.parametrize("endpoint", ["form", "json"])
def test_spelling_variants_of_one_address_share_the_limit(topics, settings, endpoint):
    """Fullwidth, mathematical, case and +tag spellings reach one mailbox: the 4th opt-in
    email within the hour is refused, whichever spelling and IP it comes from."""
    settings.FORM_LIMIT_PER_ADDRESS = 3
    settings.FORM_ORIGINS = ["https://shop.example"]
    spellings = [
        "ana@example.com",
        "ａｎａ@example.com",
        "𝐚𝐧𝐚@example.com",
        "ANA@Example.COM",
        "Ａｎａ+bomb@ｅｘａｍｐｌｅ.com",
        "𝒂𝒏𝒂@example.com",
    ]
    for i, email in enumerate(spellings):
        client = Client(REMOTE_ADDR=f"198.51.100.{i}")
        if endpoint == "form":
            response = client.post("/subscribe/", {"email": email, "topic": ["news"]})
            assert response.status_code == 200 and b"Check your inbox" in response.content
        else:
            response = post_json(client, {"email": email, "topics": ["news"]})
            assert response.status_code == 202
        assert len(optin_mails()) == min(i + 1, 3), email
    # Another mailbox is not affected.
    Client().post("/subscribe/", {"email": "bob@example.com", "topic": ["news"]})
    assert len(optin_mails()) == 4


def test_suppressed_or_erased_address_gets_the_same_answer_and_no_mail(client, topics):
    from mailwright.consent.suppression import do_suppress

    do_suppress("gone@example.com", "hard_bounce", "550")
    response = submit(client, email="gone@example.com")
    assert response.status_code == 200 and b"Check your inbox" in response.content
    assert not optin_mails()


def test_script_injection_in_name_is_escaped_everywhere(client, topics):
    submit(client, name='<script>alert("x")</script>Ana')
    contact = Contact.objects.get()
    assert contact.name.startswith("<script>")  # stored as typed…
    html = optin_mails()[0].content["html"]
    assert "<script>" not in html  # …never rendered as markup


def test_optin_email_is_delivered_with_the_link(smtp_sink, topics, transactional_db):
    Client().post(
        "/subscribe/", {"email": "d@example.com", "topic": ["news", "offers"], "language": "en"}
    )
    run_worker(smtp_sink.relay)
    [received] = smtp_sink.messages
    msg = message_from_bytes(received.data, policy=policy.default)
    assert "confirm" in msg["Subject"].lower()
    assert msg["Auto-Submitted"] == "auto-generated"
    assert msg["List-Unsubscribe"] is None  # a service message, not marketing
    text = msg.get_body(("plain",)).get_content()
    assert "/confirm/" in text and "Newsletter" in text and "Offers" in text


# --- embeddable JSON endpoint ---------------------------------------------------------------


def post_json(client, body, origin="https://shop.example", **headers):
    data = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return client.post(
        "/subscribe/json", data, content_type="application/json", HTTP_ORIGIN=origin, **headers
    )


@pytest.fixture
def allowed_origin(settings):
    settings.FORM_ORIGINS = ["https://shop.example"]


def test_json_endpoint_subscribes_from_an_allowed_origin(client, topics, allowed_origin):
    response = post_json(
        client, {"email": "j@example.com", "topics": ["news"], "versions": {"news": 1}}
    )
    assert response.status_code == 202
    assert response["Access-Control-Allow-Origin"] == "https://shop.example"
    assert Subscription.objects.get().state == "pending" and len(optin_mails()) == 1


def test_json_endpoint_preflight_and_foreign_origin(client, topics, allowed_origin):
    pre = client.options("/subscribe/json", HTTP_ORIGIN="https://shop.example")
    assert pre.status_code == 204 and "POST" in pre["Access-Control-Allow-Methods"]
    evil = post_json(
        client, {"email": "j@example.com", "topics": ["news"]}, origin="https://evil.example"
    )
    assert evil.status_code == 403 and "Access-Control-Allow-Origin" not in evil
    assert evil.json()["error"]["code"] == "origin_not_allowed"
    assert not Contact.objects.exists()


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ("{not json", 400, None),
        ("[1, 2]", 400, None),
        ({"topics": ["news"]}, 422, "email"),
        ({"email": "x@example.com", "topics": "news"}, 422, "topics"),
        ({"email": "x@example.com", "topics": [1]}, 422, "topics"),
        ({"email": "x@example.com", "topics": []}, 422, "topics"),
        ({"email": "x@example.com", "topics": ["nope"]}, 422, "topics"),
        ({"email": "bad\r\nBcc: a@b.c", "topics": ["news"]}, 422, "email"),
        ({"email": "x" * 5000 + "@example.com", "topics": ["news"]}, 422, "email"),
        ("x" * 20000, 413, None),
    ],
)
def test_json_endpoint_bad_input_is_a_clear_4xx(
    client, topics, allowed_origin, body, status, field
):
    response = post_json(client, body)
    assert response.status_code == status
    error = response.json()["error"]
    assert error["message"] and error["field"] == field
    assert not optin_mails()


@pytest.mark.parametrize(
    "body",
    [
        '{"email": "\\ud800@example.com", "topics": ["news"]}',
        '{"email": "x@example.com", "topics": ["news"], "name": "Ana \\udfff"}',
        '{"email": "x@example.com", "topics": ["\\ud800"]}',
        '{"email": "x@example.com", "topics": ["news"], "versions": {"\\ud800": 1}}',
        '{"email": "x@example.com", "topics": ["news"], "language": "\\udc80"}',
        '{"email": "x@example.com", "topics": ["news"], "website": "", "\\ud800": "x"}',
    ],
)
def test_json_endpoint_lone_surrogates_are_a_clear_400(client, topics, allowed_origin, body):
    response = post_json(client, body)
    assert response.status_code == 400
    assert "Unicode" in response.json()["error"]["message"]
    assert not Contact.objects.exists() and not optin_mails()


@pytest.mark.parametrize("body", ["[" * 16000, '{"a":' * 3000, "[" * 990 + "]" * 990])
def test_json_endpoint_deeply_nested_json_is_a_clear_400(client, topics, allowed_origin, body):
    response = post_json(client, body)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_request"
