"""Round 6 of complaint formats: spam reports forwarded by abuse desks and SpamCop (no ARF),
recipients only in the receiving MTA's Envelope-To or Received "for" clause, hashed local parts
(RFC 6590), and Gmail's Feedback-ID aggregate that names nobody."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from mailwright.feedback.parsing import parse_message

CORPUS = Path(__file__).parent / "corpus"
OURS = {"bounces.example.org"}


def parsed(relpath: str):
    return parse_message((CORPUS / relpath).read_bytes(), bounce_domains=OURS)


@pytest.mark.parametrize(
    "relpath",
    sorted(
        str(p.relative_to(CORPUS))
        for folder in ("cox", "rackspace", "seznam", "fastmail", "zoho", "gmail", "arf")
        for p in (CORPUS / folder).glob("v6_*.eml")
        if json.loads(p.with_suffix(".json").read_text())["is"] == "complaint"
    ),
)
def test_round6_complaint_names_who_complained_or_nobody(relpath):
    want = json.loads((CORPUS / relpath).with_suffix(".json").read_text())
    p = parsed(relpath)
    assert p.complaint and not p.bounce
    assert p.complaint_recipient == want["complaint_recipient"]
    assert p.feedback_type == want["feedback_type"]


def test_abuse_desk_forward_is_a_complaint_about_the_attached_recipient():
    p = parsed("arf/v6_abuse_desk_forward_attached.eml")
    assert p.complaint
    # not the abuse desk, nor our From/Reply-To, nor the addresses in the original's body
    assert p.complaint_recipient == "j.brenner@hoster-kunde.example"
    assert p.verp_token == "61a0-77e1c9d04b2a"


def test_person_forwarding_our_newsletter_is_not_a_complaint():
    raw = (CORPUS / "arf/v6_abuse_desk_forward_attached.eml").read_bytes()
    raw = raw.replace(
        b"Hoster Abuse Department <abuse@hoster.example>", b"Jonas <jonas@home.example>"
    )
    raw = raw.replace(
        b"[Ticket#2025060912000417] Spam complaint regarding 198.51.100.61",
        b"Fwd: Your weekly picks",
    )
    # the same shape with a person's words ("it went to my spam folder") is a reply
    raw = (
        raw.split(b"Dear Sir or Madam,", 1)[0]
        + b"This went to my spam folder, why?\n\n"
        + (
            b"------------=_1749458465-2381-0\n"
            + raw.split(b"------------=_1749458465-2381-0\n", 2)[2]
        )
    )
    p = parse_message(raw, bounce_domains=OURS)
    assert not p.complaint and not p.bounce
    assert parsed("arf/v6_abuse_desk_forward_attached.eml").complaint


def test_spamcop_munged_recipient_is_no_one():
    p = parsed("arf/v6_spamcop_munged.eml")
    assert p.complaint and p.complaint_recipient is None
    assert p.verp_token == "65e4-d41c7a9b2f08"


def test_hashed_local_part_is_redacted_not_a_recipient():
    for relpath in ("arf/v6_hashed_local_part.eml", "microsoft/v6_jmrp_fully_redacted_hash.eml"):
        p = parsed(relpath)
        assert p.complaint and p.complaint_recipient is None, relpath


def test_received_for_beats_a_to_in_the_senders_own_domain():
    p = parsed("arf/v6_appliance_received_for_only.eml")
    assert p.complaint_recipient == "t.nakamura@corp-office.example"  # not list@news.example.org


def test_envelope_to_when_the_to_is_redacted():
    p = parsed("arf/v6_rfc822_headers_envelope_to_redacted_to.eml")
    assert p.complaint_recipient == "ramona.ilie@regional-isp.example"


def test_feedback_id_aggregate_is_a_complaint_without_recipient():
    p = parsed("gmail/v6_postmaster_feedback_id_aggregate.eml")
    assert p.complaint and p.complaint_recipient is None
    assert p.original_message_id is None


@pytest.mark.parametrize(
    "junk",
    [
        b"From: abuse@x.example\nSubject: spam complaint\n\n"
        + b"reported " * 25_000
        + b"\n"
        + b"> From: a@b\n" * 10_000,
        b"From: abuse@x.example\nSubject: spam\n\nabuse report\n"
        + b"Received: for " * 15_000
        + b"\nFrom: a@b\nTo: c@d\n",
        b"Subject: Feedback Loop\n\n" + b"Feedback-ID spam rate " * 9_000,
    ],
)
def test_new_patterns_stay_fast_on_junk(junk):
    start = time.perf_counter()
    parse_message(junk, bounce_domains=OURS)
    assert time.perf_counter() - start < 0.5


def test_a_bounce_from_postmaster_speaking_of_spam_stays_a_bounce():
    raw = b"""From: postmaster@mx.receiver.example
To: bounce+61a0-77e1c9d04b2a@bounces.example.org
Subject: Undeliverable: Your weekly picks
Content-Type: text/plain

Delivery has failed to these recipients:

ana.souza@receiver.example
Your message was rejected because it was reported as spam by our filter.
550 5.7.1 Message rejected as spam

> From: Example News <news@news.example.org>
> To: ana.souza@receiver.example
> Subject: Your weekly picks
"""
    p = parse_message(raw, bounce_domains=OURS)
    assert not p.complaint
    assert p.bounce and [r.address for r in p.recipients] == ["ana.souza@receiver.example"]
