"""Round 9: RFC 3464 reports as the odd generators write them (the corpus fixtures v9_* in
rfc3464/, shapes/, postfix/, domino/, exchange/ hold the shapes; these pin the general rules
they revealed)."""

from __future__ import annotations

from mailwright.feedback.parsing import parse_message

# A report whose human-readable part names nobody and that returns no original: the
# recipient can only come from the status block itself.
DSN = (
    "Return-Path: <>\nFrom: MAILER-DAEMON@gw.example.net\n"
    "To: bounce+9t01-01abcdef@bounces.example.org\nSubject: Returned mail\n"
    "MIME-Version: 1.0\n"
    'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\n\n'
    "--b\nContent-Type: text/plain\n\nYour message could not be delivered.\n\n"
    "--b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; gw.example.net\n\n"
    "Final-Recipient: {final}\nAction: failed\nStatus: {status}\n"
    "Diagnostic-Code: smtp; {diagnostic}\n\n--b--\n"
)


def failures(final: str, status: str = "5.1.1", diagnostic: str = "550 User unknown") -> dict:
    raw = DSN.format(final=final, status=status, diagnostic=diagnostic)
    return {r.address: (r.kind, r.reason) for r in parse_message(raw.encode()).recipients}


def test_an_old_gateways_local_address_type_still_names_the_recipient():
    assert failures("LOCAL; <KAREN.MOSS@EXAMPLE.NET>") == {
        "KAREN.MOSS@EXAMPLE.NET": ("hard", "user_unknown")
    }
    assert failures("X-LOCAL; olaf@example.net") == {"olaf@example.net": ("hard", "user_unknown")}


def test_a_notes_name_or_an_x400_name_after_its_type_is_not_taken_for_an_address():
    assert failures("X-Notes; CN=Ken Sato/O=Example@ExampleDomain") == {
        None: ("hard", "user_unknown")
    }
    assert failures("X400; /G=Lee/S=Ng/O=Corp/ADMD=EXAMPLE/C=US/") == {
        None: ("hard", "user_unknown")
    }


def test_a_comment_after_the_address_is_not_part_of_it():
    assert failures("rfc822; jan.kowalski@example.pl (Jan Kowalski)") == {
        "jan.kowalski@example.pl": ("hard", "user_unknown")
    }


def test_a_polish_full_mailbox_without_diacritics_under_a_generic_status():
    assert failures(
        "rfc822; ewa@example.pl",
        status="5.0.0",
        diagnostic="552 Skrzynka odbiorcy jest przepelniona",
    ) == {"ewa@example.pl": ("soft", "mailbox_full")}


def test_an_eight_bit_status_part_is_read_in_its_declared_charset():
    raw = (
        DSN.format(
            final="rfc822; ivan@example.ru",
            status="5.0.0",
            diagnostic="550 Почтовый ящик переполнен",
        )
        .replace("message/delivery-status", "message/delivery-status; charset=koi8-r")
        .encode("koi8-r")
    )
    found = {r.address: (r.kind, r.reason) for r in parse_message(raw).recipients}
    assert found == {"ivan@example.ru": ("soft", "mailbox_full")}


INNER_NOTICE = (
    "From: MAILER-DAEMON@mx.other.example\nTo: bounce+9t02-02abcdef@bounces.example.org\n"
    "Subject: failure\nMIME-Version: 1.0\n"
    'Content-Type: multipart/report; report-type=delivery-status; boundary="i"\n\n'
    "--i\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.other.example\n\n"
    "Final-Recipient: rfc822; someone.else@other.example\nAction: failed\nStatus: 5.2.2\n\n--i--\n"
)


def test_a_bounce_of_a_bounce_without_a_recipient_does_not_take_the_inner_notices():
    # The outer report names nobody; the returned message is itself a notice about another
    # address, sent to our VERP address: the recipient stays unknown (the VERP token decides).
    raw = (
        "Return-Path: <>\nFrom: MAILER-DAEMON@relay.example.net\n"
        "To: bounce+9t02-02abcdef@bounces.example.org\nSubject: Undelivered Mail\n"
        "MIME-Version: 1.0\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="o"\n\n'
        "--o\nContent-Type: text/plain\n\nYour message could not be delivered.\n\n"
        "--o\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; relay.example.net\n\n"
        "Action: failed\nStatus: 5.1.1\n\n"
        "--o\nContent-Type: message/rfc822\n\n" + INNER_NOTICE + "\n--o--\n"
    )
    parsed = parse_message(raw.encode())
    assert parsed.bounce
    assert [(r.address, r.kind, r.reason) for r in parsed.recipients] == [
        (None, "hard", "user_unknown")
    ]


def test_a_recipient_the_report_says_was_delivered_is_not_the_one_that_failed():
    # Two blocks: one delivered to jane, one failed that names nobody. The returned original's
    # To names jane only (the others were Bcc): jane is not the failure.
    raw = (
        "Return-Path: <>\nFrom: MAILER-DAEMON@relay.example.net\n"
        "To: bounce+9t03-03abcdef@bounces.example.org\nSubject: Delivery report\n"
        "MIME-Version: 1.0\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="o"\n\n'
        "--o\nContent-Type: text/plain\n\nDelivery report.\n\n"
        "--o\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; relay.example.net\n\n"
        "Final-Recipient: rfc822; jane@example.com\nAction: delivered\nStatus: 2.0.0\n\n"
        "Action: failed\nStatus: 5.1.1\n\n"
        "--o\nContent-Type: text/rfc822-headers\n\n"
        "From: news@news.example.org\nTo: jane@example.com\nSubject: News\n\n--o--\n"
    )
    parsed = parse_message(raw.encode())
    assert [(r.address, r.kind, r.reason) for r in parsed.recipients] == [
        (None, "hard", "user_unknown")
    ]
