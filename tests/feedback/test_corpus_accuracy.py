"""The parser held to issue 13's accuracy targets on our own corpus (tests/feedback/corpus and
the older fixtures), measured by tools/bounce_accuracy.py exactly as `mailwright bounces
parse` / `complaints parse` read each message; and every corpus `.eml` has a valid `.json`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from mailwright.feedback.parsing import REASONS
from tests.feedback.corpus_files import accuracy_tool

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "feedback" / "corpus"


tool = accuracy_tool()


@pytest.fixture(scope="module")
def measured():
    cases, problems = tool.corpus_cases(CORPUS)
    families, overall, misses = tool.measure(cases + tool.legacy_cases())
    return families, overall, misses, problems


def test_every_corpus_message_has_a_valid_expectation():
    emls = sorted(CORPUS.rglob("*.eml"))
    assert emls, "the corpus is empty"
    for eml in emls:
        spec = eml.with_suffix(".json")
        assert spec.exists(), f"{eml.relative_to(CORPUS)} has no .json"
        expected = json.loads(spec.read_text("utf-8"))
        assert expected["is"] in tool.KINDS, spec
        assert expected.get("source", "").strip(), f"{spec} does not say where its format is from"
        for r in expected.get("recipients", []):
            assert r["kind"] in ("hard", "soft"), spec
            assert r["reason"] in REASONS, f"{spec}: {r['reason']!r} is not a known reason"
    assert not tool.corpus_cases(CORPUS)[1]


def test_every_json_has_its_message():
    orphans = [j for j in CORPUS.rglob("*.json") if not j.with_suffix(".eml").exists()]
    assert not orphans


@pytest.mark.parametrize("measure", list(tool.MEASURES))
def test_accuracy_target(measured, measure):
    _, overall, misses, _ = measured
    label, target = tool.MEASURES[measure]
    hit, total = overall.counts[measure]
    assert total, f"nothing in the corpus measures {label}"
    listed = "\n".join(
        f"  {m['file']}: {m['field']}: expected {m['expected']!r}, got {m['got']!r}" for m in misses
    )
    assert hit / total >= target, f"{label}: {hit}/{total} < {target:.0%}; misses:\n{listed}"


def test_tool_reports_misses_and_corpus_problems(tmp_path, capsys):
    """The tool on a tiny corpus: one right bounce, one with a wrong expectation, one .eml
    without .json, one .json with an unknown reason."""
    family = tmp_path / "acme"
    family.mkdir()
    src = CORPUS / "misc" / "dsn_too_many_hops.eml"
    for name in ("right", "wrong", "lonely", "unknown_reason"):
        shutil.copy(src, family / f"{name}.eml")
    got = tool.run_commands(src.read_bytes())["recipients"][0]
    expect = {"is": "bounce", "source": "test", "complaint_recipient": None}
    right = {**expect, "recipients": [{k: got[k] for k in ("address", "kind", "reason")}]}
    wrong = {
        **expect,
        "recipients": [{"address": "x@example.com", "kind": "soft", "reason": "expired"}],
    }
    bad = {**expect, "recipients": [{**right["recipients"][0], "reason": "gremlins"}]}
    for name, spec in (("right", right), ("wrong", wrong), ("unknown_reason", bad)):
        (family / f"{name}.json").write_text(json.dumps(spec))

    assert tool.main(["--corpus", str(tmp_path), "--json", "--misses"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["families"]["acme"]["files"] == 2
    assert out["overall"]["recall"] == {"hit": 1, "total": 2, "ratio": 0.5}
    assert out["overall"]["precision"] == {"hit": 1, "total": 2, "ratio": 0.5}
    assert {"file": str(family / "wrong.eml"), "field": "recipient", "expected": "x@example.com",
            "got": [got["address"]]} in out["misses"]  # fmt: skip
    assert any("lonely.eml: no lonely.json" in p for p in out["problems"])
    assert any("'gremlins' is not in REASONS" in p for p in out["problems"])
