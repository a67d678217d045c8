"""Round 8: non-bounces that read like bounces (the corpus fixtures v8_* in autoreply/,
nonbounce/, helpdesk/ and human/ hold the messages; these pin the general rules they
revealed): a person's Outlook reply to a notice, localized delay warnings, Domino's Delay
report."""

from __future__ import annotations

from mailwright.feedback.parsing import parse_message

HEAD = (
    "From: {frm}\nTo: bounce+8t01-01abcdef@bounces.example.org\nSubject: {subject}\n"
    "MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n"
    "Content-Transfer-Encoding: 8bit\n\n"
)


def parsed(body: str, frm: str, subject: str):
    return parse_message((HEAD.format(frm=frm, subject=subject) + body).encode())


def outcome(result) -> tuple[bool, bool, dict[str, tuple[str, str]]]:
    recipients = {r.address: (r.kind, r.reason) for r in result.recipients}
    return result.bounce, result.delay, recipients


NDR_QUOTED_UNDER_MARKER = (
    "-----Original Message-----\n"
    "From: Microsoft Outlook <postmaster@example-firm.com>\n"
    "Sent: 22 May 2025 09:02\n"
    "To: news@news.example.org\n"
    "Subject: Undeliverable: Spring offers\n\n"
    "Delivery has failed to these recipients or groups:\n\n"
    "old.desk@example-firm.com\n"
    "The email address you entered couldn't be found.\n\n"
    "Diagnostic information for administrators:\n\n"
    "old.desk@example-firm.com\n"
    "Remote Server returned '550 5.1.1 RESOLVER.ADR.RecipNotFound; not found'\n"
)


def test_a_persons_reply_to_a_notice_suppresses_nobody():
    """A person answering "RE: Undeliverable: …" with her own text above Outlook's marker is
    human mail: the notice she quotes is not a report to us."""
    result = parsed(
        "Why do I get these? Please take the old desk address off your list.\n\n"
        + NDR_QUOTED_UNDER_MARKER,
        frm="Nora Field <nora.field@example-firm.com>",
        subject="RE: Undeliverable: Spring offers",
    )
    assert outcome(result) == (False, False, {})
    # The same notice forwarded ("FW:") by staff is still read: the rule is about replies.
    forwarded = parsed(
        "FYI, see below.\n\n" + NDR_QUOTED_UNDER_MARKER,
        frm="Nora Field <nora.field@example-firm.com>",
        subject="FW: Undeliverable: Spring offers",
    )
    assert forwarded.bounce
    assert [r.address for r in forwarded.recipients] == ["old.desk@example-firm.com"]


def test_domino_delay_report_is_a_delay_in_english_and_german():
    english = parsed(
        "Your message\n\n  Subject: Spring offers\n\n"
        "has not been delivered yet. Transfer to the following recipients is delayed:\n\n"
        "  kim.berg@example-insure.com\n\n"
        "Reason: Unable to connect to the destination server. The router will keep trying.\n"
        "No action is required on your part.\n",
        frm="Mail Router <Postmaster@example-insure.com>",
        subject="Delay Report: Spring offers",
    )
    assert outcome(english) == (
        False,
        True,
        {"kim.berg@example-insure.com": ("soft", "network_error")},
    )
    german = parsed(
        "Ihre Nachricht wurde noch nicht zugestellt. Die Übertragung an folgende Empfänger\n"
        "ist verzögert:\n\n  uwe.roth@example-bau.de\n\n"
        "Grund: Der Mailserver mx2/Bau ist derzeit nicht erreichbar.\n",
        frm="Mail Router <Postmaster@example-bau.de>",
        subject="Verzögerungsbericht: Angebote",
    )
    assert outcome(german) == (False, True, {"uwe.roth@example-bau.de": ("soft", "network_error")})


def test_spanish_delay_warning_is_not_a_bounce():
    """An Exim warning with a Spanish warn_message_file: still retrying, so a delay."""
    result = parsed(
        "Este mensaje ha sido generado automáticamente por el software de entrega de correo.\n\n"
        "Un mensaje que usted envió no ha podido entregarse todavía a uno o más de sus\n"
        "destinatarios después de 24 horas en la cola de correo.\n\n"
        "Las direcciones afectadas son:\n\n"
        "  eva.moreno@example-uni.es\n"
        "    host mx.example-uni.es [192.0.2.25]: Connection timed out\n\n"
        "No tiene que hacer nada: el sistema seguirá intentándolo.\n",
        frm="Mail Delivery System <Mailer-Daemon@correo.example-uni.es>",
        subject="Aviso: mensaje 1uEf3k-000Q7a-2P retrasado 24 horas",
    )
    assert outcome(result) == (
        False,
        True,
        {"eva.moreno@example-uni.es": ("soft", "network_error")},
    )


def test_lotus_notes_return_receipt_is_a_delivery_report():
    """Notes' plain-text return receipt ("Your document: … was received by: …") is machine
    mail saying the message arrived: automated, not a bounce, not a person's reply."""
    result = parsed(
        "Your document:        Spring offers\n"
        "was received by:      Hans Gruber/Vienna/Example\n"
        "at:                   19.05.2025 08:44:00\n",
        frm="Hans Gruber <Hans.Gruber@example-industrie.at>",
        subject="Return Receipt: Spring offers",
    )
    assert outcome(result) == (False, False, {})
    assert result.automated and not result.auto_reply


def test_domino_delay_report_indented_heading():
    result = parsed(
        "  Transfer to the following recipients is delayed:\n\n  kim.berg@example-insure.com\n\n"
        "  The router will keep trying to deliver the message.\n",
        frm="Mail Router <Postmaster@example-insure.com>",
        subject="Delay Report: Spring offers",
    )
    assert (result.bounce, result.delay) == (False, True)
    assert [r.address for r in result.recipients] == ["kim.berg@example-insure.com"]
