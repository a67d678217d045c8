"""One bounce decision whatever the source, and complaints that act only when they can be
tied to a message we sent — over real SMTP: the relay's refusal at RCPT time, and DSNs and
ARF reports posted into the inbound server."""

from __future__ import annotations

import json
import smtplib

import pytest

from mailwright import tokens
from mailwright.audit.models import AuditEntry
from mailwright.consent.models import ConsentEvent, Suppression
from mailwright.contacts.models import Contact, Subscription
from mailwright.delivery import sending
from mailwright.delivery.models import Delivery
from mailwright.feedback.models import Event, InboundMessage
from tests.conftest import make_campaign, make_contact, run_worker
from tests.feedback.test_inbound import DOMAIN, dsn, inbound  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db(transaction=True)

# (local part, the receiving server's words, suppressed at once?, counted towards the
# soft-bounce threshold?)
REFUSALS = [
    ("unknown", "550 5.1.1 <{}>: Recipient address rejected: User unknown", True, False),
    ("listed", "554 5.7.1 Service unavailable; client host blocked using Spamhaus", False, False),
    ("spam", "550 5.7.1 Message rejected as spam by Content Filtering", False, False),
    ("full", "552 5.2.2 Mailbox full", False, True),
    ("nodomain", "550 5.1.2 Host or domain name not found", True, False),
]


def _decisions(prefix: str) -> dict[str, tuple[bool, str]]:
    out = {}
    for local, *_ in REFUSALS:
        email = f"{prefix}-{local}@example.com"
        event = Event.objects.get(type__in=["bounced", "soft_bounced"], delivery__email=email)
        out[local] = (Suppression.objects.filter(email=email).exists(), event.data["decision"])
    return out


def test_a_refusal_gets_the_same_decision_at_rcpt_and_in_a_dsn(
    fast_sink,
    newsletter,
    inbound,  # noqa: F811
):
    for local, *_ in REFUSALS:
        make_contact(f"rcpt-{local}@example.com", newsletter)
        make_contact(f"dsn-{local}@example.com", newsletter)
    replies = {
        f"rcpt-{local}@example.com": reply.format(f"rcpt-{local}@example.com")
        for local, reply, *_ in REFUSALS
    }
    sink = fast_sink(rcpt_replies=replies)
    campaign = make_campaign(newsletter)
    sending.start(campaign.id)
    run_worker(sink.relay)

    # The same words, this time in DSNs after the relay had accepted the message.
    for local, reply, *_ in REFUSALS:
        d = Delivery.objects.get(email=f"dsn-{local}@example.com")
        assert d.state == "sent"
        status = reply.split()[1]
        inbound(f"bounce+{tokens.verp_token(d.id)}@{DOMAIN}", dsn(d, status, reply))

    at_rcpt, in_dsn = _decisions("rcpt"), _decisions("dsn")
    assert at_rcpt == in_dsn
    for local, _reply, suppressed, counted in REFUSALS:
        expected = "suppress" if suppressed else ("count" if counted else "none")
        assert at_rcpt[local] == (suppressed, expected), local
    # Both paths leave the delivery bounced and the same event shape.
    assert set(
        Delivery.objects.filter(email__startswith="dsn-").values_list("state", flat=True)
    ) == {"bounced"}
    keys = {tuple(sorted(e.data)) for e in Event.objects.filter(type="bounced")}
    assert len(keys) == 1, keys
    sources = set(Event.objects.filter(type="bounced").values_list("data__source", flat=True))
    assert sources == {"smtp", "dsn"}
    # A block-list refusal is about us: the person stays subscribed and active.
    listed = Contact.objects.get(email="rcpt-listed@example.com")
    assert listed.status == "active"
    assert Contact.objects.get(email="rcpt-unknown@example.com").status == "bounced"
    # Audited by the bounce processing, without the address the relay's words named.
    rows = AuditEntry.objects.filter(action="suppression.add")
    assert rows.count() == 4 and {r.channel for r in rows} == {"bounce"}
    assert "@example.com" not in json.dumps(list(rows.values("before", "after")))


