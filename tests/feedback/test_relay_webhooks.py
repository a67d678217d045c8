"""Relay webhooks (django-anymail) end in the same decisions as inbound mail; Amazon SES
notifications must carry a valid SNS signature; replays change nothing."""

from __future__ import annotations

import base64
import datetime
import json

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID
from django.test import Client

from mailwright.campaigns import sending
from mailwright.consent.models import Suppression
from mailwright.delivery.models import Delivery
from mailwright.feedback import sns
from mailwright.feedback.models import Event
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


def test_webhook_without_the_secret_is_refused(sent):
    response = Client().post(
        "/webhooks/relay/postmark/tracking/",
        json.dumps(postmark_bounce()),
        content_type="application/json",
        **basic(password="wrong"),
    )
    assert response.status_code == 400
    assert not Suppression.objects.exists()


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


def test_signed_ses_bounce_is_processed(sent, signer):
    response = post_ses(signer(ses_bounce()))
    assert response.status_code == 200
    assert Suppression.objects.get(email="gone@example.com").reason == "hard_bounce"


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
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_signature"
    assert not Suppression.objects.exists()
    if forgery == "foreign_cert":
        assert signer.fetched == []  # never fetched a certificate from a foreign host
