"""Security gateways and hosted providers (round 2 of issue 13's unseen variants): each
`v3_*` fixture of these families reads exactly as its `.json` says — the failed address,
hard/soft and the reason a user sees in the bounce log — through the same parse the
`mailwright bounces parse` command uses."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mailwright.feedback.parsing import parse_message

CORPUS = Path(__file__).resolve().parent / "corpus"
FAMILIES = (
    "mimecast",
    "proofpoint",
    "barracuda",
    "ironport",
    "messagelabs",
    "trendmicro",
    "sophos",
    "fortimail",
    "forcepoint",
    "spamexperts",
    "hornetsecurity",
    "gmail",
    "office365",
    "zoho",
    "fastmail",
    "german",
    "french",
    "italian",
    "godaddy",
    "ionos",
    "yandex",
    "domino",
)
FIXTURES = sorted(p for f in FAMILIES for p in (CORPUS / f).glob("v3_*.eml"))


def test_there_are_gateway_fixtures():
    assert len(FIXTURES) >= 30


@pytest.mark.parametrize("eml", FIXTURES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_gateway_fixture_reads_as_expected(eml: Path):
    expected = json.loads(eml.with_suffix(".json").read_text("utf-8"))
    parsed = parse_message(eml.read_bytes(), bounce_domains={"bounces.example.org"})
    assert parsed.bounce is (expected["is"] == "bounce")
    assert parsed.delay is (expected["is"] == "delay")
    got = [((r.address or "").lower() or None, r.kind, r.reason) for r in parsed.recipients]
    want = [
        ((r["address"] or "").lower() or None, r["kind"], r["reason"])
        for r in expected["recipients"]
    ]
    assert got == want
