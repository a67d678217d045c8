"""Relay webhooks (django-anymail) end in the same decisions as inbound mail: each authenticated
payload is stored raw first (Feedback → Inbound, source "webhook"), then processed; a failure
answers 5xx (the relay retries) and keeps the payload with its error. Amazon SES notifications
must carry a valid SNS signature; replays change nothing."""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import json

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID
from django.db import connection
from django.test import Client

from mailwright.consent.models import Suppression
from mailwright.delivery import sending
from mailwright.delivery.models import Delivery
from mailwright.feedback import sns
from mailwright.feedback.models import Event, InboundMessage
from tests.conftest import make_campaign, make_contact, run_worker

pytestmark = pytest.mark.django_db(transaction=True)
TOPIC = "arn:aws:sns:eu-west-1:123456789012:ses-events"


@pytest.fixture
def sent(smtp_sink, newsletter, settings):
    settings.ANYMAIL = {"WEBHOOK_SECRET": "relay:s3cret"}
    settings.SES_TOPIC_ARNS = [TOPIC]
    make_contact("gone@example.com", newsletter)
    campaign = make_campaign(newsletter)
    sending.start(campaign.id)
    run_worker(smtp_sink.relay)
    return Delivery.objects.get(email="gone@example.com")


def basic(user="relay", password="s3cret"):  # noqa: S107 - test credentials
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"HTTP_AUTHORIZATION": f"Basic {token}"}


def postmark_bounce(event_id=42):
    return {
        "RecordType": "Bounce",
        "Type": "HardBounce",
        "TypeCode": 1,
        "ID": event_id,
        "MessageID": "883953f4-6105-42a2-a16a-77a8eac79483",
        "Email": "gone@example.com",
        "Description": "The server was unable to deliver your message",
        "Details": "smtp;550 5.1.1 The email account that you tried to reach does not exist",
        "BouncedAt": "2026-11-22T10:00:00Z",
        "Inactive": True,
        "CanActivate": True,
    }


def test_postmark_hard_bounce_suppresses_once_even_if_replayed(sent):
    client = Client()
    for _ in range(2):  # the relay retries: the same event twice
        response = client.post(
            "/webhooks/relay/postmark/tracking/",
            json.dumps(postmark_bounce()),
            content_type="application/json",
            **basic(),
        )
        assert response.status_code == 200
    assert Suppression.objects.get(email="gone@example.com").reason == "hard_bounce"
    assert Event.objects.filter(type="bounced").count() == 1
    sent.refresh_from_db()
    assert sent.state == "bounced"


@pytest.mark.parametrize(
    ("details", "kind", "reason"),
    [
        (
            "smtp;550 5.7.1 Service unavailable; client host blocked using zen.spamhaus.org",
            "hard",
            "blocked",
        ),
        (
            "smtp;552 5.2.2 The email account that you tried to reach is over quota",
            "soft",
            "mailbox_full",
        ),
    ],
)
def test_a_relay_bounce_is_read_by_the_receivers_reply_not_its_category(
    sent, details, kind, reason
):
    # Postmark files both under "HardBounce"; anymail calls both "bounced". The receiving
    # server's reply says the address is fine: it must not be suppressed as unknown.
    response = post("postmark", postmark_bounce() | {"Details": details})
    assert response.status_code == 200
    outcome = response.json()
    event = Event.objects.get(type="bounced" if kind == "hard" else "soft_bounced")
    assert event.data.get("reason") == reason, event.data
    assert not Suppression.objects.filter(email="gone@example.com").exists(), outcome


@pytest.mark.parametrize("auth", ["wrong", "missing"])
def test_webhook_without_the_secret_is_refused_and_not_stored(sent, auth):
    headers = basic(password="wrong") if auth == "wrong" else {}
    response = Client().post(
        "/webhooks/relay/postmark/tracking/",
        json.dumps(postmark_bounce()),
        content_type="application/json",
        **headers,
    )
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Basic ")
    assert response.json()["error"]["code"] == "unauthorized"
    assert not Suppression.objects.exists()
    assert not Event.objects.filter(type="bounced").exists()
    assert not InboundMessage.objects.exists()  # anyone can post: nothing of theirs is kept
    sent.refresh_from_db()
    assert sent.state == "sent"


