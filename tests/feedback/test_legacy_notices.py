"""Plain-text notices of older and niche MTAs (notice_formats_legacy.py): the failed address
comes from the format's own place, each recipient keeps its own reason, and the other
addresses a notice mentions (postmaster, the sender, a Cc) are never reported."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailwright.feedback.parsing import parse_message

CORPUS = Path(__file__).parent / "corpus"
OURS = {"bounces.example.org"}


def _found(path: str) -> list[tuple[str | None, str, str]]:
    parsed = parse_message((CORPUS / path).read_bytes(), bounce_domains=OURS)
    assert parsed.bounce
    return [(r.address, r.kind, r.reason) for r in parsed.recipients]


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (
            "james/v4_james_remotedelivery_user_unknown.eml",
            [("lukas.brandt@example.de", "hard", "user_unknown")],
        ),
        (
            "pmdf/v4_pmdf_illegal_host_text.eml",
            [("r.hughes@physics.example.edu", "hard", "host_unknown")],
        ),
        (
            "notes_legacy/v4_notes_r5_name_address_book.eml",
            [("franz.huber@example.at", "hard", "user_unknown")],
        ),
        (
            "openwave/v4_intermail_rejected_by_remote_two_rcpts.eml",
            [
                ("kylie.nguyen@example.com.au", "hard", "user_unknown"),
                ("ben.carter@example.com.au", "hard", "mailbox_disabled"),
            ],
        ),
        (
            "openwave/v4_intermail_queue_period_expired.eml",
            [("luc.gagnon@example-cottage.ca", "soft", "expired")],
        ),
        (
            "interscan/v4_interscan_mss_user_unknown.eml",
            [("wei.chen@example.com.tw", "hard", "user_unknown")],
        ),
        (
            "mailmarshal/v4_mailmarshal_affected_recipients.eml",
            [("jun.tan@example.com.sg", "hard", "user_unknown")],
        ),
        (
            "japanese_appliances/v4_mfilter_iso2022jp_mailbox_full.eml",
            [("aoi.kobayashi@example.co.jp", "soft", "mailbox_full")],
        ),
        (
            "hmailserver/v4_hmailserver4_no_mail_servers.eml",
            [("joao.silva@exmaple-typo.pt", "hard", "host_unknown")],
        ),
    ],
)
def test_legacy_notice_names_the_failed_recipient(path, expected):
    assert _found(path) == expected


def test_smail_recipients_keep_their_own_reason():
    """smail lists its failed addresses on consecutive lines: the second line (another
    recipient's refusal with a 5.2.1 code) is not part of the first recipient's reason."""
    assert _found("smail/v4_smail_failed_addresses.eml") == [
        ("thabo.nkosi@example.org.za", "hard", "user_unknown"),
        ("sipho.dlamini@example.org.za", "hard", "mailbox_disabled"),
    ]


def test_notes_router_no_route_is_an_unknown_host_not_the_other_blocks_loop():
    assert _found("notes_legacy/v4_notes_r6_router_no_route_two_rcpts.eml") == [
        ("urs.keller@example.ch", "soft", "mail_loop"),
        ("nadia.rossi@example.ch", "hard", "host_unknown"),
    ]
