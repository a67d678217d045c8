"""Every feedback loop's complaint format (tests/feedback/corpus/<family>/, written from RFC
5965/6590/6650 and each provider's documentation): the report is a complaint, never a bounce,
and names the complaining recipient — or, when the provider redacted it, carries what ties it
to our delivery (the VERP token, our Message-ID)."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from mailwright import tokens
from mailwright.feedback.parsing import parse_message
from mailwright.feedback.parsing.complaints import is_redacted

CORPUS = Path(__file__).parent / "corpus"
FAMILIES = ("arf", "microsoft", "yahoo", "aol", "comcast", "mailru", "yandex", "ses")
OURS = {"bounces.example.org"}
CASES = sorted(
    p
    for family in FAMILIES
    for p in (CORPUS / family).glob("*.eml")
    # the same folders hold these providers' bounces (test_dsn_formats.py)
    if json.loads(p.with_suffix(".json").read_text())["is"] == "complaint"
)


def expected(path: Path) -> dict:
    return json.loads(path.with_suffix(".json").read_text())


def test_every_feedback_loop_has_fixtures():
    assert len(CASES) >= 20
    for family in FAMILIES:
        assert list((CORPUS / family).glob("*.eml")), family
    for path in CASES:
        assert expected(path)["is"] == "complaint", path.name


@pytest.mark.parametrize("path", CASES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_complaint_fixture(path):
    want = expected(path)
    p = parse_message(path.read_bytes(), bounce_domains=OURS)
    assert p.complaint and p.automated
    assert not (p.bounce or p.delay or p.auto_reply)
    assert p.recipients == []
    assert p.feedback_type == want["feedback_type"]
    assert p.complaint_recipient == want["complaint_recipient"]
    if "verp_token" in want:
        assert p.verp_token == want["verp_token"]
    if "original_message_id" in want:
        assert p.original_message_id == want["original_message_id"]
    rule = next(t for t in p.trace if t["field"] == "complaint_recipient")
    assert rule["value"] == p.complaint_recipient and rule["rule"]


def test_complaint_recipient_found_in_nine_of_ten():
    # Of the reports that name the recipient somewhere (a fully redacted report, or one with
    # neither a recipient field nor the original, has none to find).
    named = [path for path in CASES if expected(path)["complaint_recipient"]]
    found = sum(
        1
        for path in named
        if parse_message(path.read_bytes(), bounce_domains=OURS).complaint_recipient
        == expected(path)["complaint_recipient"]
    )
    assert found / len(named) >= 0.9


def test_every_complaint_can_be_tied_to_its_delivery():
    """Recipient or not, each report carries our VERP token or our Message-ID."""
    for path in CASES:
        p = parse_message(path.read_bytes(), bounce_domains=OURS)
        assert p.verp_token or p.original_message_id, path.name


@pytest.mark.parametrize(
    "address, redacted",
    [
        ("xxxxxxxx@privacy.example", True),
        ("redacted@aol.com", True),
        ("[redacted]@isp.example", True),
        ("@isp.example", True),
        ("****@isp.example", True),
        ("xavier@example.com", False),
        ("x@example.com", False),
        ("ola.nordmann@isp.example", False),
    ],
)
def test_redacted_addresses(address, redacted):
    assert is_redacted(address) is redacted


def test_redacted_recipient_falls_back_to_the_delivering_mta_headers():
    p = parse_message((CORPUS / "arf" / "redacted_rcpt_to_delivered_to.eml").read_bytes())
    assert p.complaint_recipient == "lena.fischer@isp2.example"
    rule = next(t for t in p.trace if t["field"] == "complaint_recipient")["rule"]
    assert rule.startswith("original X-Original-To") and "redacted" in rule


def test_our_own_address_is_never_the_complainer():
    raw = (CORPUS / "comcast" / "comcast_fbl.eml").read_bytes()
    raw = raw.replace(b"john.smith@comcast.net", b"fbl@bounces.example.org")
    assert parse_message(raw, bounce_domains=OURS).complaint_recipient is None


def test_complaints_parse_ties_a_redacted_report_to_its_delivery(tmp_path):
    """The JSON line of a report whose recipient is redacted still says which delivery (a
    verified VERP token) and which message (our Message-ID) it is about."""
    raw = (CORPUS / "aol" / "aol_scomp_redacted.eml").read_bytes()
    genuine = tmp_path / "aol.eml"
    genuine.write_bytes(raw.replace(b"3c14-1e1e1e1e1e1e", tokens.verp_token(314).encode()))
    out = StringIO()
    call_command(
        "complaints", "parse", str(genuine), "--bounce-domain", "bounces.example.org", stdout=out
    )
    assert json.loads(out.getvalue()) == {
        "file": str(genuine),
        "complaint": True,
        "recipient": None,
        "original_message_id": "<314.c0ffee314@news.example.org>",
        "feedback_type": "abuse",
        "delivery": 314,
    }


def test_complaints_parse_prints_every_family(tmp_path):
    out = StringIO()
    call_command("complaints", "parse", *map(str, CASES), stdout=out)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [line["file"] for line in lines] == [str(p) for p in CASES]
    for line, path in zip(lines, CASES, strict=True):
        assert line["complaint"] is True
        assert line["recipient"] == expected(path)["complaint_recipient"]