MAILGUN_KEY = "key-mailgun-webhook-signing"
WITH_MAILGUN = {"WEBHOOK_SECRET": "relay:s3cret", "MAILGUN_WEBHOOK_SIGNING_KEY": MAILGUN_KEY}


def post(relay, body, **headers):
    return Client().post(
        f"/webhooks/relay/{relay}/tracking/",
        body if isinstance(body, (str, bytes)) else json.dumps(body),
        content_type="application/json",
        **(headers or basic()),
    )


def sendgrid_bounce():
    return [
        {
            "email": "gone@example.com",
            "timestamp": 1795430400,
            "smtp-id": "<14c5d75ce93.dfd.64b469@ismtpd-555>",
            "event": "bounce",
            "category": ["newsletter"],
            "sg_event_id": "6g4ZI7SA-xmRDv57GoPIPw==",
            "sg_message_id": "14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.0",
            "reason": "550 5.1.1 The email account that you tried to reach does not exist.",
            "status": "5.1.1",
            "type": "bounce",
        }
    ]


def mailgun_failed(key=MAILGUN_KEY):
    timestamp, token = "1795430400", "a8ce0edb2dd8301dee6c2405235584e45aa91d1e9f979f3de0"
    signature = hmac.new(key.encode(), f"{timestamp}{token}".encode(), hashlib.sha256)
    return {
        "signature": {"timestamp": timestamp, "token": token, "signature": signature.hexdigest()},
        "event-data": {
            "event": "failed",
            "id": "G9Bn5sl1TC6nu79C8C0bwg",
            "timestamp": 1795430400.375624,
            "log-level": "error",
            "severity": "permanent",
            "reason": "bounce",
            "recipient": "gone@example.com",
            "recipient-domain": "example.com",
            "delivery-status": {
                "attempt-no": 1,
                "code": 550,
                "message": "5.1.1 The email account that you tried to reach does not exist",
                "description": "",
            },
            "message": {
                "headers": {
                    "to": "gone@example.com",
                    "message-id": "20261122100000.1.ABCDEF@mg.example.com",
                    "from": "news@example.com",
                    "subject": "Spring news",
                },
                "attachments": [],
                "size": 2048,
            },
            "tags": [],
            "user-variables": {},
        },
    }


def brevo_hard_bounce():
    return {
        "event": "hard_bounce",
        "email": "gone@example.com",
        "id": 26224,
        "date": "2026-11-22 11:00:00",
        "ts": 1795431600,
        "message-id": "<202611221100.12345678901@smtp-relay.mailin.fr>",
        "ts_event": 1795431600,
        "subject": "Spring news",
        "tag": "",
        "sending_ip": "185.41.28.109",
        "ts_epoch": 1795431600123,
        "reason": "550 5.1.1 user unknown",
    }


RELAY_BOUNCES = {
    "postmark": postmark_bounce,
    "sendgrid": sendgrid_bounce,
    "mailgun": mailgun_failed,
    "brevo": brevo_hard_bounce,
}


@pytest.mark.parametrize("relay", sorted(RELAY_BOUNCES))
def test_a_relay_bounce_is_stored_then_processed(sent, settings, relay):
    settings.ANYMAIL = WITH_MAILGUN
    body = json.dumps(RELAY_BOUNCES[relay]())
    response = post(relay, body)
    assert response.status_code == 200, response.content
    stored = InboundMessage.objects.get()
    assert (stored.source, stored.mail_from, stored.kind) == ("webhook", relay, "bounce")
    assert bytes(stored.raw) == body.encode()  # the payload exactly as the relay sent it
    assert stored.delivery == sent
    assert stored.rcpt_to == "gone@example.com"
    assert stored.error == ""
    assert [e["outcome"] for e in stored.result["events"]] == ["applied"]
    assert Event.objects.get(type="bounced").delivery == sent
    sent.refresh_from_db()
    assert sent.state == "bounced"
    if relay != "sendgrid":  # SendGrid's bounce carries no reason anymail maps (kept as "other")
        assert Suppression.objects.get(email="gone@example.com").reason == "hard_bounce"


