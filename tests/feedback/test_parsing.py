"""The bounce/complaint/auto-reply parser against a corpus of real-format messages (one or
more per MTA family), each with its expected result in the table below."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from mailwright import tokens
from mailwright.feedback.parsing import Parsed, Recipient, parse_message, should_suppress
from mailwright.feedback.parsing.classify import classify

FIXTURES = Path(__file__).parent / "fixtures"
OURS = {"bounces.example.org"}

# file → expected flags ("B"ounce, "D"elay, "A"uto-reply, "C"omplaint), VERP token,
# recipients as (address, kind, reason, status), original Message-ID.
BOUNCES: dict[str, tuple] = {
    "postfix_user_unknown.eml": (
        "B",
        "2n9c-4f1e0a9b7c3d",
        [("jan.kowalski@example.com", "hard", "user_unknown", "5.1.1")],
        "<123456.9f8e7d6c5b4a3921@news.example.org>",
    ),
    "postfix_delayed.eml": (
        "D",
        "2n9d-0b1c2d3e4f5a",
        [("maria.garcia@example.net", "soft", "other", "4.4.1")],
        "<123457.1a2b3c4d5e6f7081@news.example.org>",
    ),
    "exim_free_text.eml": (
        "B",
        "2n9e-99aa88bb77cc",
        [("ahmet.yilmaz@example.com", "hard", "user_unknown", None)],
        "<123458.aa00bb11cc22dd33@news.example.org>",
    ),
    "sendmail_dsn.eml": (
        "B",
        "2n9f-123456abcdef",
        [("nguyen.van.an@example.net", "hard", "user_unknown", "5.1.1")],
        "<123459.0f1e2d3c4b5a6978@news.example.org>",
    ),
    "qmail.eml": (
        "B",
        "2na0-fedcba987654",
        [("ivan.petrov@example.com", "hard", "user_unknown", "5.1.1")],
        "<123460.5566778899aabbcc@news.example.org>",
    ),
    "office365_ndr.eml": (
        "B",
        "2na1-a1b2c3d4e5f6",
        [("ayse.demir@example.com", "hard", "user_unknown", "5.1.10")],
        "<123461.77aa66bb55cc44dd@news.example.org>",
    ),
    "gmail_user_unknown.eml": (
        "B",
        "2na2-0c0c0c0c0c0c",
        [("john.smith@example.com", "hard", "user_unknown", "5.1.1")],
        "<123462.3c3c3c3c3c3c3c3c@news.example.org>",
    ),
    "gmail_spam_policy.eml": (
        "B",
        "2na3-5d5d5d5d5d5d",
        [("sofia.lopez@example.com", "hard", "spam_detected", "5.7.1")],
        "<123463.6e6e6e6e6e6e6e6e@news.example.org>",
    ),
    "yahoo_no_account.eml": (
        "B",
        "2na4-6f6f6f6f6f6f",
        [("li.wei@example.com", "hard", "user_unknown", None)],
        "<123464.7a7a7a7a7a7a7a7a@news.example.org>",
    ),
    "outlook_mailbox_full.eml": (
        "B",
        "2na5-7b7b7b7b7b7b",
        [("emre.kaya@example.net", "soft", "mailbox_full", "4.2.2")],
        "<123465.8b8b8b8b8b8b8b8b@news.example.org>",
    ),
    "amazon_ses_dsn.eml": (
        "B",
        "2na6-8c8c8c8c8c8c",
        [("olga.ivanova@example.com", "hard", "user_unknown", "5.1.1")],
        "<123466.9c9c9c9c9c9c9c9c@news.example.org>",
    ),
    "amazon_ses_sns_notification.eml": (
        "B",
        "2na7-9d9d9d9d9d9d",
        [("pablo.ruiz@example.com", "soft", "mailbox_full", "4.2.2")],
        "<123467.adadadadadadadad@news.example.org>",
    ),
    "lotus_domino.eml": (
        "B",
        "2na8-aeaeaeaeaeae",
        [("marek.nowak@example.com", "hard", "user_unknown", None)],
        None,
    ),
    "message_too_large.eml": (
        "B",
        "2na9-bfbfbfbfbfbf",
        [("tomasz.wisniewski@example.net", "hard", "message_too_large", "5.3.4")],
        "<123469.cfcfcfcfcfcfcfcf@news.example.org>",
    ),
    "host_unknown.eml": (
        "B",
        "2naa-c0c0c0c0c0c0",
        [("elena@nonexistent.example.net", "hard", "host_unknown", "5.4.4")],
        "<123470.d0d0d0d0d0d0d0d0@news.example.org>",
    ),
    "expired_sendmail.eml": (
        "B",
        "2nab-d1d1d1d1d1d1",
        [("georgi.dimitrov@example.com", "soft", "expired", "4.4.7")],
        "<123471.e1e1e1e1e1e1e1e1@news.example.org>",
    ),
    "spamhaus_blocked.eml": (
        "B",
        "2nac-e2e2e2e2e2e2",
        [("carmen.diaz@example.com", "hard", "blocked", "5.7.1")],
        "<123472.f2f2f2f2f2f2f2f2@news.example.org>",
    ),
    "recipient_in_free_text.eml": (
        "B",
        "2nad-f3f3f3f3f3f3",
        [("katarzyna.zielinska@example.com", "hard", "user_unknown", "5.1.1")],
        "<123473.0303030303030303@news.example.org>",
    ),
    "verp_hidden_recipient.eml": (
        "B",
        "2nae-040404040404",
        [(None, "hard", "user_unknown", "5.1.1")],
        "<123474.1414141414141414@news.example.org>",
    ),
    # Our own bounce address bounced: a bounce, but nobody to suppress, and the inner DSN's
    # VERP address must not be mistaken for the token of this report.
    "bounce_of_bounce.eml": (
        "B",
        None,
        [],
        "<20250204050503.4YmX7t7RZjz8dEf@mx.example.com>",
    ),
    "truncated_dsn.eml": (
        "B",
        "2nb0-262626262626",
        [("wojciech.lewandowski@example.com", "hard", "user_unknown", "5.1.1")],
        None,
    ),
    "bogus_charset.eml": (
        "B",
        "2nb1-373737373737",
        [("francois.dupont@example.com", "hard", "mailbox_full", "5.2.2")],
        "<123477.4747474747474747@news.example.org>",
    ),
}

AUTO_REPLIES: dict[str, str] = {
    "en_exchange_automatic_reply.eml": "2nb5-7b7b7b7b7b7b",
    "pl_odpowiedz_automatyczna.eml": "2nb6-8c8c8c8c8c8c",
    "tr_otomatik_yanit.eml": "2nb7-9d9d9d9d9d9d",
    "es_respuesta_automatica.eml": "2nb8-aeaeaeaeaeae",
    "es_fuera_de_la_oficina_autorespond.eml": "2nbb-d1d1d1d1d1d1",
    "vi_tra_loi_tu_dong.eml": "2nb9-bfbfbfbfbfbf",
    "bg_avtomatichen_otgovor.eml": "2nba-c0c0c0c0c0c0",
}

# file → (feedback type, complaining recipient, original Message-ID, VERP token)
COMPLAINTS: dict[str, tuple] = {
    "arf_generic_abuse.eml": (
        "abuse",
        "hanna.nowak@example.net",
        "<123478.5858585858585858@news.example.org>",
        "2nb2-484848484848",
    ),
    # Yahoo CFL: no Original-Rcpt-To, the recipient comes from the original's To.
    "yahoo_cfl.eml": (
        "abuse",
        "quang.tran@example.com",
        "<123479.6969696969696969@news.example.org>",
        "2nb3-595959595959",
    ),
    # Legacy Hotmail JMRP: multipart/mixed + X-HmXmrOriginalRecipient, no feedback-report.
    "microsoft_jmrp.eml": (
        "abuse",
        "deniz.arslan@example.net",
        "<123480.7a7a7a7a7a7a7a7a@news.example.org>",
        "2nb4-6a6a6a6a6a6a",
    ),
    "arf_not_spam.eml": (
        "not-spam",
        "luis.moreno@example.com",
        "<123481.8b8b8b8b8b8b8b8b@news.example.org>",
        None,
    ),
}


def parse(path: Path, **kwargs) -> Parsed:
    return parse_message(path.read_bytes(), bounce_domains=OURS, **kwargs)


def flags(p: Parsed) -> str:
    on = (p.bounce, p.delay, p.auto_reply, p.complaint)
    return "".join(c for c, f in zip("BDAC", on, strict=True) if f)


def test_every_fixture_has_an_expectation():
    listed = {
        *(f"bounces/{n}" for n in BOUNCES),
        *(f"autoreplies/{n}" for n in AUTO_REPLIES),
        *(f"complaints/{n}" for n in COMPLAINTS),
        "other/human_reply.eml",
        "other/delivered_dsn.eml",
    }
    on_disk = {str(p.relative_to(FIXTURES)) for p in FIXTURES.rglob("*.eml")}
    assert on_disk == listed


@pytest.mark.parametrize("name", sorted(BOUNCES))
def test_bounce_corpus(name):
    want_flags, token, recipients, message_id = BOUNCES[name]
    p = parse(FIXTURES / "bounces" / name)
    assert flags(p) == want_flags
    assert p.verp_token == token
    assert [(r.address, r.kind, r.reason, r.status) for r in p.recipients] == recipients
    assert p.original_message_id == message_id
    assert p.automated
    for r in p.recipients:
        assert r.diagnostic, "a diagnostic is kept for the operator"


@pytest.mark.parametrize("name", sorted(AUTO_REPLIES))
def test_auto_reply_corpus(name):
    p = parse(FIXTURES / "autoreplies" / name)
    assert flags(p) == "A"
    assert p.recipients == []
    assert p.verp_token == AUTO_REPLIES[name]


@pytest.mark.parametrize("name", sorted(COMPLAINTS))
def test_complaint_corpus(name):
    feedback_type, recipient, message_id, token = COMPLAINTS[name]
    p = parse(FIXTURES / "complaints" / name)
    assert flags(p) == "C"
    assert p.feedback_type == feedback_type
    assert p.complaint_recipient == recipient
    assert p.original_message_id == message_id
    assert p.verp_token == token


def test_human_reply_is_nothing():
    """It mentions "out of the office" and "could not be delivered" in the body and says
    Auto-Submitted: no: still a person writing."""
    p = parse(FIXTURES / "other" / "human_reply.eml")
    assert flags(p) == ""
    assert p.recipients == []
    assert p.verp_token == "2nbc-e2e2e2e2e2e2"
    assert not p.automated


def test_successful_delivery_report_is_not_a_bounce():
    p = parse(FIXTURES / "other" / "delivered_dsn.eml")
    assert flags(p) == ""
    assert p.recipients == []
    assert p.automated, "a delivery report is not a human reply either"


def test_complaint_token_from_original_mail_from():
    raw = (FIXTURES / "complaints" / "arf_generic_abuse.eml").read_bytes()
    head, _, _ = raw.partition(b"--part1_13d.2e68ed54_boundary\nContent-Type: message/rfc822")
    p = parse_message(head + b"--part1_13d.2e68ed54_boundary--\n")
    assert p.complaint and p.original_message_id is None
    assert p.verp_token == "2nb2-484848484848"
    assert p.complaint_recipient == "hanna.nowak@example.net"


def test_original_headers_are_returned():
    p = parse(FIXTURES / "bounces" / "postfix_user_unknown.eml")
    assert p.original_headers == {
        "Message-ID": "<123456.9f8e7d6c5b4a3921@news.example.org>",
        "X-Mailwright-Delivery": "123456",
        "Return-Path": "<bounce+2n9c-4f1e0a9b7c3d@bounces.example.org>",
        "Feedback-ID": "c42:marketing:mw:example",
        "From": "Example News <news@news.example.org>",
        "To": "jan.kowalski@example.com",
        "Subject": "January newsletter",
    }
    # RFC 2047 subjects of the original are decoded.
    p = parse(FIXTURES / "bounces" / "sendmail_dsn.eml")
    assert p.original_headers["Subject"] == "Bản tin tháng Một"


def test_dsn_with_auto_submitted_auto_replied_is_never_an_auto_reply():
    # Exim, Postfix, Gmail and Exchange all mark their bounces Auto-Submitted: auto-replied.
    for name in ("exim_free_text.eml", "office365_ndr.eml", "gmail_user_unknown.eml"):
        raw = (FIXTURES / "bounces" / name).read_bytes()
        assert b"Auto-Submitted: auto-replied" in raw
        p = parse_message(raw)
        assert p.bounce and not p.auto_reply


def test_envelope_recipient_wins_for_the_verp_token():
    raw = (FIXTURES / "bounces" / "qmail.eml").read_bytes()
    p = parse_message(raw, "BOUNCE+ZZ9-ABCDEF012345@bounces.example.org")
    assert p.verp_token == "zz9-abcdef012345"


def test_verp_token_from_the_original_when_the_report_goes_elsewhere():
    raw = (FIXTURES / "bounces" / "sendmail_dsn.eml").read_bytes()
    raw = raw.replace(b"To: <bounce+2n9f-123456abcdef@bounces.example.org>", b"To: postmaster")
    assert parse_message(raw).verp_token == "2n9f-123456abcdef"


def test_own_bounce_addresses_are_never_failed_recipients():
    raw = (FIXTURES / "bounces" / "bounce_of_bounce.eml").read_bytes()
    # Even without knowing the bounce domain, a VERP-shaped address is ours.
    assert parse_message(raw).recipients == []
    # And a plain address at a bounce domain is filtered when the domain is known.
    raw = raw.replace(b"bounce+2naf-151515151515@", b"returns@")
    assert [r.address for r in parse_message(raw).recipients] == ["returns@bounces.example.org"]
    assert parse_message(raw, bounce_domains=OURS).recipients == []


def test_oversized_message_is_capped_and_still_parsed():
    raw = (FIXTURES / "bounces" / "postfix_user_unknown.eml").read_bytes()
    raw = raw.replace(b"Hello Jan,", b"Hello Jan," + b"x" * (5 * 1024 * 1024))
    p = parse_message(raw, bounce_domains=OURS)
    assert p.bounce and p.recipients[0].reason == "user_unknown"


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\x00\xff\xfe" * 1000,
        b"Content-Type: multipart/report; report-type=delivery-status\n\n",
        b"Content-Type: multipart/report; boundary=x; report-type=delivery-status\n\n--x\n"
        b"Content-Type: message/delivery-status\nContent-Transfer-Encoding: base64\n\n@@@@\n",
        b"From: MAILER-DAEMON@example.net\nSubject: Undeliverable\n\nno address here\n",
        "Subject: =?x-nope?Q?=FF?=\n\n\u0000".encode(),
    ],
)
def test_junk_gives_an_empty_result(raw):
    p = parse_message(raw)
    assert isinstance(p, Parsed)
    assert not (p.bounce or p.complaint or p.auto_reply or p.delay)


def test_base64_encoded_delivery_status():
    import base64

    status = (
        b"Reporting-MTA: dns; mx.example.net\n\nFinal-Recipient: rfc822; a@example.com\n"
        b"Action: failed\nStatus: 5.1.1\n"
    )
    raw = (
        b"From: MAILER-DAEMON@example.net\nContent-Type: multipart/report; boundary=x;"
        b" report-type=delivery-status\n\n--x\nContent-Type: text/plain\n\nfailed\n--x\n"
        b"Content-Type: message/delivery-status\nContent-Transfer-Encoding: base64\n\n"
        + base64.encodebytes(status)
        + b"--x--\n"
    )
    p = parse_message(raw)
    assert [(r.address, r.kind, r.reason) for r in p.recipients] == [
        ("a@example.com", "hard", "user_unknown")
    ]


# --- classification ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "text", "kind", "reason"),
    [
        ("5.1.1", "", "hard", "user_unknown"),
        ("5.1.2", "", "hard", "host_unknown"),
        ("5.1.10", "", "hard", "user_unknown"),
        ("4.2.2", "", "soft", "mailbox_full"),
        ("5.3.4", "", "hard", "message_too_large"),
        ("5.2.3", "", "hard", "message_too_large"),
        ("5.4.4", "", "hard", "host_unknown"),
        ("4.4.7", "", "soft", "expired"),
        ("5.4.7", "delivery time expired", "soft", "expired"),
        ("5.7.1", "rejected for policy reasons", "hard", "blocked"),
        ("5.7.1", "Message rejected as spam", "hard", "spam_detected"),
        ("5.7.1", "Client host blocked using zen.spamhaus.org", "hard", "blocked"),
        ("5.7.26", "Unauthenticated email is not accepted due to DMARC policy", "hard", "blocked"),
        ("5.0.0", "550 5.1.1 <a@example.com>: User unknown", "hard", "user_unknown"),
        (None, "550 mailbox unavailable", "hard", "user_unknown"),
        (None, "450 mailbox unavailable, try again later", "soft", "other"),
        (None, "user is over quota", "soft", "mailbox_full"),
        (None, "552 Mailbox full", "hard", "mailbox_full"),
        (None, "421 try again later", "soft", "other"),
        (None, "Retry timeout exceeded", "soft", "expired"),
        (None, "Domain example.invalid does not exist", "hard", "host_unknown"),
        (None, "Your IP is listed at Spamhaus", "hard", "blocked"),
        (None, "User not listed in Domino Directory", "hard", "user_unknown"),
        (None, "something odd happened", "hard", "other"),
    ],
)
def test_classify(status, text, kind, reason):
    assert classify(status, text)[:2] == (kind, reason)


@pytest.mark.parametrize(
    ("kind", "reason", "status", "suppress"),
    [
        ("hard", "user_unknown", "5.1.1", True),
        ("hard", "host_unknown", "5.4.4", True),
        ("hard", "other", "5.1.0", True),
        ("hard", "other", "5.0.0", False),
        ("hard", "other", None, False),
        ("hard", "blocked", "5.7.1", False),
        ("hard", "spam_detected", "5.7.1", False),
        ("hard", "message_too_large", "5.3.4", False),
        ("hard", "mailbox_full", "5.2.2", False),
        ("soft", "user_unknown", "4.1.1", False),
        ("soft", "mailbox_full", "4.2.2", False),
        ("soft", "expired", "4.4.7", False),
    ],
)
def test_should_suppress(kind, reason, status, suppress):
    assert should_suppress(Recipient("a@example.com", kind, reason, status, "")) is suppress


def test_hidden_recipient_still_gets_a_suppression_hint():
    """The caller finds the address through the VERP token."""
    p = parse(FIXTURES / "bounces" / "verp_hidden_recipient.eml")
    assert should_suppress(p.recipients[0])


# --- commands ------------------------------------------------------------------------------


def run(command: str, *args: str) -> list[dict]:
    out = StringIO()
    call_command(command, "parse", *args, stdout=out)
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_bounces_parse_command_reports_a_verified_delivery(tmp_path):
    raw = (FIXTURES / "bounces" / "postfix_user_unknown.eml").read_bytes()
    real = tokens.verp_token(123456).encode()
    genuine = tmp_path / "genuine.eml"
    genuine.write_bytes(raw.replace(b"2n9c-4f1e0a9b7c3d", real))
    forged = FIXTURES / "bounces" / "postfix_user_unknown.eml"  # made-up token
    lines = run("bounces", str(genuine), str(forged), "--bounce-domain", "bounces.example.org")
    assert lines[0] == {
        "file": str(genuine),
        "bounce": True,
        "delay": False,
        "auto_reply": False,
        "recipients": [
            {
                "address": "jan.kowalski@example.com",
                "kind": "hard",
                "reason": "user_unknown",
                "status": "5.1.1",
                "diagnostic": "550 5.1.1 <jan.kowalski@example.com>: Recipient address "
                "rejected: User unknown in virtual mailbox table",
            }
        ],
        "delivery": 123456,
    }
    # X-Mailwright-Delivery: 123456 is in the original, but only a verified token counts.
    assert lines[1]["delivery"] is None


def test_bounces_parse_command_goes_on_after_a_missing_file(tmp_path):
    out = StringIO()
    missing = tmp_path / "missing.eml"
    reply = FIXTURES / "autoreplies" / "tr_otomatik_yanit.eml"
    with pytest.raises(CommandError) as exc:
        call_command("bounces", "parse", str(missing), str(reply), stdout=out)
    assert exc.value.returncode == 1
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert lines[0]["file"] == str(missing) and "error" in lines[0]
    assert lines[1]["auto_reply"] is True and lines[1]["bounce"] is False


def test_complaints_parse_command():
    lines = run("complaints", str(FIXTURES / "complaints" / "arf_generic_abuse.eml"))
    assert lines == [
        {
            "file": str(FIXTURES / "complaints" / "arf_generic_abuse.eml"),
            "complaint": True,
            "recipient": "hanna.nowak@example.net",
            "original_message_id": "<123478.5858585858585858@news.example.org>",
            "feedback_type": "abuse",
            "delivery": None,  # the fixture's token is made up
        }
    ]
