"""Plain-text delivery failure notices (no message/delivery-status part), by MTA family and
language, with and without their headers; and human mail about delivery that is no bounce."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mailwright.feedback.parsing import Parsed, parse_message

CORPUS = Path(__file__).parent / "corpus"
OURS = {"bounces.example.org"}
# Our fixtures are the corpus files named text_*.eml (plain-text notices and their negatives).
FIXTURES = sorted(CORPUS.glob("*/text_*.eml"))


def what(p: Parsed) -> str:
    if p.complaint:
        return "complaint"
    if p.bounce:
        return "bounce"
    if p.delay:
        return "delay"
    if p.auto_reply:
        return "auto_reply"
    return "other"


def test_the_corpus_covers_the_families():
    families = {path.parent.name for path in FIXTURES}
    assert len(FIXTURES) >= 40
    assert families >= {
        "qmail", "exim", "postfix", "sendmail", "courier", "exchange", "office365", "domino",
        "groupwise", "mdaemon", "mailenable", "imail", "kerio", "zimbra", "yahoo", "aol",
        "icloud", "gmail", "japanese", "chinese", "russian", "korean", "german", "french",
        "spanish", "polish", "turkish", "human",
    }  # fmt: skip
    stripped = [p for p in FIXTURES if not p.read_bytes().startswith(b"Return-Path:")]
    assert len({p.parent.name for p in stripped}) >= 5


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_plain_text_notice(path):
    want = json.loads(path.with_suffix(".json").read_text())
    p = parse_message(path.read_bytes(), bounce_domains=OURS)
    assert what(p) == want["is"]
    assert [r.address for r in p.recipients] == [r["address"] for r in want["recipients"]]
    if want["is"] == "bounce":
        assert p.automated
        assert all(r.diagnostic for r in p.recipients), "the operator sees why"
        # The VERP token comes from the notice's To, or from the quoted original.
        assert p.verp_token and p.verp_token.startswith("3p")


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_plain_text_notice_kind_and_reason(path):
    """Localised reasons reach classify() restated in English; qmail's and Exchange's
    "#5.1.1" tails as a status."""
    want = json.loads(path.with_suffix(".json").read_text())
    p = parse_message(path.read_bytes(), bounce_domains=OURS)
    assert [(r.kind, r.reason) for r in p.recipients] == [
        (r["kind"], r["reason"]) for r in want["recipients"]
    ]


DSN_WITHOUT_RECIPIENT = """\
Return-Path: <>
From: MAILER-DAEMON@gateway.example.net
To: bounce+3pf0-f0f0a1b2c3d4@bounces.example.org
Subject: Undeliverable message
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B"

--B
Content-Type: text/plain

Your message could not be delivered.

--B
Content-Type: message/delivery-status

Reporting-MTA: dns; gateway.example.net

Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 User unknown

--B
Content-Type: text/rfc822-headers

Return-Path: <bounce+3pf0-f0f0a1b2c3d4@bounces.example.org>
From: Example News <news@news.example.org>
To: {to}
X-Original-To: {original_to}
Subject: Monthly newsletter
Message-ID: <124900.f0f0@news.example.org>

--B--
"""


def test_dsn_without_recipient_takes_it_from_the_returned_headers():
    raw = DSN_WITHOUT_RECIPIENT.format(to="Hugo <hugo.blanc@example.fr>", original_to="")
    p = parse_message(raw.replace("X-Original-To: \n", "").encode(), bounce_domains=OURS)
    assert p.bounce
    assert [(r.address, r.reason) for r in p.recipients] == [
        ("hugo.blanc@example.fr", "user_unknown")
    ]
    assert p.verp_token == "3pf0-f0f0a1b2c3d4"


def test_x_original_to_wins_over_to():
    raw = DSN_WITHOUT_RECIPIENT.format(
        to="list@lists.example.fr", original_to="ines.roy@example.fr"
    )
    p = parse_message(raw.encode(), bounce_domains=OURS)
    assert [r.address for r in p.recipients] == ["ines.roy@example.fr"]


def test_several_addressees_in_the_original_are_not_a_reliable_source():
    raw = DSN_WITHOUT_RECIPIENT.format(to="a@example.fr, b@example.fr", original_to="")
    p = parse_message(raw.replace("X-Original-To: \n", "").encode(), bounce_domains=OURS)
    assert p.bounce
    assert [r.address for r in p.recipients] == [None]
    assert p.verp_token == "3pf0-f0f0a1b2c3d4", "the VERP token still names the delivery"


def test_notice_naming_nobody_without_an_original_keeps_the_address_unknown():
    raw = (
        "From: MAILER-DAEMON@mail.example.ru\n"
        "To: bounce+3pf1-f1f1a1b2c3d4@bounces.example.org\n"
        "Subject: Undelivered\n\n"
        "Сообщение не доставлено.\n\nАдресат не найден.\n"
    )
    p = parse_message(raw.encode(), bounce_domains=OURS)
    assert p.bounce
    assert [(r.address, r.reason) for r in p.recipients] == [(None, "user_unknown")]
    assert p.verp_token == "3pf1-f1f1a1b2c3d4"


def test_the_recipient_is_never_our_bounce_address_nor_the_original_sender():
    """Body only; the quoted original comes from us and mentions other addresses."""
    raw = (
        "Hi. This is the qmail-send program at mail.example.com.\n"
        "I'm afraid I wasn't able to deliver your message to the following addresses.\n"
        "This is a permanent error; I've given up. Sorry it didn't work out.\n\n"
        "<bounce+3pf2-f2f2a1b2c3d4@bounces.example.org>:\nSorry, no mailbox here by that name.\n\n"
        "--- Below this line is a copy of the message.\n\n"
        "From: Example News <news@news.example.org>\nTo: sam.roe@example.com\n\n"
        "<news@news.example.org>:\nwrite to friend@example.net\n"
    )
    p = parse_message(raw.encode(), bounce_domains=OURS)
    assert p.bounce
    assert [r.address for r in p.recipients] == []


def test_each_recipient_keeps_its_own_diagnostic():
    """Exim lists failed addresses without a blank line between them."""
    path = CORPUS / "exim" / "text_exim_two_recipients.eml"
    first, second = parse_message(path.read_bytes(), bounce_domains=OURS).recipients
    assert "550 5.1.1" in first.diagnostic and "rita.hale" not in first.diagnostic
    assert "552 5.2.2" in second.diagnostic and "paul.grant" not in second.diagnostic
