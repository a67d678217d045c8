"""What the big receivers answer, relayed in a bounce: the reason their published wording
means (round 2 of issue 13, "what the receiving servers say"). The whole messages are in
tests/feedback/corpus/*/v3_*; these pin the wording rules on the diagnostic alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailwright.feedback.parsing import parse_message
from mailwright.feedback.parsing.classify import classify

CASES = [
    # (status from the DSN or None, diagnostic, expected reason)
    (
        None,
        "554 resimta-po-33v.sys.comcast.net 203.0.113.5 found on one or more RBLs "
        "(cbl.abuseat.org). Refer to http://postmaster.comcast.net/smtp-error-codes.php#RL000001",
        "blocked",
    ),
    (
        "5.7.1",
        "550-5.7.1 This message is likely suspicious due to the very low reputation of the "
        "sending IP address. To best protect our users from spam, the message has been blocked.",
        "blocked",
    ),
    (
        None,
        "550 mwinf5c40 ME Adresse IP source bloquee pour incident de spam. Client host blocked "
        "for spamming issues. OFR006_102",
        "blocked",
    ),
    (
        "5.7.1",
        "554 5.7.1 - ERROR: Mail refused - <203.0.113.5> - See https://www.spectrum.net/support/"
        "internet/understanding-email-error-codes AUP#In-1310",
        "blocked",
    ),
    (
        None,
        "553 5.7.2 [TSS09] All messages from 203.0.113.5 will be permanently deferred; "
        "Retrying will NOT succeed.",
        "blocked",
    ),
    (
        None,
        "554 IP=203.0.113.5 - A problem occurred. (Ask your postmaster for help or to contact "
        "tosa@rx.t-online.de to clarify.) (BL)",
        "blocked",
    ),
    (
        "5.7.515",
        "550 5.7.515 Access denied, sending domain news.example.org doesn't meet the required "
        "authentication level.",
        "security_error",
    ),
    (
        None,
        "554 Email rejected due to security policies - "
        "https://community.mimecast.com/docs/DOC-1369#554",
        "policy",
    ),
    (None, "554 delivery error: dd Not a valid recipient - atlas116.aol.mail.ne1", "user_unknown"),
    (
        None,
        "550-Verification failed for <bounce+x@bounces.example.org> 550-Response: 550 5.1.1 "
        "<bounce+x@bounces.example.org>: Recipient address rejected: User unknown "
        "550 Sender verify failed",
        "policy",
    ),
]


@pytest.mark.parametrize(("status", "diagnostic", "reason"), CASES)
def test_receiver_wording_gives_the_reason(status, diagnostic, reason):
    kind, got, _ = classify(status, diagnostic)
    assert (kind, got) == ("hard", reason)


CORPUS = Path(__file__).parent / "corpus"


@pytest.mark.parametrize(
    ("fixture", "address", "reason"),
    [
        # cPanel's paragraph after the address block ("they may be blacklisted") is the
        # notice's boilerplate, not the recipient's reason.
        ("exim/v3_cpanel_local_no_such_user.eml", "sales@florist.example", "user_unknown"),
        # The callout's "5.1.1 User unknown" is about our sender address.
        ("exim/v3_cpanel_sender_verify_failed.eml", "bookings@hotel-alpine.example", "policy"),
    ],
)
def test_relayed_notice_reads_the_recipients_own_reason(fixture, address, reason):
    parsed = parse_message((CORPUS / fixture).read_bytes(), bounce_domains={"bounces.example.org"})
    assert parsed.bounce
    assert [(r.address, r.reason) for r in parsed.recipients] == [(address, reason)]