def test_mailgun_bad_signature_is_refused_and_not_stored(sent, settings):
    settings.ANYMAIL = WITH_MAILGUN
    response = post("mailgun", mailgun_failed(key="someone else's key"))
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "bad_signature"
    assert not InboundMessage.objects.exists()
    assert not Event.objects.filter(type="bounced").exists()


def test_unknown_event_type_is_stored_accepted_and_ignored(sent):
    payload = {**postmark_bounce(), "RecordType": "SomethingNew", "Type": "Brandnew"}
    response = post("postmark", payload)
    assert response.status_code == 200
    stored = InboundMessage.objects.get()
    assert stored.kind == "unknown"
    assert stored.error == ""
    assert [(e["type"], e["outcome"]) for e in stored.result["events"]] == [("unknown", "ignored")]
    assert not Event.objects.filter(type__in=["bounced", "complained"]).exists()
    sent.refresh_from_db()
    assert sent.state == "sent"


def test_unknown_relay_is_a_404(sent):
    response = post("no-such-esp", postmark_bounce())
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "unknown_relay"


def test_malformed_json_is_a_400_and_kept_with_its_error(sent):
    body = b'{"RecordType": "Bounce", "Email": "gone@example.com",'
    response = post("postmark", body)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_request"
    stored = InboundMessage.objects.get()
    assert bytes(stored.raw) == body
    assert stored.error.startswith("JSONDecodeError")
    assert not Event.objects.filter(type="bounced").exists()


@pytest.mark.parametrize("relay", ["postmark", "amazon_ses"])
def test_json_nested_past_the_limit_is_a_400_before_any_parser_recurses(sent, signer, relay):
    # 5,000 levels would take json to the recursion limit, in the server's thread.
    response = Client().post(
        f"/webhooks/relay/{relay}/tracking/",
        b"[" * 5000,
        content_type="text/plain",
        HTTP_X_AMZ_SNS_MESSAGE_TYPE="Notification",
        **basic(),
    )
    assert response.status_code == 400
    assert "nested deeper than 200 levels" in response.json()["error"]["message"]
    assert not InboundMessage.objects.exists()


@pytest.fixture
def failing_suppressions():
    """A real database error in the middle of processing: a trigger refuses the next
    suppression insert, as a full disk or a constraint would. Returns a function that heals
    the database."""
    pg = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        if pg:
            cursor.execute(
                "CREATE FUNCTION mw_test_refuse() RETURNS trigger AS $$ BEGIN "
                "RAISE EXCEPTION 'simulated database failure'; END $$ LANGUAGE plpgsql"
            )
            cursor.execute(
                "CREATE TRIGGER mw_test_refuse BEFORE INSERT ON feedback_suppression "
                "FOR EACH ROW EXECUTE FUNCTION mw_test_refuse()"
            )
        else:
            cursor.execute(
                "CREATE TRIGGER mw_test_refuse BEFORE INSERT ON feedback_suppression "
                "BEGIN SELECT RAISE(ABORT, 'simulated database failure'); END"
            )

    def heal():
        with connection.cursor() as cursor:
            if pg:
                cursor.execute("DROP TRIGGER IF EXISTS mw_test_refuse ON feedback_suppression")
                cursor.execute("DROP FUNCTION IF EXISTS mw_test_refuse()")
            else:
                cursor.execute("DROP TRIGGER IF EXISTS mw_test_refuse")

    yield heal
    heal()


def test_internal_failure_is_a_5xx_keeps_the_payload_and_the_retry_succeeds(
    sent, failing_suppressions
):
    body = json.dumps(postmark_bounce())
    response = post("postmark", body)
    assert response.status_code == 500  # the relay retries later
    assert response.json()["error"]["code"] == "server_error"
    failed = InboundMessage.objects.get()
    assert bytes(failed.raw) == body.encode()
    assert "simulated database failure" in failed.error  # the dead letter says why
    # Nothing half-applied: the bounce event and the delivery's state were rolled back.
    assert not Event.objects.filter(type="bounced").exists()
    sent.refresh_from_db()
    assert sent.state == "sent"

    failing_suppressions()  # the database is back; the relay retries the same payload
    assert post("postmark", body).status_code == 200
    assert Suppression.objects.get(email="gone@example.com").reason == "hard_bounce"
    assert Event.objects.filter(type="bounced").count() == 1
    assert InboundMessage.objects.filter(error="").count() == 1


