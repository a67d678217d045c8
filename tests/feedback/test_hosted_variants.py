"""The unseen-variant fixtures of the Microsoft, webmail and commercial-server families
(tests/feedback/corpus/<family>/v2_*.eml, written from each system's documented wording before
the parser saw them): each one is read exactly as its .json says — every failed recipient, and
no other address — by `mailwright bounces parse` (tools/bounce_accuracy.py runs the same code)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailwright.feedback.parsing import parse_message
from mailwright.feedback.parsing.classify import classify
from tests.feedback.corpus_files import accuracy_tool

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "feedback" / "corpus"
FAMILIES = (
    "exchange office365 outlook gmail yahoo aol icloud domino groupwise mdaemon mailenable "
    "imail kerio"
).split()


tool = accuracy_tool()
CASES = [c for c in tool.corpus_cases(CORPUS)[0] if c.family in FAMILIES and "/v2_" in str(c.path)]


def test_there_are_variants_for_every_family():
    assert {c.family for c in CASES} == set(FAMILIES)
    assert len(CASES) >= 30


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.family}/{Path(c.path).stem}")
def test_variant_is_read_as_its_expectation(case):
    _, _, misses = tool.measure([case])
    assert not misses, misses


def test_localised_exchange_ndr_names_its_recipient():
    raw = (CORPUS / "exchange" / "v2_exchange2010_ja_iso2022jp.eml").read_bytes()
    got = parse_message(raw, bounce_domains={"bounces.example.org"})
    assert [(r.address, r.kind, r.reason) for r in got.recipients] == [
        ("ken.nakamura@example.co.jp", "hard", "user_unknown")
    ]


def test_mdaemon_delay_warning_is_a_delay_not_a_bounce():
    raw = (CORPUS / "mdaemon" / "v2_mdaemon_delay_warning.eml").read_bytes()
    got = parse_message(raw, bounce_domains={"bounces.example.org"})
    assert got.delay and not got.bounce
    assert [r.address for r in got.recipients] == ["hugo.martin@example.fr"]


def test_check_and_try_again_is_not_temporary():
    # Gmail's "Address not found": "Check for typos … and try again." is advice, not a retry.
    assert classify(None, "The domain couldn't be found. Check for typos and try again.")[0] == (
        "hard"
    )
    assert classify(None, "Mailbox busy, please wait and try again later.")[0] == "soft"
    assert classify(None, "Please try again.")[0] == "soft"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("550 5.7.1 RESOLVER.RST.AuthRequired; authentication required", "policy"),
        ("554- (RLY:B1) AOL cannot accept further e-mail transactions from this server", "blocked"),
        ("The domain name (nosuch.example) does not appear to be registered.", "host_unknown"),
    ],
)
def test_hosted_wordings(text, reason):
    assert classify(None, text)[1] == reason
