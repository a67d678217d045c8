"""Plain-text delivery failure notices (no message/delivery-status part), by MTA family and
language, with and without their headers; and human mail about delivery that is no bounce."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mailwright.feedback.parsing import Parsed, parse_message

CORPUS = Path(__file__).parent / "corpus"
OURS = {"bounces.example.org"}
# Our fixtures are the corpus files named text_*.eml (plain-text notices and their negatives).
FIXTURES = sorted(CORPUS.glob("*/text_*.eml"))


def what(p: Parsed) -> str:
    if p.complaint:
        return "complaint"
    if p.bounce:
        return "bounce"
    if p.delay:
        return "delay"
    if p.auto_reply:
        return "auto_reply"
    return "other"


def test_the_corpus_covers_the_families():
    families = {path.parent.name for path in FIXTURES}
    assert len(FIXTURES) >= 40
    assert families >= {
        "qmail", "exim", "postfix", "sendmail", "courier", "exchange", "office365", "domino",
        "groupwise", "mdaemon", "mailenable", "imail", "kerio", "zimbra", "yahoo", "aol",
        "icloud", "gmail", "japanese", "chinese", "russian", "korean", "german", "french",
        "spanish", "polish", "turkish", "human",
    }  # fmt: skip
    stripped = [p for p in FIXTURES if not p.read_bytes().startswith(b"Return-Path:")]
    assert len({p.parent.name for p in stripped}) >= 5


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_plain_text_notice(path):
    want = json.loads(path.with_suffix(".json").read_text())
    p = parse_message(path.read_bytes(), bounce_domains=OURS)
    assert what(p) == want["is"]
    got = [{"address": r.address, "kind": r.kind, "reason": r.reason} for r in p.recipients]
    assert got == want["recipients"]
    if want["is"] == "bounce":
        assert p.automated
        assert all(r.diagnostic for r in p.recipients), "the operator sees why"
        # The VERP token comes from the notice's To, or from the quoted original.
        assert p.verp_token and p.verp_token.startswith("3p")
