"""Reading our own corpus in tests: a corpus message parsed as `mailwright bounces parse`
would (our bounce domain), its failed recipients, and tools/bounce_accuracy.py loaded once."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from mailwright.feedback.parsing import Parsed, parse_message

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "tests" / "feedback" / "corpus"
OURS = {"bounces.example.org"}


def parse_raw(raw: bytes) -> Parsed:
    return parse_message(raw, bounce_domains=OURS)


def parse_corpus(name: str) -> Parsed:
    """A corpus message by its path under tests/feedback/corpus ("shapes/v5_x.eml")."""
    return parse_raw((CORPUS / name).read_bytes())


def failed(name: str) -> dict[str | None, tuple[str, str]]:
    """{address: (kind, reason)} of a corpus message that must be a bounce."""
    parsed = parse_corpus(name)
    assert parsed.bounce, name
    return {r.address: (r.kind, r.reason) for r in parsed.recipients}


def failed_reasons(name: str) -> dict[str | None, str]:
    """{address: reason} of a corpus message that must be a bounce."""
    return {address: reason for address, (_kind, reason) in failed(name).items()}


def accuracy_tool():
    """tools/bounce_accuracy.py as a module (it is a script, not a package)."""
    if "bounce_accuracy" in sys.modules:
        return sys.modules["bounce_accuracy"]
    spec = importlib.util.spec_from_file_location(
        "bounce_accuracy", ROOT / "tools" / "bounce_accuracy.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules["bounce_accuracy"] = module
    spec.loader.exec_module(module)
    return module
