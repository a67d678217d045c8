"""Round "unseen variants" (issue 13), relays, complaints and non-bounces: the format rules
the v2_ fixtures of tests/feedback/corpus/{ses,postmark,arf,nonbounce,autoreply}/ revealed,
checked through the command a user runs (`mailwright bounces/complaints parse`)."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management import call_command

from mailwright.feedback.parsing import parse_message

CORPUS = Path(__file__).parent / "corpus"
DOMAIN = "bounces.example.org"


def _cli(command: str, path: Path, capsys) -> dict:
    call_command(command, "parse", str(path), "--bounce-domain", DOMAIN)
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def test_dmarc_forensic_report_is_not_a_complaint(capsys):
    """An RFC 6591 auth-failure report names a recipient but nobody complained."""
    out = _cli("complaints", CORPUS / "arf/v2_auth_failure_report.eml", capsys)
    assert out["complaint"] is False and out["recipient"] is None
    assert out["feedback_type"] == "auth-failure"
    p = parse_message((CORPUS / "arf/v2_auth_failure_report.eml").read_bytes())
    assert p.automated and not p.bounce and not p.auto_reply


def test_exchange_delay_says_what_keeps_failing(capsys):
    """Office 365 marks delays 4.4.7; the cause is in the admin section's remote answer."""
    out = _cli("bounces", CORPUS / "nonbounce/v2_o365_delay_dsn.eml", capsys)
    assert out["bounce"] is False and out["delay"] is True
    [r] = out["recipients"]
    assert (r["address"], r["kind"], r["reason"]) == (
        "emilia.nowak@example-pl.com",
        "soft",
        "network_error",
    )
    assert "441 4.4.1" in r["diagnostic"]


def test_windows_smtp_plain_text_notice(capsys):
    out = _cli("bounces", CORPUS / "postmark/v2_text_host_unknown_no_dsn.eml", capsys)
    assert out["bounce"] is True
    assert [(r["address"], r["kind"], r["reason"]) for r in out["recipients"]] == [
        ("jonas.berg@exmaple-typo.no", "hard", "host_unknown")
    ]


def test_windows_smtp_delay_notice_is_a_delay():
    raw = (
        b"From: postmaster@mail.example-corp.com\n"
        b"To: bounce+c001-0a0b0c@bounces.example.org\n"
        b"Subject: Delivery Status Notification (Delay)\n\n"
        b"This is an automatically generated Delivery Status Notification.\n\n"
        b"THIS IS A WARNING MESSAGE ONLY.\n\nYOU DO NOT NEED TO RESEND YOUR MESSAGE.\n\n"
        b"Delivery to the following recipients has been delayed.\n\n"
        b"       kari.nordmann@example.no\n"
    )
    p = parse_message(raw, bounce_domains={DOMAIN})
    assert p.delay and not p.bounce
    assert [(r.address, r.kind) for r in p.recipients] == [("kari.nordmann@example.no", "soft")]


def test_localised_and_raw_utf8_oof_subjects(capsys):
    for name in (
        "v2_exchange_nl_automatisch_antwoord",
        "v2_exchange_ru_avtootvet",
        "v2_exchange_ja_jidou_outou",
        "v2_exchange_zh_zidong_huifu",
        "v2_exchange_ko_raw_utf8_subject",
        "v2_challenge_response_verify",
    ):
        out = _cli("bounces", CORPUS / f"autoreply/{name}.eml", capsys)
        assert out["auto_reply"] is True and out["bounce"] is False, name
        assert out["recipients"] == [], name
