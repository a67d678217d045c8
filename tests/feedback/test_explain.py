"""`bounces parse --explain` and `complaints parse --explain`: each JSON line gains the rules
that decided it; without the flag the line is exactly what it was."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

from django.core.management import call_command

FIXTURES = Path(__file__).parent / "fixtures"


def run(command: str, *args: str) -> list[dict]:
    out = StringIO()
    call_command(command, "parse", *args, stdout=out)
    return [json.loads(line) for line in out.getvalue().splitlines()]


def rules(line: dict) -> dict[str, tuple]:
    return {e["field"]: (e["value"], e["rule"]) for e in line["explain"]}


def test_bounce_explain_names_the_status_rule():
    path = str(FIXTURES / "bounces" / "postfix_user_unknown.eml")
    [line] = run("bounces", "--explain", path)
    assert line["recipients"][0]["reason"] == "user_unknown"
    assert rules(line) == {
        "bounce": (True, "RFC 3464 DSN: a status block says Action: failed"),
        "recipients[0].address": (
            "jan.kowalski@example.com",
            "DSN original-recipient",
        ),
        "recipients[0].kind": ("hard", "status class 5 → hard"),
        "recipients[0].reason": ("user_unknown", "status 5.1.1 → user_unknown"),
    }


def test_bounce_explain_names_the_text_rule_that_beat_the_code():
    [line] = run("bounces", "--explain", str(FIXTURES / "bounces" / "spamhaus_blocked.eml"))
    assert rules(line)["recipients[0].reason"] == (
        "blocked",
        "text /spamhaus/ (en) over status 5.7.1",
    )


def test_plain_text_bounce_explain_names_the_phrase_and_the_default_kind():
    [line] = run("bounces", "--explain", str(FIXTURES / "bounces" / "lotus_domino.eml"))
    explained = rules(line)
    assert explained["bounce"] == (True, "domino plain-text notice")
    assert explained["recipients[0].reason"] == ("user_unknown", "text /not listed in/ (en)")
    assert explained["recipients[0].kind"] == ("hard", "reason user_unknown defaults to hard")


def test_explain_shows_a_dropped_own_address():
    path = str(FIXTURES / "bounces" / "bounce_of_bounce.eml")
    [line] = run("bounces", "--explain", "--bounce-domain", "bounces.example.org", path)
    assert line["recipients"] == []
    assert rules(line)["recipients"][1] == "dropped: our own bounce address"


def test_without_explain_the_lines_are_unchanged():
    paths = sorted(str(p) for p in (FIXTURES / "bounces").glob("*.eml"))
    plain = run("bounces", *paths)
    explained = run("bounces", "--explain", *paths)
    assert all("explain" not in line for line in plain)
    assert [{k: v for k, v in line.items() if k != "explain"} for line in explained] == plain
    out = StringIO()
    call_command("bounces", "parse", paths[0], stdout=out)
    assert '"explain"' not in out.getvalue()


def test_complaint_explain_names_the_detection_and_the_recipient_source():
    path = str(FIXTURES / "complaints" / "arf_generic_abuse.eml")
    [plain] = run("complaints", path)
    [line] = run("complaints", "--explain", path)
    assert "explain" not in plain
    assert {k: v for k, v in line.items() if k != "explain"} == plain
    explained = rules(line)
    assert explained["complaint"] == (True, "ARF feedback report (RFC 5965)")
    assert explained["complaint_recipient"][0] == "hanna.nowak@example.net"
