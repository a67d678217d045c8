"""Round 4 long tail: plain-text notices of Mercury/32, Axigen, Novell NetMail, older MDaemon
local failures and older IMail's "Unknown host:" (notice_formats_legacy.py) are read as
bounces, with the failed address from the format's place (or the returned original when the
notice names only the host) and the reason from its wording. A person writing one of these
sentences in a quoted reply is not a bounce."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailwright.feedback.parsing import parse_message

CORPUS = Path(__file__).parent / "corpus"
OURS = {"bounces.example.org"}


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (
            "longtail/v5_axigen_domain_not_found.eml",
            [("andrei.popescu@nu-exista.example.ro", "hard", "host_unknown")],
        ),
        (
            "longtail/v5_mercury32_retries_exhausted.eml",
            [("lukas.hruby@stavby.example.sk", "soft", "expired")],
        ),
        (
            "longtail/v5_novell_netmail_quota.eml",
            [("j.vandenberg@gemeente.example.nl", "soft", "mailbox_full")],
        ),
        (
            "mdaemon/v5_mdaemon_old_account_frozen.eml",
            [("ellen.vos@kantoor.example.nl", "hard", "mailbox_disabled")],
        ),
        (
            "imail/v5_imail_old_unknown_host.eml",
            [("arne.solberg@gammel-domene.example.no", "hard", "host_unknown")],
        ),
    ],
)
def test_long_tail_notice_is_read(path: str, expected: list[tuple[str, str, str]]) -> None:
    parsed = parse_message((CORPUS / path).read_bytes(), bounce_domains=OURS)
    assert parsed.bounce
    assert [(r.address, r.kind, r.reason) for r in parsed.recipients] == expected


def test_quoted_sentence_in_a_person_reply_is_not_a_bounce() -> None:
    raw = (
        b"From: Ana <ana@example.com>\r\nTo: news@news.example.org\r\n"
        b"Subject: Re: your mail\r\nMessage-ID: <r4@example.com>\r\n\r\n"
        b"I got this odd notice, is it yours?\r\n"
        b"> Your message could not be delivered to the following recipients:\r\n"
        b">    <bob@example.net>\r\n"
    )
    parsed = parse_message(raw, bounce_domains=OURS)
    assert not parsed.bounce
    assert parsed.recipients == []
