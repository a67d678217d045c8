"""Classic MTAs' variants (issue 13, round "unseen variants"): the general rules the new
postfix/exim/sendmail/qmail/courier/zimbra/other-MTA fixtures revealed, each on a message
built here so the rule is tested apart from any one fixture."""

from __future__ import annotations

from mailwright.feedback.parsing import parse_message

DOMAINS = {"bounces.example.org"}
ORIGINAL = (
    "Return-Path: <bounce+4z01-0z01b2c3d4@bounces.example.org>\n"
    "From: Example News <news@news.example.org>\n"
    "To: {to}\n"
    "Subject: Monthly newsletter\n"
    "Message-ID: <4z01.1@news.example.org>\n\n"
    "Hello, questions to help@news.example.org.\n"
)


def _dsn(action: str, status: str, diagnostic: str, to: str = "ana@example.com") -> bytes:
    return (
        "From: MAILER-DAEMON@mail.example.com (Mail Delivery System)\n"
        "To: bounce+4z01-0z01b2c3d4@bounces.example.org\n"
        "Subject: Undelivered Mail Returned to Sender\n"
        "MIME-Version: 1.0\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\n\n'
        "--b\nContent-Type: text/plain\n\nThe mail system\n\n"
        "--b\nContent-Type: message/delivery-status\n\n"
        "Reporting-MTA: dns; mail.example.com\n\n"
        f"Final-Recipient: rfc822; {to}\nAction: {action}\nStatus: {status}\n"
        f"Diagnostic-Code: X-Postfix; {diagnostic}\n\n"
        f"--b\nContent-Type: message/rfc822\n\n{ORIGINAL.format(to=to)}\n--b--\n"
    ).encode()


def _one(raw: bytes):
    parsed = parse_message(raw, bounce_domains=DOMAINS)
    assert len(parsed.recipients) == 1, parsed.recipients
    return parsed, parsed.recipients[0]


def test_dsn_failed_with_transient_status_is_expired():
    # Postfix after maximal_queue_lifetime: Action failed, the last 4.4.1 connection error.
    parsed, r = _one(_dsn("failed", "4.4.1", "connect to mx.example.com[203.0.113.9]:25: "
                          "Connection timed out"))  # fmt: skip
    assert parsed.bounce
    assert (r.address, r.kind, r.reason) == ("ana@example.com", "soft", "expired")


def test_dsn_failed_full_mailbox_keeps_its_reason_and_delay_is_not_expired():
    _, full = _one(_dsn("failed", "4.2.2", "host mx said: 452 4.2.2 Mailbox full"))
    assert full.reason == "mailbox_full"
    parsed, delayed = _one(_dsn("delayed", "4.4.1", "connect to mx: Connection timed out"))
    assert parsed.delay and not parsed.bounce
    assert delayed.reason == "network_error"


def test_relaying_denied_asking_for_authentication_is_policy_not_security():
    _, r = _one(_dsn("failed", "5.7.1", "550 5.7.1 <ana@example.com>... Relaying denied. "
                     "Proper authentication required."))  # fmt: skip
    assert (r.kind, r.reason) == ("hard", "policy")


def test_amavis_banned_attachment_is_content_rejected():
    _, r = _one(_dsn("failed", "5.7.0", "554 5.7.0 Reject, id=1-01 - BANNED: P=p002,L=1/2,"
                     "M=application/x-msdownload,T=exe,N=invoice.exe"))  # fmt: skip
    assert r.reason == "content_rejected"


EXIM_FAILURES = """This message was created automatically by mail delivery software.

A message that you sent could not be delivered to one or more of its
recipients. This is a permanent error. The following address(es) failed:

  jonas@example.de
    No Such User Here

  anke@example.de
    all relevant MX records point to non-existent hosts

------ This is a copy of the message, including all the headers. ------

"""


def test_exim_notice_forwarded_under_outlook_original_message_marker():
    raw = (
        "From: Marketing <marketing@news.example.org>\nTo: it@news.example.org\n"
        "Subject: FW: Mail delivery failed: returning message to sender\n\n"
        "Can you check these two?\n\n-----Original Message-----\n"
        "From: Mail Delivery System <Mailer-Daemon@mail.example.net>\n"
        "Subject: Mail delivery failed: returning message to sender\n\n"
        + EXIM_FAILURES
        + ORIGINAL.format(to="jonas@example.de, anke@example.de")
    ).encode()
    parsed = parse_message(raw, bounce_domains=DOMAINS)
    assert parsed.bounce
    got = {r.address: (r.kind, r.reason) for r in parsed.recipients}
    assert got == {
        "jonas@example.de": ("hard", "user_unknown"),
        "anke@example.de": ("hard", "host_unknown"),
    }


