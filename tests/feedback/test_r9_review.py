"""Round 9 review of the rules rounds 6-8 added: each test is a short message of our own that
a rule broader than its evidence read wrong (a live address suppressed, a block about us
read as the address's fault, a crash that loses the whole message)."""

from __future__ import annotations

import json

from mailwright.feedback.parsing import esp_events, parse_message
from mailwright.feedback.parsing.classify import classify
from mailwright.feedback.parsing.result import (
    MAILBOX_FULL,
    USER_UNKNOWN,
    Parsed,
)


def test_a_postmaster_rejection_for_unsolicited_mail_is_a_bounce_not_a_complaint():
    # A postmaster's notice whose subject names no failure: the receiver refused our
    # message as unsolicited. Nobody complained; reading ana as a complainer suppresses her.
    raw = (
        "From: postmaster@mx.example-isp.net\n"
        "To: bounce+8t01-01abcdef@bounces.example.org\n"
        "Subject: Nondeliverable mail\n"
        "MIME-Version: 1.0\n"
        'Content-Type: multipart/mixed; boundary="B"\n\n'
        "--B\nContent-Type: text/plain\n\n"
        "Your message to ana@example-isp.net was rejected by the remote host:\n"
        "554 5.7.1 Message refused as unsolicited commercial email (spam)\n\n"
        "--B\nContent-Type: message/rfc822\n\n"
        "From: news@news.example.org\nTo: ana@example-isp.net\nSubject: Spring offers\n"
        "Message-ID: <1@news.example.org>\n\nhello\n"
        "--B--\n"
    )
    result = parse_message(raw.encode())
    assert not result.complaint
    assert result.bounce
    assert [(r.address, r.reason) for r in result.recipients] == [
        ("ana@example-isp.net", "spam_detected")
    ]


def test_a_relay_event_with_a_malformed_type_field_is_skipped_not_fatal():
    # One malformed event (a list where Postmark sends a string) must not lose the others.
    payload = json.dumps(
        [
            {"RecordType": "Bounce", "Type": ["HardBounce"], "Email": "bad@example.net"},
            {
                "RecordType": "Bounce",
                "Type": "HardBounce",
                "Email": "ana@example.net",
                "Details": "550 5.1.1 The email account does not exist",
            },
        ]
    )
    result = Parsed()
    assert esp_events.read(result, payload)
    assert [(r.address, r.reason) for r in result.recipients] == [("ana@example.net", USER_UNKNOWN)]


def test_a_server_that_no_longer_accepts_mail_from_us_is_not_a_disabled_mailbox():
    reason = classify(None, "554 Our server no longer accepts mail from your network")[1]
    assert reason != "mailbox_disabled"
    # dot-qmail's retired address keeps its reading.
    assert classify(None, "550 This address no longer accepts mail.")[1] == "mailbox_disabled"


def test_a_full_mailbox_that_says_it_is_full_stays_full():
    # The X.2.2 code and the words both say full; "no longer available" (the space) must not
    # turn it into a disabled mailbox (hard, suppressed).
    text = "552 5.2.2 Mailbox full: storage no longer available until the user deletes mail"
    assert classify(None, text)[1] == MAILBOX_FULL
    # The refinement the rule was written for stays.
    assert classify(None, "552 5.2.2 this account has been disabled")[1] == "mailbox_disabled"


def test_another_receivers_will_not_accept_sentence_keeps_its_own_reason():
    # AOL's "will not accept delivery of this message" is its content filter; another
    # receiver's sentence with the same words and "user unknown" is about the address.
    text = "550 Remote server will not accept delivery of this message: user unknown"
    assert classify(None, text)[1] == USER_UNKNOWN
    aol = "521 5.2.1 : AOL will not accept delivery of this message."
    assert classify(None, aol)[1] == "spam_detected"


NOTICE = (
    "From: MAILER-DAEMON@mx.example.{tld}\nTo: bounce+8t01-01abcdef@bounces.example.org\n"
    "Subject: {subject}\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n"
    "Content-Transfer-Encoding: 8bit\n\n"
)


def notice(tld: str, subject: str, body: str):
    return parse_message((NOTICE.format(tld=tld, subject=subject) + body).encode())


def test_a_final_notice_that_mentions_its_retries_is_a_bounce_not_a_delay():
    # The delay words added in rounds 7-8 ("verzögert", "будем продолжать попытки", "계속
    # 시도") also stand in final notices that tell the history of the attempts.
    de = notice(
        "de",
        "Unzustellbar",
        "Ihre Nachricht konnte an folgende Empfänger nicht zugestellt werden:\n\n"
        "  uwe@example.de\n\nDie Zustellung war mehrfach verzögert; der Zielserver ist nicht "
        "erreichbar. Die Zustellung ist endgültig fehlgeschlagen.\n",
    )
    ru = notice(
        "ru",
        "Письмо не доставлено",
        "Ваше письмо не доставлено адресату.\n\n  ivan@example.ru\n\n"
        "Почтовый ящик переполнен. Мы не будем продолжать попытки доставки.\n",
    )
    ko = notice(
        "kr",
        "메일 전송 실패",
        "메일을 전송하지 못했습니다.\n\n  minji@example.kr\n\n"
        "72시간 동안 계속 시도했으나 상대 서버에 연결할 수 없어 전송에 실패했습니다.\n",
    )
    for result, address in (
        (de, "uwe@example.de"),
        (ru, "ivan@example.ru"),
        (ko, "minji@example.kr"),
    ):
        assert (result.bounce, result.delay) == (True, False), address
        assert [r.address for r in result.recipients] == [address]
    assert ru.recipients[0].reason == MAILBOX_FULL
