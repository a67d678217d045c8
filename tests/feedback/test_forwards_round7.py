"""Round 7 of issue 13: notices passed on by people and systems.

Each test reads a message as `mailwright bounces parse` does (parse_message with our bounce
domain) and checks what an operator would see: a customer's forward of a bounce of her own
mail suppresses nobody, a staff note with the notice attached is read, and each recipient of
a multi-recipient notice keeps its own reason.
"""

from __future__ import annotations

from pathlib import Path

from mailwright.feedback.parsing import parse_message

CORPUS = Path(__file__).parent / "corpus"
DOMAINS = {"bounces.example.org"}


def _parse(name: str):
    return parse_message((CORPUS / name).read_bytes(), bounce_domains=DOMAINS)


def _found(parsed) -> list[tuple[str | None, str, str]]:
    return [(r.address, r.kind, r.reason) for r in parsed.recipients]


def test_outlook_forward_of_a_customers_own_bounce_suppresses_nobody():
    # German and Spanish Outlook: no heading line, the "Von:/Gesendet:/An:" block is the
    # heading, and its "An:"/"Para:" is the customer herself.
    for name in (
        "nonbounce/v7_fw_outlook_de_own_mail_exchange.eml",
        "nonbounce/v7_fw_outlook_es_own_mail_o365.eml",
    ):
        parsed = _parse(name)
        assert not parsed.bounce, name
        assert parsed.recipients == [], name
    # The same Outlook block, but the notice went to our sender address and the forward is
    # sent inside our organisation: still read.
    parsed = _parse("shapes/v7_fw_outlook_en_postfix_inline_user_unknown.eml")
    assert _found(parsed) == [("d.okafor@example-plumbing.co.uk", "hard", "user_unknown")]


def test_helpdesk_ticket_holding_a_requesters_own_bounce_is_not_our_failure():
    parsed = _parse("helpdesk/v7_freshdesk_ticket_customer_own_bounce.eml")
    assert not parsed.bounce
    assert parsed.recipients == []


def test_staff_note_with_the_dsn_attached_is_read_as_the_bounce():
    parsed = _parse("shapes/v7_staff_note_with_rfc822_dsn_attachment.eml")
    assert parsed.bounce
    assert _found(parsed) == [("dr.nakamura@example-clinic.example", "hard", "mailbox_disabled")]
    # A list's "Uncaught bounce notification" to its owner, with the bounce attached, stays
    # list traffic.
    parsed = _parse("nonbounce/v7_mailman_uncaught_bounce_notification.eml")
    assert not parsed.bounce
    assert parsed.recipients == []


def test_recipient_without_a_code_does_not_borrow_the_other_recipients_status():
    parsed = _parse("shapes/v7_fw_outlook_it_sendmail_two_one_without_code.eml")
    assert _found(parsed) == [
        ("g.rossi@example-consorzio.it", "hard", "user_unknown"),
        ("amministrazione@example-cantina-chiusa.it", "hard", "host_unknown"),
    ]
    parsed = _parse("shapes/v7_fw_outlook_en_quoted_o365_two_one_without_code.eml")
    assert _found(parsed) == [
        ("treasurer@example-trust.org.uk", "soft", "mailbox_full"),
        ("chair@example-trust.org.uk", "hard", "user_unknown"),
    ]


def test_gmail_server_reply_decides_over_the_generic_blocked_heading():
    # "** Message blocked **" is Gmail's heading for every refusal; the 550 5.7.1 answer
    # under "The response from the remote server was:" names PTR/authentication.
    parsed = _parse("shapes/v7_fw_outlook_es_gmail_blocked_ptr_utf8_qp.eml")
    assert _found(parsed) == [("cliente.vip@example-gmailish.es", "hard", "security_error")]


def test_sms_gateway_delivery_receipt_is_machine_mail_not_an_auto_reply():
    # "Delivered: SMS to …" / "was delivered as a text message", with Auto-Submitted: it says
    # the message arrived, it answers nothing (like Outlook's "Delivered:" receipt).
    parsed = _parse("nonbounce/v7_sms_gateway_delivery_receipt.eml")
    assert not parsed.bounce and not parsed.auto_reply
    assert parsed.automated
    assert parsed.recipients == []


def test_notice_quoting_our_original_in_outlook_layout_is_still_a_bounce():
    # A notice whose returned original is laid out like Outlook's "From:/Sent:/To:" block
    # (To: the failed recipient, named above it) is not a person forwarding her own bounce.
    raw = (
        b"From: Mail Delivery System <MAILER-DAEMON@mx.example-firm.example>\n"
        b"To: news@news.example.org\nSubject: Undeliverable: Offer\n\n"
        b"Delivery has failed to these recipients or groups:\n\n"
        b"ana@example-firm.example\n"
        b"Remote Server returned '550 5.1.1 User unknown'\n\n"
        b"From: Example News <news@news.example.org>\n"
        b"Sent: Monday, June 2, 2025 9:00 AM\n"
        b"To: ana@example-firm.example\nSubject: Offer\n"
    )
    parsed = parse_message(raw, bounce_domains=DOMAINS)
    assert parsed.bounce
    assert _found(parsed) == [("ana@example-firm.example", "hard", "user_unknown")]
