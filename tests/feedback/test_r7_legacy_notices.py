"""Round 7: groupware and Windows mail servers' plain-text notices (the corpus fixtures v7_*
hold the formats; these pin the general rules they revealed)."""

from __future__ import annotations

from mailwright.feedback.parsing import parse_message
from mailwright.feedback.parsing.classify import find_smtp_code

HEAD = (
    "Return-Path: <>\nFrom: {frm}\nTo: bounce+7t01-01abcdef@bounces.example.org\n"
    "Subject: {subject}\nMIME-Version: 1.0\nContent-Type: text/plain; charset=us-ascii\n\n"
)


def parsed(body: str, frm: str = "postmaster@mail.example.net", subject: str = "Undeliverable"):
    return parse_message((HEAD.format(frm=frm, subject=subject) + body).encode())


def failures(result) -> dict[str, tuple[str, str]]:
    return {r.address: (r.kind, r.reason) for r in result.recipients}


def test_each_transcript_recipient_gets_the_reply_to_its_own_rcpt():
    result = parsed(
        "The attached message had PERMANENT fatal delivery errors!\n\n"
        "--- Session Transcript ---\n"
        " Mon 2025-03-03 22:00:02.115: *  To: ana@example.com\n"
        " Mon 2025-03-03 22:00:02.116: *  To: ben@example.com\n"
        " Mon 2025-03-03 22:00:03.251: --> RCPT To:<ana@example.com>\n"
        " Mon 2025-03-03 22:00:03.460: <-- 550 5.7.1 <ana@example.com>: Relay access denied\n"
        " Mon 2025-03-03 22:00:03.461: --> RCPT To:<ben@example.com>\n"
        " Mon 2025-03-03 22:00:03.670: <-- 550 5.1.1 <ben@example.com>: User unknown\n"
        "--- End Transcript ---\n",
        frm="MDaemon@mail.example.net",
    )
    assert failures(result) == {
        "ana@example.com": ("hard", "policy"),
        "ben@example.com": ("hard", "user_unknown"),
    }


def test_a_size_is_not_an_smtp_reply_code():
    assert find_smtp_code("Quota: 500 MB (used 500 MB)") is None
    assert find_smtp_code("Remote said: 552 5.2.2 mailbox full") == "552"
    result = parsed(
        "The following message has been returned to you because the recipient's mailbox\n"
        "has exceeded its storage quota:\n\n   Recipient: cleo@example.com\n   Quota: 500 MB\n",
        frm="MDaemon@mail.example.net",
    )
    assert failures(result) == {"cleo@example.com": ("soft", "mailbox_full")}


def test_groupwise_status_rows_report_only_the_undeliverable_ones():
    result = parsed(
        "  Recipients                 Action         Date & Time       Comment\n"
        "  To: dan@example.gov        Undeliverable  3/3/2025 9:00 AM  User not found (D101)\n"
        "  To: eve@example.gov        Delivered      3/3/2025 9:00 AM\n"
        "  CC: fay@example.gov        Undeliverable  3/3/2025 9:00 AM  Mailbox is full\n",
        subject="Message status - undeliverable",
    )
    assert failures(result) == {
        "dan@example.gov": ("hard", "user_unknown"),
        "fay@example.gov": ("soft", "mailbox_full"),
    }


def test_communigate_failed_to_deliver_in_angle_brackets():
    result = parsed(
        "Failed to deliver to '<gus@example.ru>'\nLOCAL module(account gus) reports:\n"
        " unknown user account\n\n"
        "Failed to deliver to '<hal@gone.example.ru>'\nSMTP module(domain gone.example.ru) "
        "reports:\n gone.example.ru: no DNS A-data returned\n",
        frm="MAILER-DAEMON@cgp.example.ru",
    )
    assert failures(result) == {
        "gus@example.ru": ("hard", "user_unknown"),
        "hal@gone.example.ru": ("hard", "host_unknown"),
    }


def test_exchange_2010_delay_to_distribution_lists_is_no_bounce():
    result = parsed(
        "Delivery is delayed to these recipients or distribution lists:\n\n"
        "ivy@example.org\n\nThis message hasn't been delivered yet. "
        "Delivery will continue to be attempted.\n",
        frm="Microsoft Exchange <postmaster@example.org>",
        subject="Delivery Status Notification (Delay)",
    )
    assert result.delay and not result.bounce
    assert [r.address for r in result.recipients] == ["ivy@example.org"]
