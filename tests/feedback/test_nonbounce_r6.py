"""Round 6 of issue 13: machine mail in a bounce mailbox that is not a failed delivery.

Each test reads a message as `mailwright bounces parse` does (parse_message with our bounce
domain) and checks what an operator would see: a delay is not a bounce, a person forwarding
their own bounce suppresses nobody, a vacation(1) reply is an auto-reply.
"""

from __future__ import annotations

import time
from pathlib import Path

from mailwright.feedback.parsing import parse_message

CORPUS = Path(__file__).parent / "corpus"
DOMAINS = {"bounces.example.org"}


def _parse(name: str):
    return parse_message((CORPUS / name).read_bytes(), bounce_domains=DOMAINS)


def test_exchange_delivery_delayed_text_is_a_delay_not_a_bounce():
    # "Delivery is delayed to these recipients or groups" with "Failed to connect" and
    # "delivery failed to all alternate hosts" in its diagnostic: still being retried.
    parsed = _parse("nonbounce/v6_exchange_delivery_delayed_text_failed_words.eml")
    assert not parsed.bounce
    assert parsed.delay
    [r] = parsed.recipients
    assert (r.address, r.kind) == ("yusuf.demir@example-tekstil.com.tr", "soft")
    # 4.4.7 is Exchange's mark on every delay notice; the attempt line says what fails.
    assert r.reason == "network_error"


def test_gmail_message_not_delivered_yet_html_is_a_delay_with_its_recipient():
    parsed = _parse("nonbounce/v6_gmail_message_not_delivered_yet_text.eml")
    assert not parsed.bounce
    assert parsed.delay
    [r] = parsed.recipients
    assert (r.address, r.kind, r.reason) == (
        "rosa.alvarez@example-cafe.co",
        "soft",
        "network_error",
    )


def test_a_person_forwarding_a_bounce_of_her_own_mail_reports_no_failed_recipient():
    parsed = _parse("nonbounce/v6_human_reply_quoting_gmail_bounce.eml")
    assert not parsed.bounce
    assert parsed.recipients == []


OWN_FORWARD = """\
From: Grace Liu <grace.liu@example-bakery.com>
To: Example News <news@news.example.org>
Subject: Fwd: Delivery Status Notification (Failure)
Content-Type: text/plain; charset="UTF-8"

Can you fix this?

---------- Forwarded message ---------
From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>
Subject: Delivery Status Notification (Failure)
To: <{to}>


** Address not found **

Your message wasn't delivered to peter.ho@example-oldbakery.com because the
address couldn't be found, or is unable to receive mail.
"""


def test_a_forwarded_notice_that_was_sent_to_our_bounce_address_is_still_a_bounce():
    ours = parse_message(
        OWN_FORWARD.format(to="bounce+6d10-d9d8d7d6@bounces.example.org").encode(),
        bounce_domains=DOMAINS,
    )
    assert ours.bounce
    assert [r.address for r in ours.recipients] == ["peter.ho@example-oldbakery.com"]
    hers = parse_message(
        OWN_FORWARD.format(to="grace.liu@example-bakery.com").encode(), bounce_domains=DOMAINS
    )
    assert not hers.bounce
    assert hers.recipients == []


def test_unix_vacation1_reply_with_only_precedence_bulk_is_an_auto_reply():
    parsed = _parse("autoreply/v6_unix_vacation1_precedence_only.eml")
    assert parsed.auto_reply
    assert not parsed.bounce
    assert parsed.recipients == []


def test_new_rules_stay_fast_on_hostile_forward_and_attempt_lines():
    junk = (
        "From: a@example.com\nTo: b@example.net\nSubject: Fwd: Undelivered Mail\n\n"
        "---------- Forwarded message ---------\n"
        + "To:"
        + " " * 100_000
        + "x\n"
        + "Delivery is delayed to these recipients or groups:\n\nx@example.com\n"
        + ("1/1/2025 1:00:00 AM - " + " " * 50 + "\n") * 2000
    ).encode()
    start = time.perf_counter()
    parse_message(junk, bounce_domains=DOMAINS)
    assert time.perf_counter() - start < 0.5
