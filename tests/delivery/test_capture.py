"""The capture relay stores what it receives and refuses what it must."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

import pytest

from mailwright.delivery.models import CapturedMessage

pytestmark = pytest.mark.django_db(transaction=True)


def send(relay, msg: EmailMessage, rcpts=None):
    with smtplib.SMTP(relay.host, relay.port, timeout=10) as smtp:
        return smtp.send_message(msg, to_addrs=rcpts)


def test_stores_message_with_decoded_subject_and_all_recipients(capture_relay):
    msg = EmailMessage()
    msg["From"] = "news@example.com"
    msg["To"] = "Борис <boris@example.com>"
    msg["Subject"] = "Новини — пролет"
    msg["Message-ID"] = "<m1@example.com>"
    msg.set_content("hello")
    send(capture_relay, msg, ["boris@example.com", "cc@example.com"])

    stored = CapturedMessage.objects.get()
    assert stored.to == "boris@example.com"
    assert stored.recipients == ["boris@example.com", "cc@example.com"]
    assert stored.subject == "Новини — пролет"
    assert stored.message_id == "<m1@example.com>"
    assert b"hello" in bytes(stored.raw)
    assert stored.size == len(bytes(stored.raw))


def test_many_messages_are_all_stored(capture_relay):
    with smtplib.SMTP(capture_relay.host, capture_relay.port, timeout=10) as smtp:
        for i in range(50):
            msg = EmailMessage()
            msg["From"] = "a@example.com"
            msg["To"] = f"r{i}@example.com"
            msg["Subject"] = f"n{i}"
            msg.set_content("x")
            smtp.send_message(msg)
    assert CapturedMessage.objects.count() == 50


def test_oversized_message_is_refused_with_the_limit(capture_relay):
    msg = EmailMessage()
    msg["From"] = "a@example.com"
    msg["To"] = "b@example.com"
    msg["Subject"] = "big"
    msg.set_content("x" * (1024 * 1024 + 10))
    with pytest.raises(smtplib.SMTPException) as info:
        send(capture_relay, msg)
    assert "552" in str(info.value) or "size" in str(info.value).lower()
    assert not CapturedMessage.objects.exists()


def test_malformed_headers_are_still_captured(capture_relay):
    raw = b"Subject: =?utf-8?q?broken=ZZ?=\r\nFrom: <<<>>>\r\nX: \xff\xfe\r\n\r\nbody\r\n"
    with smtplib.SMTP(capture_relay.host, capture_relay.port, timeout=10) as smtp:
        smtp.sendmail("a@example.com", ["b@example.com"], raw)
    stored = CapturedMessage.objects.get()
    assert stored.to == "b@example.com"
    assert bytes(stored.raw).startswith(b"Subject:")