def forged_arf(victim: str, message_id: str) -> bytes:
    """A well-formed ARF report naming a real address, but with no VERP return path and a
    Message-ID we never used: anyone can send this to fbl@."""
    return (
        f"From: fbl@isp.example\r\nTo: fbl@{DOMAIN}\r\nSubject: complaint\r\nMIME-Version: 1.0\r\n"
        f'Content-Type: multipart/report; report-type=feedback-report; boundary="b2"\r\n\r\n'
        f"--b2\r\nContent-Type: text/plain\r\n\r\nThis is an abuse report.\r\n"
        f"--b2\r\nContent-Type: message/feedback-report\r\n\r\n"
        f"Feedback-Type: abuse\r\nUser-Agent: ISP-FBL/1.0\r\nVersion: 1\r\n"
        f"Original-Rcpt-To: {victim}\r\nRemoval-Recipient: {victim}\r\n"
        f"--b2\r\nContent-Type: message/rfc822\r\n\r\n"
        f"Return-Path: <news@example.com>\r\n"
        f"Message-ID: {message_id}\r\nFrom: news@example.com\r\nTo: {victim}\r\n"
        f"Subject: Hello\r\n\r\nbody\r\n--b2--\r\n"
    ).encode()


def test_a_forged_complaint_changes_nothing(smtp_sink, newsletter, inbound):  # noqa: F811
    make_contact("victim@example.com", newsletter)
    campaign = make_campaign(newsletter)
    sending.start(campaign.id)
    run_worker(smtp_sink.relay)
    inbound(f"fbl@{DOMAIN}", forged_arf("victim@example.com", "<forged.1@attacker.example>"))
    inbound(f"abuse@{DOMAIN}", forged_arf("Victim@Example.com", "<>"))

    victim = Contact.objects.get(email="victim@example.com")
    assert victim.status == "active"
    assert set(Subscription.objects.filter(contact=victim).values_list("state", flat=True)) == {
        "confirmed"
    }
    assert not Suppression.objects.exists()
    assert not ConsentEvent.objects.filter(contact_ref=victim.id, action="unsubscribe").exists()
    # Stored and shown, never acted on.
    messages = InboundMessage.objects.order_by("id")
    assert [m.kind for m in messages] == ["complaint", "complaint"]
    assert all(m.delivery_id is None and m.result["acted"] is False for m in messages)
    complaints = Event.objects.filter(type="complained")
    assert complaints.count() == 2
    assert all(e.delivery_id is None and e.data["tied"] is False for e in complaints)


def test_a_complaint_tied_by_our_message_id_acts(smtp_sink, newsletter, inbound):  # noqa: F811
    make_contact("real@example.com", newsletter)
    campaign = make_campaign(newsletter)
    sending.start(campaign.id)
    run_worker(smtp_sink.relay)
    d = Delivery.objects.get(email="real@example.com")
    inbound(f"fbl@{DOMAIN}", forged_arf("real@example.com", d.message_id))
    assert Contact.objects.get(email="real@example.com").status == "complained"
    assert Suppression.objects.get(email="real@example.com").reason == "complaint"


def test_one_transaction_to_many_recipients_is_stored_once(smtp_sink, newsletter, inbound):  # noqa: F811
    make_contact("many@example.com", newsletter)
    campaign = make_campaign(newsletter)
    sending.start(campaign.id)
    run_worker(smtp_sink.relay)
    d = Delivery.objects.get(email="many@example.com")
    raw = dsn(d, "5.1.1", "550 5.1.1 user unknown")
    rcpts = [f"bounce+{tokens.verp_token(d.id)}@{DOMAIN}"] + [
        f"postmaster+{i}@{DOMAIN}" for i in range(99)
    ]
    with smtplib.SMTP("127.0.0.1", inbound.port, timeout=10) as smtp:
        refused = smtp.sendmail("", rcpts, raw)
    assert refused == {}
    message = InboundMessage.objects.get()
    assert len(message.rcpt_tos) == 100 and message.size == len(raw)
    assert Event.objects.filter(type="bounced", delivery=d).count() == 1
    assert Suppression.objects.get(email="many@example.com").reason == "hard_bounce"
