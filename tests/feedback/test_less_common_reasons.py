"""Round 3: the wordings receivers use for the less common reasons (has_moved,
not_accepting_mail, message_too_large in several languages, expired accounts, rate limits, …)
give the reason a user sees in `mailwright bounces parse`, and the refinements stay narrow.
The whole notices are in tests/feedback/corpus/reasons/ (v4_*)."""

from __future__ import annotations

import pytest

from mailwright.feedback.parsing.classify import classify, should_suppress
from mailwright.feedback.parsing.result import Recipient

READ_NOW = [
    # (DSN status or None, diagnostic, reason)
    (
        "5.7.1",
        "550 5.7.1 Marco Bianchi is no longer with Example Srl. Please contact info@x.example",
        "has_moved",
    ),
    (None, "an MX or SRV record indicated no SMTP service", "not_accepting_mail"),
    (
        "5.7.1",
        "554 5.7.1 <hello@parked.example>: this domain does not accept email",
        "not_accepting_mail",
    ),
    (
        "4.7.27",
        "421-4.7.27 Your email has been rate limited because SPF authentication didn't"
        " pass for this message.",
        "security_error",
    ),
    (
        "4.7.1",
        "450 4.7.1 Client host rejected: cannot find your reverse hostname, [192.0.2.10]",
        "security_error",
    ),
    ("4.7.5", "Cannot start TLS: handshake failure", "network_error"),
    (
        "5.7.0",
        "552-5.7.0 This message was blocked because its content presents a potential"
        " 552-5.7.0 security issue. 552 5.7.0 Our system detected an illegal attachment",
        "content_rejected",
    ),
    ("5.7.1", "554 5.7.1 Uw IP-adres 192.0.2.10 staat op een zwarte lijst", "blocked"),
    (
        None,
        "421 RP-001 (BN1NAM02FT011) Unfortunately, some messages from 192.0.2.10 weren't"
        " sent. We have limits for how many messages can be sent per hour and per day.",
        "rate_limited",
    ),
    (
        None,
        "421 Too many concurrent SMTP connections from this IP address; please try again later.",
        "rate_limited",
    ),
    (None, "550 Die Nachricht überschreitet die maximal zulässige Größe", "message_too_large"),
    (None, "552 Le message dépasse la taille maximale autorisée", "message_too_large"),
    (None, "552 El mensaje supera el tamaño máximo permitido", "message_too_large"),
    ("5.7.1", "550 5.7.1 Message rejected: URL in message body not allowed", "content_rejected"),
    (None, "451 disk full on remote host", "system_error"),
    (None, "450 Mailbox temporarily unavailable", "system_error"),
    (None, "550 account expired", "mailbox_disabled"),
    (None, "550 Konto abgelaufen", "mailbox_disabled"),
    (None, "550 Compte expiré", "mailbox_disabled"),
    (None, "550 Cuenta caducada", "mailbox_disabled"),
    (None, "550 Conta expirada", "mailbox_disabled"),
    (None, "550 Ящик заморожен", "mailbox_disabled"),
    (None, "550 Nie ma takiego użytkownika", "user_unknown"),
]


@pytest.mark.parametrize(("status", "diagnostic", "reason"), READ_NOW)
def test_less_common_reason_wordings(status, diagnostic, reason):
    assert classify(status, diagnostic)[1] == reason


def test_departed_employee_and_null_mx_suppress_but_tls_failure_does_not():
    kind, reason, status = classify("5.7.1", READ_NOW[0][1])
    assert should_suppress(Recipient("a@x.example", kind, reason, status, READ_NOW[0][1]))
    kind, reason, status = classify("4.7.5", "Cannot start TLS: handshake failure")
    assert not should_suppress(Recipient("a@x.example", kind, reason, status, ""))


# What the refinements must leave alone (pins, so the new rules stay narrow).
KEPT = [
    ("5.7.1", "554 5.7.1 This server does not accept mail from your network", "policy"),
    ("5.7.27", "550 5.7.27 Sender address has null MX", "policy"),
    ("5.7.10", "530 5.7.10 Must issue a STARTTLS command first", "security_error"),
    (None, "552 5.2.2 Mailbox size limit exceeded", "mailbox_full"),
    ("5.7.1", "550 5.7.1 Message rejected: URL listed in dbl.spamhaus.org", "blocked"),
    (None, "550 5.1.1 user unknown; size 552 bytes", "user_unknown"),
]


@pytest.mark.parametrize(("status", "diagnostic", "reason"), KEPT)
def test_refinements_stay_narrow(status, diagnostic, reason):
    assert classify(status, diagnostic)[1] == reason


def test_a_host_that_does_not_accept_mail_from_us_is_not_a_null_mx():
    """Without a status code, "does not accept mail from you" refuses us: it must not read
    as the domain accepting no mail at all (which would suppress the address)."""
    from mailwright.feedback.parsing.classify import classify

    for text in (
        "550 This server does not accept mail from your IP address",
        "550 mx.example.net is not accepting mail from this sender",
        "550 doesn't accept email from unknown senders",
    ):
        _kind, reason, _status = classify(None, text)
        assert reason != "not_accepting_mail", text
    assert classify(None, "550 This domain does not accept mail")[1] == "not_accepting_mail"
