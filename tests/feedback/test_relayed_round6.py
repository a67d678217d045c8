"""A common MTA's notice quoting a big receiver's refusal (round 6 of issue 13). The whole
messages are in tests/feedback/corpus/*/v6_*; these pin the rules they revealed."""

from __future__ import annotations

from pathlib import Path

from mailwright.feedback.parsing import parse_message
from mailwright.feedback.parsing.classify import classify, should_suppress

CORPUS = Path(__file__).parent / "corpus"


def _parse(name: str):
    return parse_message((CORPUS / name).read_bytes())


def test_comcast_block_for_spam_is_our_ip_on_a_block_list_not_spam_content():
    reply = (
        "554 resimta-h2p-567890.sys.comcast.net resimta-h2p-567890.sys.comcast.net "
        "203.0.113.7 Comcast block for spam. Please see "
        "http://postmaster.comcast.net/smtp-error-codes.php#BL000010"
    )
    assert classify(None, reply) == ("hard", "blocked", None)

    parsed = _parse("postfix/v6_comcast_bl000010_refused_to_talk_two.eml")
    assert [(r.address, r.reason) for r in parsed.recipients] == [
        ("dwayne.carter@comcast.example", "blocked"),
        ("rosa.alvarez@comcast.example", "blocked"),
    ]
    assert not any(should_suppress(r) for r in parsed.recipients)


def test_mailbox_unavailable_in_reply_to_mail_from_is_about_our_sender():
    # GMX/web.de refuse our envelope sender whose domain has no usable MX or A record: the
    # recipient's address is fine and must not be suppressed.
    parsed = _parse("postfix/v6_gmx_mailbox_unavailable_invalid_dns_mx_sender.eml")
    (rcpt,) = parsed.recipients
    assert (rcpt.address, rcpt.kind, rcpt.reason) == ("franz.huber@gmx.example", "hard", "policy")
    assert not should_suppress(rcpt)

    # The same ambiguous words at MAIL FROM from any receiver; at RCPT TO they stay unknown.
    at_mail = "host mx.example.net[192.0.2.9] said: 550 Requested action not taken: mailbox "
    assert classify(None, at_mail + "unavailable (in reply to MAIL FROM command)")[1] == "policy"
    assert classify(None, at_mail + "unavailable (in reply to RCPT TO command)")[1] == (
        "user_unknown"
    )


def test_greylisting_that_outlasted_the_queue_is_expired_but_a_greylisting_delay_is_policy():
    last = (
        "<lukas.gruber@t-online.example>: 194.25.134.8 does not like recipient. Remote host "
        "said: 451 4.7.1 <lukas.gruber@t-online.example>: Recipient address rejected: "
        "Greylisted, please try again in 300 seconds"
    )
    gave_up = " I'm not going to try again; this message has been in the queue too long."
    assert classify(None, last + gave_up) == ("soft", "expired", "4.7.1")
    assert classify(None, last, permanent=False) == ("soft", "policy", "4.7.1")

    (rcpt,) = _parse("qmail/v6_greylisting_451_queue_too_long.eml").recipients
    assert (rcpt.kind, rcpt.reason) == ("soft", "expired")


def test_exchange_admin_line_with_a_bare_smtp_reply_belongs_to_its_own_recipient():
    # "rachel@… / mta7… #554 delivery error: dd This user doesn't have a … account ##" has no
    # enhanced code; the other recipient's 5.7.26 must not be lent to her.
    parsed = _parse("exchange/v6_exchange2010_remote_server_returned_yahoo_and_gmail.eml")
    got = {r.address: r for r in parsed.recipients}
    rachel, victor = got["rachel.owens@yahoo.example"], got["victor.alves@gmail.example"]
    assert (rachel.kind, rachel.reason) == ("hard", "user_unknown")
    assert "dd This user doesn't have a yahoo.example account" in rachel.diagnostic
    assert should_suppress(rachel)
    assert (victor.reason, victor.status) == ("security_error", "5.7.26")
    assert not should_suppress(victor)


def test_exchange_2007_text_for_an_unknown_recipient():
    text = (
        "The recipient's e-mail address wasn't found in the recipient's e-mail system. "
        "Microsoft Exchange will not try to redeliver this message for you."
    )
    assert classify(None, text)[1] == "user_unknown"


def test_exim_forwarder_reports_the_address_we_sent_to_not_the_forward_target():
    # Exim: "  anna…@gmail.example\n    (generated from info@bergdesign.example)".
    parsed = _parse("exim/v6_cpanel_forwarder_generated_from_gmail_dmarc.eml")
    assert [(r.address, r.reason) for r in parsed.recipients] == [
        ("info@bergdesign.example", "security_error")
    ]
