"""Bounce templates that hosting companies and ISPs customise (issue 13, round 4): the human
text is theirs, in any language; the machine parts each MTA still writes (Exim's error lines
and "Delay reason:", Sendmail's and Postfix's "expanded from", MDaemon's transcript, Kerio's
per-recipient block, Office 365's "Recipient Address" label) say who failed and why."""

from tests.feedback.corpus_files import failed as _failed
from tests.feedback.corpus_files import parse_corpus
from tests.feedback.corpus_files import parse_raw as _parse


def test_a_translated_exim_bounce_forwarded_by_hand_is_read_from_exims_error_lines():
    # Spanish bounce_message_file, forwarded under "-----Mensaje original-----": the
    # forwarder, her Cc and the hoster's support address are not recipients.
    assert _failed("exim_custom/v5_spanish_custom_spam_forwarded_body.eml") == {
        "citas@ortodoncia-luna.example": ("hard", "spam_detected")
    }


def test_an_exim_warning_in_another_language_is_a_delay_not_a_bounce():
    parsed = parse_corpus("exim_custom/v5_dutch_warn_message_file_delay.eml")
    assert not parsed.bounce
    assert parsed.delay
    assert [r.address for r in parsed.recipients] == [
        "j.devries@installatiebedrijf-devries.example"
    ]


def test_an_english_custom_exim_warning_with_only_the_delay_reason_is_a_delay():
    raw = b"""Return-path: <>
From: Hosting Mail <mailer-daemon@mail.host.example>
To: bounce+5e99-0a0b0c0d0e@bounces.example.org
Subject: Your message is taking longer than usual
Auto-Submitted: auto-replied
Content-Type: text/plain; charset=us-ascii

This message was created automatically by mail delivery software.

Hosting Mail has been trying to deliver your message for 12 hours:

  pia.holm@fjord-shop.example
    Delay reason: SMTP error from remote mail server after RCPT TO:<pia.holm@fjord-shop.example>:
    451 4.3.0 Temporary lookup failure

No action is needed on your part.
"""
    parsed = _parse(raw)
    assert not parsed.bounce
    assert parsed.delay
    assert [r.address for r in parsed.recipients] == ["pia.holm@fjord-shop.example"]


def test_sendmail_reports_the_address_we_sent_to_not_the_alias_expansion():
    assert _failed("sendmail_custom/v5_italian_errorheader_no_mime_mailbox_full.eml") == {
        "tributi@comune-esempio.example": ("soft", "mailbox_full")
    }


def test_a_postfix_text_notice_reports_the_address_an_alias_was_expanded_from():
    raw = b"""From: MAILER-DAEMON@mx.shop.example (Mail Delivery System)
To: bounce+5c99-0a0b0c0d0e@bounces.example.org
Subject: Undelivered Mail Returned to Sender
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mx.shop.example.

Your message could not be delivered; this is our own wording of the template.

<lena.local@mbox.shop.example> (expanded from <info@shop.example>): host
    mbox.shop.example[192.0.2.5] said: 550 5.1.1 <lena.local@mbox.shop.example>:
    Recipient address rejected: User unknown (in reply to RCPT TO command)

<sales@shop.example>: host mbox.shop.example[192.0.2.5] said: 552 5.2.2
    <sales@shop.example>: Mailbox full (in reply to RCPT TO command)
"""
    parsed = _parse(raw)
    assert parsed.bounce
    assert {r.address: r.reason for r in parsed.recipients} == {
        "info@shop.example": "user_unknown",
        "sales@shop.example": "mailbox_full",
    }


def test_a_translated_mdaemon_notice_is_read_from_its_transcript():
    # From "MDaemon@…", a German subject and Auto-Submitted: not an auto-reply.
    assert _failed("mdaemon_custom/v5_mdaemon_german_transcript_spamhaus.eml") == {
        "werkstatt@kfz-partner.example": ("hard", "blocked")
    }


def test_a_translated_kerio_notice_gives_each_recipient_its_own_reply():
    assert _failed("kerio_custom/v5_kerio_czech_two_recipients_spam_and_unknown.eml") == {
        "obchod@tesarstvi-novak.example": ("hard", "spam_detected"),
        "sklad@tesarstvi-novak.example": ("hard", "user_unknown"),
    }


def test_a_spanish_office365_ndr_without_dsn_names_its_recipient():
    # The sender address in "Dirección del remitente" is our own VERP address, never a failure.
    assert _failed("office365_custom/v5_o365_custom_spanish_mailbox_full_text_only.eml") == {
        "compras@grupo-ejemplo.example": ("soft", "mailbox_full")
    }
