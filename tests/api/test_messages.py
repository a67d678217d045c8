"""POST /api/v1/messages end to end: the API accepts a service message, the real delivery
engine sends it to the real capture relay, and GET /messages/{id} shows what happened."""

from __future__ import annotations

import base64
import email
import email.policy
import json

import pytest

from tests.api.util import assert_error
from tests.conftest import make_contact, run_worker

pytestmark = pytest.mark.django_db(transaction=True)

RESET_FIELDS = {
    "reset_url": {"type": "url", "required": True},
    "order_number": {"type": "string", "required": True},
}


@pytest.fixture
def reset_template(db):
    from mailwright.campaigns.models import Template, TemplateTranslation

    # The starter library's password-reset is installed by migrate: these tests use their
    # own, smaller template under the same key.
    Template.objects.filter(key="password-reset").delete()
    tpl = Template.objects.create(
        kind="service",
        key="password-reset",
        name="Password reset",
        language="en",
        fields=RESET_FIELDS,
        subject="Reset your password ({{ data.order_number }})",
        html=(
            "<p>Hello {{ contact.name|default(contact.email) }}</p>"
            '<p><a href="{{ data.reset_url }}">Reset</a></p>'
            "{% call promo() %}<p>PROMO-BLOCK</p>{% endcall %}"
        ),
        text="Reset: {{ data.reset_url }}",
    )
    TemplateTranslation.objects.create(
        template=tpl,
        language="tr",
        subject="Şifrenizi sıfırlayın ({{ data.order_number }})",
        html='<p>Merhaba</p><p><a href="{{ data.reset_url }}">Sıfırla</a></p>',
        text="Sıfırla: {{ data.reset_url }}",
    )
    return tpl


def send(api, body, key=None, query=""):
    from django.test import Client

    headers = dict(api.headers)
    if key is not None:
        headers["Idempotency-Key"] = key
    return Client().post(
        f"/api/v1/messages{query}",
        json.dumps(body),
        content_type="application/json",
        headers=headers,
    )


DATA = {"reset_url": "https://shop.example/reset/abc", "order_number": "A-17"}


def _captured(api, address):
    listing = api.get("/outbox/captured", to=address).json()
    return [
        email.message_from_bytes(
            api.get(f"/outbox/captured/{item['id']}/raw").content, policy=email.policy.default
        )
        for item in listing
    ]


