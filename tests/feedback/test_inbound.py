"""Bounces, complaints, auto-replies and mailto unsubscribes injected over real SMTP into
the inbound server end in suppression, events and the consent ledger."""

from __future__ import annotations

import asyncio
import smtplib

import pytest

from mailwright import tokens
from mailwright.consent.models import ConsentEvent, Suppression
from mailwright.contacts.models import Contact, Subscription
from mailwright.delivery import sending
from mailwright.delivery.models import Delivery
from mailwright.feedback.models import Event, InboundMessage
from tests.conftest import BackgroundLoop, make_campaign, make_contact, run_worker

pytestmark = pytest.mark.django_db(transaction=True)
DOMAIN = "bounces.example.net"


@pytest.fixture
def inbound(settings):
    """The real inbound server on an ephemeral port."""
    from mailwright.feedback.inbound import InboundHandler, make_smtp

    settings.BOUNCE_DOMAIN = DOMAIN
    bg = BackgroundLoop()
    handler = InboundHandler()

    async def start():
        return await asyncio.get_running_loop().create_server(
            lambda: make_smtp(handler, 200_000), host="127.0.0.1", port=0
        )

    server = bg.submit(start()).result(timeout=5)
    port = server.sockets[0].getsockname()[1]

    def send(rcpt: str, raw: bytes, mail_from: str = "") -> None:
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
            smtp.sendmail(mail_from, [rcpt], raw)

    send.port = port
    try:
        yield send
    finally:

        async def stop():
            server.close()
            await handler.aclose()

        bg.submit(stop()).result(timeout=5)
        bg.close()


@pytest.fixture
def sent(smtp_sink, newsletter, inbound):
    """Three contacts who each received one campaign message (with VERP addresses)."""
    for name in ("ana", "bob", "cy"):
        make_contact(f"{name}@example.com", newsletter)
    campaign = make_campaign(newsletter)
    sending.start(campaign.id)
    run_worker(smtp_sink.relay)
    return {d.email: d for d in Delivery.objects.filter(campaign=campaign)}


def dsn(delivery, status: str, diagnostic: str, action: str = "failed", token=None) -> bytes:
    token = token or tokens.verp_token(delivery.id)
    return (
        f"From: MAILER-DAEMON@mx.example.com\r\n"
        f"To: bounce+{token}@{DOMAIN}\r\n"
        f"Subject: Undelivered Mail Returned to Sender\r\n"
        f"Auto-Submitted: auto-replied\r\n"
        f"MIME-Version: 1.0\r\n"
        f'Content-Type: multipart/report; report-type=delivery-status; boundary="b1"\r\n\r\n'
        f"--b1\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"
        f"--b1\r\nContent-Type: message/delivery-status\r\n\r\n"
        f"Reporting-MTA: dns; mx.example.com\r\n\r\n"
        f"Final-Recipient: rfc822; {delivery.email}\r\nAction: {action}\r\n"
        f"Status: {status}\r\nDiagnostic-Code: smtp; {diagnostic}\r\n"
        f"--b1\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"Message-ID: {delivery.message_id}\r\nReturn-Path: <bounce+{token}@{DOMAIN}>\r\n"
        f"--b1--\r\n"
    ).encode()


def arf(delivery) -> bytes:
    return (
        f"From: fbl@isp.example\r\nTo: fbl@{DOMAIN}\r\nSubject: complaint\r\nMIME-Version: 1.0\r\n"
        f'Content-Type: multipart/report; report-type=feedback-report; boundary="b2"\r\n\r\n'
        f"--b2\r\nContent-Type: text/plain\r\n\r\nThis is an abuse report.\r\n"
        f"--b2\r\nContent-Type: message/feedback-report\r\n\r\n"
        f"Feedback-Type: abuse\r\nUser-Agent: ISP-FBL/1.0\r\nVersion: 1\r\n"
        f"Original-Rcpt-To: {delivery.email}\r\n"
        f"--b2\r\nContent-Type: message/rfc822\r\n\r\n"
        f"Return-Path: <bounce+{tokens.verp_token(delivery.id)}@{DOMAIN}>\r\n"
        f"Message-ID: {delivery.message_id}\r\nFrom: news@example.com\r\nTo: {delivery.email}\r\n"
        f"Subject: Hello\r\n\r\nbody\r\n--b2--\r\n"
    ).encode()


def test_unknown_local_parts_are_refused_at_rcpt(inbound):
    with pytest.raises(smtplib.SMTPRecipientsRefused) as info:
        inbound(f"random-user@{DOMAIN}", b"Subject: x\r\n\r\nhi\r\n")
    assert info.value.recipients[f"random-user@{DOMAIN}"][0] == 550
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        inbound("bounce@other-domain.example", b"Subject: x\r\n\r\nhi\r\n")
    assert not InboundMessage.objects.exists()


def test_oversized_mail_is_refused_with_the_limit(inbound):
    with pytest.raises(smtplib.SMTPException) as info:
        inbound(f"bounce@{DOMAIN}", b"Subject: big\r\n\r\n" + b"x" * 300_000 + b"\r\n")
    assert "552" in str(info.value) or "size" in str(info.value).lower()


def test_hard_bounce_suppresses_and_records_everything(sent, inbound):
    ana = sent["ana@example.com"]
    inbound(
        f"bounce+{tokens.verp_token(ana.id)}@{DOMAIN}", dsn(ana, "5.1.1", "550 5.1.1 No such user")
    )
    message = InboundMessage.objects.get()
    assert message.kind == "bounce" and message.delivery_id == ana.id and not message.error
    ana.refresh_from_db()
    assert ana.state == "bounced"
    assert Suppression.objects.get(email="ana@example.com").reason == "hard_bounce"
    assert Contact.objects.get(email="ana@example.com").status == "bounced"
    assert Event.objects.filter(type="bounced", delivery=ana).exists()
    assert ConsentEvent.objects.filter(action="suppressed:hard_bounce", channel="bounce").exists()


