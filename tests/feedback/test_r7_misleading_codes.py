"""Round 7: a receiver's status code says one thing and its words another; the words decide
the reason, and with it whether the address is suppressed. The whole notices are the `v7_*`
fixtures of tests/feedback/corpus/{reasons,postfix,exim,sendmail,qmail,courier,rfc3464}/."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailwright.feedback.parsing import parse_message
from mailwright.feedback.parsing.classify import classify, should_suppress
from mailwright.feedback.parsing.result import Recipient

CORPUS = Path(__file__).parent / "corpus"

WORDS_DECIDE = [
    # (DSN status, diagnostic, kind, reason, suppressed)
    (
        "5.2.2",
        "552 5.2.2 <j@x.example>: Recipient address rejected: this account has been disabled",
        "hard",
        "mailbox_disabled",
        True,
    ),
    (
        None,
        "552 we don't accept email with executable content (#5.3.4)",
        "hard",
        "content_rejected",
        False,
    ),
    (
        "5.3.5",
        "553 5.3.5 mail.x.example. config error: mail loops back to me (MX problem?)",
        "hard",
        "mail_loop",
        False,
    ),
    (
        "5.4.7",
        "452 4.2.2 The email account that you tried to reach is over quota",
        "soft",
        "mailbox_full",
        False,
    ),
    (
        "5.7.1",
        "550 5.7.1 <r@x.example>: Relaying denied - no such user here",
        "hard",
        "user_unknown",
        True,
    ),
    (
        "5.7.1",
        "550 5.7.1 Message rejected: message body contains a URL on a URI block list"
        " (multi.uribl.com: shop.example.com)",
        "hard",
        "content_rejected",
        False,
    ),
    (
        "5.7.1",
        "550 5.7.1 Сообщение отклонено: вложения типа .exe и .scr запрещены политикой",
        "hard",
        "content_rejected",
        False,
    ),
]


@pytest.mark.parametrize(("status", "diagnostic", "kind", "reason", "suppressed"), WORDS_DECIDE)
def test_the_words_decide_where_the_code_misleads(status, diagnostic, kind, reason, suppressed):
    got_kind, got_reason, got_status = classify(status, diagnostic)
    assert (got_kind, got_reason) == (kind, reason)
    r = Recipient("a@x.example", got_kind, got_reason, got_status, diagnostic)
    assert should_suppress(r) is suppressed


KEPT = [
    ("5.2.2", "552 5.2.2 Mailbox full: user is over quota", "mailbox_full"),
    ("5.7.1", "550 5.7.1 Sender address rejected: User unknown in local recipient table", "policy"),
    ("5.7.1", "554 5.7.1 Relay access denied", "policy"),
    ("5.4.7", "delivery time expired, last error: Connection timed out", "expired"),
    ("5.3.4", "552 5.3.4 Message size exceeds fixed maximum message size", "message_too_large"),
    ("5.3.5", "554 5.3.5 Local configuration error", "system_error"),
]


@pytest.mark.parametrize(("status", "diagnostic", "reason"), KEPT)
def test_the_refinements_stay_narrow(status, diagnostic, reason):
    assert classify(status, diagnostic)[1] == reason


def test_expiry_after_full_mailbox_is_not_expiry_after_network_failure():
    raw = CORPUS / "rfc3464" / "v7_dsn_5_4_7_after_full_mailbox_and_after_timeout.eml"
    parsed = parse_message(raw.read_bytes())
    got = {r.address: (r.kind, r.reason) for r in parsed.recipients}
    assert got == {
        "rosa.jimenez@clinica-sol.example.es": ("soft", "mailbox_full"),
        "almacen@distribuciones-norte.example.es": ("soft", "expired"),
    }
