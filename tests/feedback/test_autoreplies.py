"""Auto-replies, challenge-response requests, delivery reports, delays and read receipts are
never bounces (tests/feedback/corpus/autoreply/ and nonbounce/, written from RFC 3834, RFC
3464, RFC 8098 and the out-of-office conventions of Exchange, Outlook, Gmail and the product
languages)."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from mailwright.feedback.parsing import parse_message

CORPUS = Path(__file__).parent / "corpus"
AUTO = sorted((CORPUS / "autoreply").glob("*.eml"))
NON_BOUNCES = sorted((CORPUS / "nonbounce").glob("*.eml"))


def expected(path: Path) -> dict:
    return json.loads(path.with_suffix(".json").read_text())


def what(p) -> str:
    if p.complaint:
        return "complaint"
    if p.bounce:
        return "bounce"
    if p.delay:
        return "delay"
    if p.auto_reply:
        return "auto_reply"
    return "delivered" if p.automated else "other"


def test_fixtures_cover_the_conventions():
    assert len(AUTO) + len(NON_BOUNCES) >= 15
    names = {p.stem for p in AUTO}
    for lang in ("pl_", "tr_", "es_", "vi_", "bg_", "de_", "fr_"):
        assert any(n.startswith(lang) for n in names), lang
    assert {"exchange_automatic_reply", "gmail_vacation", "challenge_response"} <= names


@pytest.mark.parametrize("path", AUTO, ids=lambda p: p.stem)
def test_auto_reply_fixture(path):
    p = parse_message(path.read_bytes(), bounce_domains={"bounces.example.org"})
    assert what(p) == expected(path)["is"] == "auto_reply"
    assert p.recipients == [] and p.automated
    assert p.verp_token, "the reply still points to the delivery it answers"
    assert next(t for t in p.trace if t["field"] == "auto_reply")["rule"]


@pytest.mark.parametrize("path", NON_BOUNCES, ids=lambda p: p.stem)
def test_non_bounce_fixture(path):
    want = expected(path)
    p = parse_message(path.read_bytes(), bounce_domains={"bounces.example.org"})
    assert what(p) == want["is"]
    assert not p.bounce and not p.auto_reply
    assert [r.address for r in p.recipients] == [r["address"] for r in want["recipients"]]
    assert all(r.kind == "soft" for r in p.recipients)


def test_out_of_office_body_needs_a_header_signal():
    """The same Polish out-of-office text from a person (no Precedence: bulk, no null
    sender) is a reply, not an auto-reply."""
    raw = (CORPUS / "autoreply" / "pl_poza_biurem_body.eml").read_bytes()
    assert parse_message(raw).auto_reply
    person = parse_message(raw.replace(b"Precedence: bulk\n", b""))
    assert not person.auto_reply and not person.automated and not person.bounce
    null_sender = parse_message(b"Return-Path: <>\n" + raw.replace(b"Precedence: bulk\n", b""))
    assert null_sender.auto_reply


def test_auto_reply_that_says_not_delivered_is_still_not_a_bounce():
    raw = (CORPUS / "autoreply" / "challenge_response.eml").read_bytes()
    raw = raw.replace(b"has been held", b"was not delivered yet and has been held")
    p = parse_message(raw)
    assert p.auto_reply and not p.bounce and p.recipients == []


def test_bounces_parse_reports_auto_replies_as_such():
    out = StringIO()
    call_command("bounces", "parse", *map(str, AUTO + NON_BOUNCES), stdout=out)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    for line, path in zip(lines, AUTO + NON_BOUNCES, strict=True):
        assert line["bounce"] is False, path.name
        assert line["auto_reply"] is (expected(path)["is"] == "auto_reply"), path.name