def test_policy_block_is_not_the_address_fault(sent, inbound):
    bob = sent["bob@example.com"]
    inbound(
        f"bounce+{tokens.verp_token(bob.id)}@{DOMAIN}",
        dsn(bob, "5.7.1", "550 5.7.1 Service unavailable; client host blocked using Spamhaus"),
    )
    assert Event.objects.filter(type="bounced", delivery=bob).exists()
    assert not Suppression.objects.exists()


def test_delay_notification_is_not_a_failure(sent, inbound):
    cy = sent["cy@example.com"]
    inbound(
        f"bounce+{tokens.verp_token(cy.id)}@{DOMAIN}", dsn(cy, "4.4.7", "delayed", action="delayed")
    )
    assert Event.objects.filter(type="delayed").count() == 1
    cy.refresh_from_db()
    assert cy.state == "sent" and not Suppression.objects.exists()


def test_forged_verp_token_changes_nothing(sent, inbound):
    ana = sent["ana@example.com"]
    forged = tokens.verp_token(ana.id)[:-4] + "0000"
    inbound(f"bounce+{forged}@{DOMAIN}", dsn(ana, "5.1.1", "550 user unknown", token=forged))
    message = InboundMessage.objects.get()
    assert message.delivery_id is None and not Suppression.objects.exists()


def test_soft_bounces_from_three_different_sends_suppress(smtp_sink, newsletter, inbound, settings):
    make_contact("full@example.com", newsletter)
    deliveries = []
    for _ in range(3):
        campaign = make_campaign(newsletter)
        sending.start(campaign.id)
        run_worker(smtp_sink.relay)
        deliveries.append(Delivery.objects.get(campaign=campaign))
    first = deliveries[0]
    for _ in range(3):  # three bounces of the same send are still one send
        inbound(
            f"bounce+{tokens.verp_token(first.id)}@{DOMAIN}",
            dsn(first, "4.2.2", "452 4.2.2 Mailbox full"),
        )
    assert not Suppression.objects.exists()
    for d in deliveries[1:]:
        inbound(
            f"bounce+{tokens.verp_token(d.id)}@{DOMAIN}", dsn(d, "4.2.2", "452 4.2.2 Mailbox full")
        )
    entry = Suppression.objects.get(email="full@example.com")
    assert entry.reason == "soft_bounces" and "3 soft bounces" in entry.detail


def test_complaint_unsubscribes_and_suppresses(sent, inbound):
    bob = sent["bob@example.com"]
    inbound(f"fbl@{DOMAIN}", arf(bob))
    message = InboundMessage.objects.get()
    assert message.kind == "complaint" and message.delivery_id == bob.id
    contact = Contact.objects.get(email="bob@example.com")
    assert contact.status == "complained"
    assert set(Subscription.objects.filter(contact=contact).values_list("state", flat=True)) == {
        "unsubscribed"
    }
    assert Suppression.objects.get(email="bob@example.com").reason == "complaint"
    assert ConsentEvent.objects.filter(channel="complaint", action="unsubscribe").exists()
    assert Event.objects.filter(type="complained", campaign=bob.campaign).count() == 1


def test_auto_reply_is_not_a_bounce(sent, inbound):
    cy = sent["cy@example.com"]
    raw = (
        f"From: cy@example.com\r\nTo: bounce+{tokens.verp_token(cy.id)}@{DOMAIN}\r\n"
        "Subject: Automatic reply: Hello\r\nAuto-Submitted: auto-replied\r\n\r\n"
        "I am out of the office until Monday.\r\n"
    ).encode()
    inbound(f"bounce+{tokens.verp_token(cy.id)}@{DOMAIN}", raw)
    assert InboundMessage.objects.get().kind == "auto_reply"
    assert Event.objects.filter(type="auto_reply").exists()
    assert not Suppression.objects.exists()


def test_mailto_unsubscribe(sent, inbound):
    ana = sent["ana@example.com"]
    token = tokens.make("unsubscribe", {"c": ana.contact_id, "m": ana.campaign_id})
    raw = (
        f"From: ana@example.com\r\nTo: unsubscribe@{DOMAIN}\r\nSubject: unsubscribe {token}\r\n\r\n"
    ).encode()
    inbound(f"unsubscribe@{DOMAIN}", raw)
    assert Subscription.objects.get(contact_id=ana.contact_id).state == "unsubscribed"
    forged = b"Subject: unsubscribe abc.def\r\n\r\n"
    inbound(f"unsubscribe@{DOMAIN}", forged)
    assert InboundMessage.objects.order_by("id").last().result == {"unsubscribe": "bad token"}


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\x00\xff\xfe garbage \r\n",
        b"Content-Type: multipart/report; boundary=\r\n\r\n--\r\n",
        b"Subject: =?bogus-charset?q?x?=\r\nContent-Type: text/plain; charset=no-such\r\n"
        b"\r\n\xff\r\n",
    ],
)
def test_malformed_mail_is_kept_and_never_crashes(inbound, raw):
    inbound(f"bounce@{DOMAIN}", raw or b"\r\n")
    message = InboundMessage.objects.get()
    assert bytes(message.raw) is not None and message.kind in {"unknown", "reply", "bounce"}