OPENSMTPD = """From: Mailer Daemon <MAILER-DAEMON@mail.example.com>
To: bounce+4z01-0z01b2c3d4@bounces.example.org
Subject: Delivery status notification: {what}

    Hi!

    This is the MAILER-DAEMON, please DO NOT REPLY to this email.

{intro}

ana@example.com: {reply}

{outro}    Below is a copy of the original message:

"""


def test_opensmtpd_error_and_delay_notices():
    error = OPENSMTPD.format(
        what="error",
        intro="    An error has occurred while attempting to deliver a message for\n"
        "    the following list of recipients:",
        reply="550 5.1.1 <ana@example.com>: Recipient address rejected: User unknown",
        outro="",
    )
    parsed, r = _one((error + ORIGINAL.format(to="ana@example.com")).encode())
    assert parsed.bounce
    assert (r.address, r.kind, r.reason) == ("ana@example.com", "hard", "user_unknown")

    delay = OPENSMTPD.format(
        what="delay",
        intro="    A message is delayed for more than 4h for the following\n"
        "    list of recipients:",
        reply="421 4.7.0 Temporary failure, please try again later",
        outro="    Please note that this is only a temporary failure report.\n\n",
    )
    parsed, r = _one((delay + ORIGINAL.format(to="ana@example.com")).encode())
    assert parsed.delay and not parsed.bounce
    assert (r.address, r.kind) == ("ana@example.com", "soft")


def test_smartermail_failed_to_deliver_ignores_the_originals_cc():
    raw = (
        "From: postmaster@mail.example.us\nTo: bounce+4z01-0z01b2c3d4@bounces.example.org\n"
        "Subject: Undeliverable: Monthly newsletter\n\n"
        "Failed to deliver to 'ryan@example.us'\nSMTP module(domain example.us) reports:\n"
        " mx.example.us says:\n 550 5.1.1 <ryan@example.us>... Recipient not found\n\n"
        "Original message follows.\n\n"
        + ORIGINAL.format(to="ryan@example.us").replace(
            "Subject:", "Cc: sales@example.us\nSubject:"
        )
    ).encode()
    parsed, r = _one(raw)
    assert parsed.bounce
    assert (r.address, r.reason) == ("ryan@example.us", "user_unknown")


def test_sendmail_queue_warning_is_a_delay():
    raw = (
        "From: Mail Delivery Subsystem <MAILER-DAEMON@mail.example.com>\n"
        "To: <bounce+4z01-0z01b2c3d4@bounces.example.org>\n"
        "Subject: Warning: could not send message for past 4 hours\n\n"
        "    **********************************************\n"
        "    **      THIS IS A WARNING MESSAGE ONLY      **\n"
        "    **  YOU DO NOT NEED TO RESEND YOUR MESSAGE  **\n"
        "    **********************************************\n\n"
        "   ----- Transcript of session follows -----\n"
        "<ana@example.com>... Deferred: Connection timed out with mx.example.com.\n"
        "Warning: message still undelivered after 4 hours\n\n"
        "   ----- Original message follows -----\n" + ORIGINAL.format(to="ana@example.com")
    ).encode()
    parsed, r = _one(raw)
    assert parsed.delay and not parsed.bounce
    assert (r.address, r.kind, r.reason) == ("ana@example.com", "soft", "network_error")


def test_qmail_queue_lifetime_is_expired_despite_its_network_code():
    raw = (
        "From: MAILER-DAEMON@mail.example.com\nTo: bounce+4z01-0z01b2c3d4@bounces.example.org\n"
        "Subject: failure notice\n\n"
        "Hi. This is the qmail-send program at mail.example.com.\n"
        "I'm afraid I wasn't able to deliver your message to the following addresses.\n"
        "This is a permanent error; I've given up. Sorry it didn't work out.\n\n"
        "<ana@example.com>:\nSorry, I wasn't able to establish an SMTP connection. (#4.4.1)\n"
        "I'm not going to try again; this message has been in the queue too long.\n\n"
        "--- Below this line is a copy of the message.\n\n" + ORIGINAL.format(to="ana@example.com")
    ).encode()
    _, r = _one(raw)
    assert (r.kind, r.reason) == ("soft", "expired")