# --- Amazon SES through SNS -------------------------------------------------------------------


@pytest.fixture
def signer(monkeypatch):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sns.amazonaws.com")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    pem = cert.public_bytes(serialization.Encoding.PEM)
    fetched = []

    def fetch(url):  # Amazon's certificate server cannot be reached from here
        fetched.append(url)
        return pem

    monkeypatch.setattr(sns, "fetch_certificate", fetch)
    monkeypatch.setattr(sns.verify, "__defaults__", (fetch,))

    def sign(message: dict) -> dict:
        message = {
            **message,
            "SignatureVersion": "2",
            "SigningCertURL": "https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-x.pem",
        }
        signature = key.sign(sns.canonical(message), padding.PKCS1v15(), hashes.SHA256())
        message["Signature"] = base64.b64encode(signature).decode()
        return message

    sign.fetched = fetched
    return sign


def ses_bounce() -> dict:
    inner = {
        "notificationType": "Bounce",
        "bounce": {
            "bounceType": "Permanent",
            "bounceSubType": "General",
            "bouncedRecipients": [
                {
                    "emailAddress": "gone@example.com",
                    "status": "5.1.1",
                    "action": "failed",
                    "diagnosticCode": "smtp; 550 5.1.1 user unknown",
                }
            ],
            "timestamp": "2026-11-22T10:00:00.000Z",
            "feedbackId": "0100017f-aaaa",
        },
        "mail": {
            "timestamp": "2026-11-22T09:59:00.000Z",
            "messageId": "0100017f-bbbb",
            "source": "news@example.com",
            "destination": ["gone@example.com"],
        },
    }
    return {
        "Type": "Notification",
        "MessageId": "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324",
        "TopicArn": TOPIC,
        "Message": json.dumps(inner),
        "Timestamp": "2026-11-22T10:00:01.000Z",
    }


def post_ses(message):
    # SNS is subscribed with the basic-auth credentials in its URL, and signs each message.
    return Client().post(
        "/webhooks/relay/amazon_ses/tracking/",
        json.dumps(message),
        content_type="text/plain",
        HTTP_X_AMZ_SNS_MESSAGE_TYPE=message.get("Type", ""),
        HTTP_X_AMZ_SNS_TOPIC_ARN=message.get("TopicArn", ""),
        HTTP_X_AMZ_SNS_MESSAGE_ID=message.get("MessageId", ""),
        **basic(),
    )


def test_signed_ses_bounce_is_stored_then_processed(sent, signer):
    message = signer(ses_bounce())
    response = post_ses(message)
    assert response.status_code == 200
    assert Suppression.objects.get(email="gone@example.com").reason == "hard_bounce"
    stored = InboundMessage.objects.get()
    assert (stored.source, stored.mail_from, stored.kind) == ("webhook", "amazon_ses", "bounce")
    assert json.loads(bytes(stored.raw)) == message
    assert stored.rcpt_to == "gone@example.com"
    assert stored.delivery == sent
    assert stored.error == ""


def test_ses_body_that_is_not_json_is_a_400(sent, signer):
    response = Client().post(
        "/webhooks/relay/amazon_ses/tracking/",
        b'{"Type": "Notification", ',
        content_type="text/plain",
        HTTP_X_AMZ_SNS_MESSAGE_TYPE="Notification",
        **basic(),
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_request"


@pytest.mark.parametrize("forgery", ["tampered", "unsigned", "other_topic", "foreign_cert"])
def test_forged_ses_notifications_are_refused(sent, signer, forgery):
    message = signer(ses_bounce())
    if forgery == "tampered":
        message["Message"] = message["Message"].replace("gone@", "victim@")
    elif forgery == "unsigned":
        message.pop("Signature")
    elif forgery == "other_topic":
        message["TopicArn"] = "arn:aws:sns:eu-west-1:999999999999:evil"
    else:
        message["SigningCertURL"] = "https://evil.example.com/cert.pem"
    response = post_ses(message)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "bad_signature"
    assert not Suppression.objects.exists()
    assert not InboundMessage.objects.exists()
    if forgery == "foreign_cert":
        assert signer.fetched == []  # never fetched a certificate from a foreign host
