"""Round 8: older versions and long-tail systems (the corpus fixtures v8_* in exchange_legacy,
domino, groupwise, openwave, longtail, mailenable, isp_legacy, … hold the formats; these pin
the general rules they revealed)."""

from __future__ import annotations

from mailwright.feedback.parsing import parse_message

HEAD = (
    "Return-Path: <>\nFrom: {frm}\nTo: bounces+8t01-01abcdef@bounces.example.org\n"
    "Subject: {subject}\nMIME-Version: 1.0\nContent-Type: text/plain; charset=us-ascii\n\n"
)


def parsed(body: str, frm: str = "postmaster@mail.example.net", subject: str = "Undeliverable"):
    return parse_message((HEAD.format(frm=frm, subject=subject) + body).encode())


def failures(result) -> dict[str, tuple[str, str]]:
    return {r.address: (r.kind, r.reason) for r in result.recipients}


def test_exchange_mta_notice_reads_each_recipient_below_the_heading_not_the_to_line():
    result = parsed(
        "Your message\n\n  To:      Lee, Sam; 'bo@example.net'\n  Subject: News\n"
        "  Sent:    Tue, 4 Mar 2025 10:00:00 +0000\n\n"
        "did not reach the following recipient(s):\n\n"
        "c=US;a= ;p=Example;o=HQ;dda:SMTP=sam.lee@example.com; on Tue, 4 Mar 2025 10:00:29 -0000\n"
        "    The recipient name is not recognized\n"
        "    MSEXCH:MSExchangeMTA:HQ:SRV1 3550 (000B09AA) 550 5.1.1 User unknown\n\n"
        "bo@example.net on Tue, 4 Mar 2025 10:00:29 -0000\n"
        "    A configuration error in the e-mail system caused the message to bounce between "
        "two servers or to be split into too many copies.\n",
    )
    assert failures(result) == {
        "sam.lee@example.com": ("hard", "user_unknown"),
        "bo@example.net": ("soft", "mail_loop"),
    }


def test_domino_list_gives_every_listed_recipient_the_shared_error():
    result = parsed(
        "The following recipients failed:\n\n        ana@example.ch\n        ben@example.ch\n\n"
        "Error transferring to mx.example.ch; SMTP Protocol Returned a\n"
        "Permanent Error 554 5.7.1 Message rejected as spam\n\n"
        "For assistance contact helpdesk@relay.example.ch.\n",
        subject="DELIVERY FAILURE: Error transferring to mx.example.ch",
    )
    assert failures(result) == {
        "ana@example.ch": ("hard", "spam_detected"),
        "ben@example.ch": ("hard", "spam_detected"),
    }


def test_an_indented_quoted_header_block_names_the_recipient():
    result = parsed(
        "Unknown host: mail.gone.example.biz\n\nOriginal Message:\n"
        "   From:    news@news.example.org\n   To:      rita@gone.example.biz\n"
        "   Subject: Offers\n\n> Hello, write to sales@news.example.org\n",
        subject="Undeliverable Mail",
    )
    assert failures(result) == {"rita@gone.example.biz": ("hard", "host_unknown")}


def test_unspaced_angle_lines_each_keep_their_own_reply():
    result = parsed(
        "Die Nachricht konnte an folgende Empfänger nicht zugestellt werden:\n\n"
        "<frank@firma.example.de>: 550 Benutzer unbekannt\n"
        "<sabine@firma.example.de>: 452 Postfach des Empfängers ist voll\n",
    )
    assert failures(result) == {
        "frank@firma.example.de": ("hard", "user_unknown"),
        "sabine@firma.example.de": ("soft", "mailbox_full"),
    }


def test_intermail_unknown_section_and_remote_refusals_together():
    result = parsed(
        "This Message was undeliverable due to the following reason:\n\n"
        "The following destination addresses were unknown (please check\n"
        "the addresses and re-mail the message):\n\nSMTP <gary@isp.example.net>\n\n"
        "Each of the following recipients was rejected by a remote mail server.\n\n"
        "    Recipient: <wendy@isp.example.net>\n"
        "    Reason:    5.2.2 <wendy@isp.example.net>... Mailbox full\n\n"
        "Please reply to Postmaster@isp.example.net\n",
    )
    assert failures(result) == {
        "gary@isp.example.net": ("hard", "user_unknown"),
        "wendy@isp.example.net": ("soft", "mailbox_full"),
    }


def test_aol_521_after_data_is_a_content_refusal_not_a_disabled_mailbox():
    result = parsed(
        "A message that you sent could not be delivered to one or more of its\n"
        "recipients. This is a permanent error. The following address(es) failed:\n\n"
        "  shirley@aol.com\n    SMTP error from remote mail server after end of data:\n"
        "    521 5.2.1 :  AOL will not accept delivery of this message.\n",
        frm="Mail Delivery System <MAILER-DAEMON@mta.example.org>",
    )
    assert failures(result) == {"shirley@aol.com": ("hard", "spam_detected")}


def test_mailenable_localised_labels_name_the_recipient():
    result = parsed(
        "Impossibile recapitare il messaggio ai seguenti destinatari:\n\n"
        "[SMTP:giulia@studio.example.it]\n"
        "Il server remoto ha risposto: 550 5.1.1 Utente sconosciuto\n\n"
        "Per assistenza scrivere a assistenza@provider.example.it.\n",
    )
    assert failures(result) == {"giulia@studio.example.it": ("hard", "user_unknown")}