def test_message_to_a_plain_address_is_sent_once_and_its_events_show(
    api, reset_template, capture_relay
):
    body = {"template": "password-reset", "to": "Buyer@Shop.example", "data": DATA}
    r = send(api, body, key="order-A-17")
    assert r.status_code == 202, r.content
    first = r.json()
    assert first["state"] == "queued"
    assert first["to"] == "Buyer@shop.example"
    assert first["contact"] is None  # no contact is created for a plain address
    assert first["language"] == "en"

    # The client retries (a timeout, a restart): the same message, never a second send.
    again = send(api, body, key="order-A-17")
    assert again.status_code == 200
    assert again["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first["id"]

    assert run_worker(capture_relay) == 1
    [msg] = _captured(api, "Buyer@shop.example")
    assert str(msg["Subject"]) == "Reset your password (A-17)"
    html = msg.get_body(("html",)).get_content()
    assert 'href="https://shop.example/reset/abc"' in html
    assert "PROMO-BLOCK" not in html  # no marketing consent: no promotional block
    assert msg["Auto-Submitted"] == "auto-generated"
    assert msg["List-Unsubscribe"] is None

    detail = api.get(f"/messages/{first['id']}").json()
    assert detail["state"] == "sent"
    assert detail["last_code"] == 250
    assert detail["reason"] == ""
    assert detail["sent_at"] is not None
    assert [e["type"] for e in detail["events"]] == ["queued", "sent"]

    # Replayed after sending: still one message, now shown as sent.
    late = send(api, body, key="order-A-17")
    assert late.status_code == 200 and late.json()["state"] == "sent"
    assert run_worker(capture_relay) == 0
    assert len(_captured(api, "Buyer@shop.example")) == 1


def test_same_key_with_another_body_is_a_conflict(api, reset_template):
    body = {"template": "password-reset", "to": "a@example.com", "data": DATA}
    assert send(api, body, key="k-1").status_code == 202
    other = {**body, "data": {**DATA, "order_number": "A-18"}}
    error = assert_error(send(api, other, key="k-1"), 409, "idempotency_conflict")
    assert "different request body" in error["message"]
    # The key order inside the JSON does not make it another body.
    reordered = {
        "data": dict(reversed(list(DATA.items()))),
        "to": "a@example.com",
        "template": "password-reset",
    }
    assert send(api, reordered, key="k-1").status_code == 200


def test_contact_gets_their_language_and_promo_block_with_marketing_consent(
    api, reset_template, newsletter, capture_relay
):
    contact = make_contact("ayse@example.com", newsletter, name="Ayşe", language="tr")
    r = send(api, {"template": "password-reset", "to": {"contact": contact.id}, "data": DATA})
    assert r.status_code == 202, r.content
    assert r.json()["language"] == "tr"
    assert r.json()["contact"] == contact.id
    en = send(
        api,
        {"template": "password-reset", "to": "ayse@example.com", "data": DATA, "language": "en"},
    )
    assert en.json()["language"] == "en" and en.json()["contact"] == contact.id
    assert run_worker(capture_relay) == 2
    subjects = {str(m["Subject"]): m for m in _captured(api, "ayse@example.com")}
    assert set(subjects) == {"Şifrenizi sıfırlayın (A-17)", "Reset your password (A-17)"}
    english = subjects["Reset your password (A-17)"].get_body(("html",)).get_content()
    assert "PROMO-BLOCK" in english and "Hello Ayşe" in english


def test_marketing_consent_is_not_needed_but_suppression_refuses(
    api, reset_template, newsletter, capture_relay
):
    from mailwright.consent.suppression import do_suppress
    from mailwright.contacts.models import Contact

    # Never confirmed, and unsubscribed from all marketing: service mail still goes.
    make_contact("gone@example.com", newsletter, state="pending")
    Contact.objects.filter(email="gone@example.com").update(status="unsubscribed")
    r = send(api, {"template": "password-reset", "to": "gone@example.com", "data": DATA})
    assert r.status_code == 202
    do_suppress("bounced@example.com", "hard_bounce", "550 no such user")
    error = assert_error(
        send(api, {"template": "password-reset", "to": "bounced@example.com", "data": DATA}),
        422,
        "suppressed",
        "to",
    )
    assert "hard bounce on 20" in error["message"]
    listed = api.get("/messages", state="suppressed").json()
    assert [m["to"] for m in listed] == ["bounced@example.com"]
    assert listed[0]["reason"].startswith("suppressed: hard bounce on ")

    # Suppressed after it was accepted: the worker refuses it, and the state says why.
    queued = send(api, {"template": "password-reset", "to": "later@example.com", "data": DATA})
    do_suppress("later@example.com", "complaint", "abuse report")
    assert run_worker(capture_relay) == 1  # only gone@example.com
    assert len(_captured(api, "gone@example.com")) == 1
    detail = api.get(f"/messages/{queued.json()['id']}").json()
    assert detail["state"] == "suppressed"
    assert detail["reason"].startswith("suppressed: spam complaint on ")


def test_wait_returns_the_relays_answer(api, reset_template, capture_relay, background_worker):
    background_worker(capture_relay)
    r = send(
        api,
        {"template": "password-reset", "to": "fast@example.com", "data": DATA},
        query="?wait=10",
    )
    assert r.status_code == 202, r.content
    assert r.json()["state"] == "sent"
    assert r.json()["last_code"] == 250


def test_attachments_travel_in_multipart_mixed(api, reset_template, capture_relay):
    pdf = b"%PDF-1.4 fake invoice\n" * 200
    body = {
        "template": "password-reset",
        "to": "files@example.com",
        "data": DATA,
        "attachments": [
            {
                "filename": "../../etc/faktura zażółć.pdf",
                "content_type": "application/pdf",
                "content": base64.b64encode(pdf).decode(),
            },
            {
                "filename": "notes.txt",
                "content_type": "text/plain",
                "content": base64.b64encode(b"hello").decode(),
            },
        ],
    }
    r = send(api, body)
    assert r.status_code == 202, r.content
    assert r.json()["attachments"] == [
        {"filename": "faktura zażółć.pdf", "content_type": "application/pdf", "size": len(pdf)},
        {"filename": "notes.txt", "content_type": "text/plain", "size": 5},
    ]
    assert run_worker(capture_relay) == 1
    [msg] = _captured(api, "files@example.com")
    assert msg.get_content_type() == "multipart/mixed"
    assert msg.get_body(("html",)) is not None
    files = list(msg.iter_attachments())
    assert [f.get_filename() for f in files] == ["faktura zażółć.pdf", "notes.txt"]
    assert files[0].get_content() == pdf
    assert files[1].get_content_type() == "text/plain"


def test_bounce_at_rcpt_shows_in_the_state_and_suppresses_the_next_one(
    api, reset_template, fast_sink
):
    sink = fast_sink(
        rcpt_replies={"nobody@example.com": "550 5.1.1 <nobody@example.com>: no such user"}
    )
    body = {"template": "password-reset", "to": "nobody@example.com", "data": DATA}
    first = send(api, body).json()
    run_worker(sink.relay)
    detail = api.get(f"/messages/{first['id']}").json()
    assert detail["state"] == "bounced"
    assert detail["last_code"] == 550
    assert "no such user" in detail["reason"]
    assert "bounced" in [e["type"] for e in detail["events"]]
    # A hard bounce suppresses the address: the next message is refused at once.
    error = assert_error(send(api, body), 422, "suppressed", "to")
    assert "hard bounce" in error["message"]


def test_the_order_confirmation_starters_promo_carries_an_unsubscribe_link(
    api, newsletter, capture_relay
):
    """The starter as installed: its promotional block reaches only people with marketing
    consent, and then with the way out of marketing mail (it makes the message commercial)."""
    from mailwright.campaigns.starters import library

    data = library.get("order-confirmation").example()
    title = data["promo"]["title"]
    fan = make_contact("fan@example.com", newsletter)
    make_contact("buyer@example.com", newsletter, state="pending")  # never confirmed
    for to in ({"contact": fan.id}, "buyer@example.com"):
        r = send(api, {"template": "order-confirmation", "to": to, "data": data})
        assert r.status_code == 202, r.content
    assert run_worker(capture_relay) == 2
    (with_promo,) = _captured(api, "fan@example.com")
    (without,) = _captured(api, "buyer@example.com")
    html = with_promo.get_body(("html",)).get_content()
    assert title in html and "/u/" in html
    text = without.get_body(("plain",)).get_content()
    assert title not in without.get_body(("html",)).get_content() and title not in text
    assert "/u/" not in text


def test_an_open_is_tracked_only_when_asked_and_shows_in_the_events(
    api, reset_template, capture_relay
):
    import re

    from django.test import Client

    from mailwright.feedback.tracking_writer import writer

    tracked = send(
        api,
        {"template": "password-reset", "to": "o@example.com", "data": DATA, "track_opens": True},
    )
    plain = send(api, {"template": "password-reset", "to": "p@example.com", "data": DATA})
    assert tracked.status_code == plain.status_code == 202
    assert run_worker(capture_relay) == 2
    (untracked_msg,) = _captured(api, "p@example.com")
    assert "/t/o/" not in untracked_msg.get_body(("html",)).get_content()
    (msg,) = _captured(api, "o@example.com")
    pixel = re.search(
        r'src="https?://[^/"]+(/t/o/[^"]+\.gif)"', msg.get_body(("html",)).get_content()
    )
    assert pixel, "no open pixel in the tracked message"
    browser = (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120 Safari/537.36"
    )
    assert Client().get(pixel.group(1), headers={"User-Agent": browser}).status_code == 200
    writer.flush()
    events = api.get(f"/messages/{tracked.json()['id']}").json()["events"]
    opened = [e for e in events if e["type"] == "opened"]
    assert len(opened) == 1 and not opened[0]["machine"]
    bad = send(
        api,
        {"template": "password-reset", "to": "o@example.com", "data": DATA, "track_opens": "yes"},
    )
    assert_error(bad, 422, "invalid", "track_opens")


def test_a_relays_delivery_webhook_shows_as_delivered(api, reset_template, capture_relay, settings):
    import base64 as b64

    from django.test import Client

    settings.ANYMAIL = {"WEBHOOK_SECRET": "relay:s3cret"}
    r = send(api, {"template": "password-reset", "to": "d@example.com", "data": DATA})
    assert run_worker(capture_relay) == 1
    auth = "Basic " + b64.b64encode(b"relay:s3cret").decode()
    delivered = {
        "RecordType": "Delivery",
        "ServerID": 23,
        "MessageStream": "outbound",
        "MessageID": "883953f4-6105-42a2-a16a-77a8eac79483",
        "Recipient": "d@example.com",
        "Tag": "",
        "DeliveredAt": "2026-12-06T07:20:00Z",
        "Details": "smtp;250 2.0.0 OK 1733469600 gmail-smtp-in",
    }
    for _ in range(2):  # a replayed webhook adds nothing
        hook = Client().post(
            "/webhooks/relay/postmark/tracking/",
            json.dumps(delivered),
            content_type="application/json",
            HTTP_AUTHORIZATION=auth,
        )
        assert hook.status_code == 200
    detail = api.get(f"/messages/{r.json()['id']}").json()
    assert [e["type"] for e in detail["events"]] == ["queued", "sent", "delivered"]
    assert detail["state"] == "sent"
