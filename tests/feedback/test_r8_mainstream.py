"""Round 8: the mainstream MTAs and providers in their default formats (the corpus fixtures
v8_* in postfix/, exim/, sendmail/, qmail/, office365/, exchange/, gmail/, yahoo/, aol/,
outlook/, icloud/, ses/ hold the formats; these pin the general rules they revealed)."""

from __future__ import annotations

from mailwright.feedback.parsing import parse_message

QMAIL = (
    "Return-Path: <>\nFrom: MAILER-DAEMON@mail.isp.example.net\n"
    "To: bounce+8m01-01abcdef@bounces.example.org\nSubject: failure notice\n\n"
    "Hi. This is the qmail-send program at mail.isp.example.net.\n"
    "I'm afraid I wasn't able to deliver your message to the following addresses.\n"
    "This is a permanent error; I've given up. Sorry it didn't work out.\n\n"
    "<{address}>:\n{reply}\n\n"
    "--- Below this line is a copy of the message.\n\n"
    "From: news@news.example.org\nTo: {address}\nSubject: Hello\n"
)


def failures(raw: str) -> dict[str, tuple[str, str]]:
    return {r.address: (r.kind, r.reason) for r in parse_message(raw.encode()).recipients}


def test_a_retired_address_that_no_longer_accepts_mail_is_a_disabled_mailbox():
    # dot-qmail(5): |bouncesaying 'This address no longer accepts mail.' — no status code.
    raw = QMAIL.format(address="old@isp.example.net", reply="This address no longer accepts mail.")
    assert failures(raw) == {"old@isp.example.net": ("hard", "mailbox_disabled")}


def test_the_same_idiom_with_e_mail_and_a_mailbox():
    raw = QMAIL.format(
        address="gone@isp.example.net", reply="Sorry, this mailbox no longer accepts e-mail."
    )
    assert failures(raw) == {"gone@isp.example.net": ("hard", "mailbox_disabled")}
