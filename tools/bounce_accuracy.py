#!/usr/bin/env python3
"""How well the bounce/complaint parser reads our own corpus, overall and per family.

    .venv/bin/python tools/bounce_accuracy.py [--corpus DIR] [--family F] [--json] [--misses]

Every `.eml` with a `.json` beside it under tests/feedback/corpus (see its README.md) is
parsed exactly as `mailwright bounces parse` and `mailwright complaints parse` do — the same
`parse_message` with our bounce domain, read through the fields those commands print — and
compared with what the `.json` says. The older fixtures in tests/feedback/fixtures have no
`.json`; LEGACY below restates for them what tests/feedback/test_parsing.py expects (family
`legacy`). The six measures are the issue's (issue 13):

- recipient recall: expected recipients (failed or delayed) that were reported;
- recipient precision: reported recipients that were expected (a recipient reported for an
  auto-reply, a delivery report or a human reply is a false one);
- hard/soft right and reason right: of the recipients found;
- non-bounces recognised: auto-replies, delays, delivery reports and other mail that were
  not reported as bounces;
- complaint recipients: complaints whose complaining recipient was found.

Recipients are matched by address (case-insensitive); a recipient the report hides
(`"address": null`) matches a reported recipient without an address.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from mailwright.feedback.parsing import REASONS, parse_message  # noqa: E402

CORPUS = ROOT / "tests" / "feedback" / "corpus"
FIXTURES = ROOT / "tests" / "feedback" / "fixtures"
# The bounce domain the corpus is written for (`--bounce-domain` of the parse commands):
# its addresses are never failed recipients.
BOUNCE_DOMAIN = "bounces.example.org"
KINDS = ("bounce", "delay", "delivered", "auto_reply", "complaint", "other")
NON_BOUNCES = ("delay", "delivered", "auto_reply", "other")
# name → (what the measure counts, target of issue 13)
MEASURES = {
    "recall": ("recipient recall", 0.95),
    "precision": ("recipient precision", 0.97),
    "kind": ("hard/soft right (of found)", 0.97),
    "reason": ("reason right (of found)", 0.80),
    "non_bounces": ("non-bounces recognised", 0.90),
    "complaints": ("complaint recipients found", 0.90),
}


def _b(address: str | None, kind: str, reason: str) -> dict:
    return {"is": "bounce", "recipients": [{"address": address, "kind": kind, "reason": reason}]}


# tests/feedback/fixtures, restated from tests/feedback/test_parsing.py (BOUNCES,
# AUTO_REPLIES, COMPLAINTS and the two "other" tests).
LEGACY: dict[str, dict] = {
    "bounces/postfix_user_unknown.eml": _b("jan.kowalski@example.com", "hard", "user_unknown"),
    "bounces/postfix_delayed.eml": {
        "is": "delay",
        "recipients": [{"address": "maria.garcia@example.net", "kind": "soft", "reason": None}],
    },
    "bounces/exim_free_text.eml": _b("ahmet.yilmaz@example.com", "hard", "user_unknown"),
    "bounces/sendmail_dsn.eml": _b("nguyen.van.an@example.net", "hard", "user_unknown"),
    "bounces/qmail.eml": _b("ivan.petrov@example.com", "hard", "user_unknown"),
    "bounces/office365_ndr.eml": _b("ayse.demir@example.com", "hard", "user_unknown"),
    "bounces/gmail_user_unknown.eml": _b("john.smith@example.com", "hard", "user_unknown"),
    "bounces/gmail_spam_policy.eml": _b("sofia.lopez@example.com", "hard", "spam_detected"),
    "bounces/yahoo_no_account.eml": _b("li.wei@example.com", "hard", "user_unknown"),
    "bounces/outlook_mailbox_full.eml": _b("emre.kaya@example.net", "soft", "mailbox_full"),
    "bounces/amazon_ses_dsn.eml": _b("olga.ivanova@example.com", "hard", "user_unknown"),
    "bounces/amazon_ses_sns_notification.eml": _b(
        "pablo.ruiz@example.com", "soft", "mailbox_full"
    ),
    "bounces/lotus_domino.eml": _b("marek.nowak@example.com", "hard", "user_unknown"),
    "bounces/message_too_large.eml": _b(
        "tomasz.wisniewski@example.net", "hard", "message_too_large"
    ),
    "bounces/host_unknown.eml": _b("elena@nonexistent.example.net", "hard", "host_unknown"),
    "bounces/expired_sendmail.eml": _b("georgi.dimitrov@example.com", "soft", "expired"),
    "bounces/spamhaus_blocked.eml": _b("carmen.diaz@example.com", "hard", "blocked"),
    "bounces/recipient_in_free_text.eml": _b(
        "katarzyna.zielinska@example.com", "hard", "user_unknown"
    ),
    "bounces/verp_hidden_recipient.eml": _b(None, "hard", "user_unknown"),
    "bounces/bounce_of_bounce.eml": {"is": "bounce", "recipients": []},
    "bounces/truncated_dsn.eml": _b("wojciech.lewandowski@example.com", "hard", "user_unknown"),
    "bounces/bogus_charset.eml": _b("francois.dupont@example.com", "soft", "mailbox_full"),
    **{
        f"autoreplies/{name}": {"is": "auto_reply", "recipients": []}
        for name in (
            "en_exchange_automatic_reply.eml",
            "pl_odpowiedz_automatyczna.eml",
            "tr_otomatik_yanit.eml",
            "es_respuesta_automatica.eml",
            "es_fuera_de_la_oficina_autorespond.eml",
            "vi_tra_loi_tu_dong.eml",
            "bg_avtomatichen_otgovor.eml",
        )
    },
    "complaints/arf_generic_abuse.eml": {"is": "complaint", "recipients": [],
                                         "complaint_recipient": "hanna.nowak@example.net"},
    "complaints/yahoo_cfl.eml": {"is": "complaint", "recipients": [],
                                 "complaint_recipient": "quang.tran@example.com"},
    "complaints/microsoft_jmrp.eml": {"is": "complaint", "recipients": [],
                                      "complaint_recipient": "deniz.arslan@example.net"},
    "complaints/arf_not_spam.eml": {"is": "complaint", "recipients": [],
                                    "complaint_recipient": "luis.moreno@example.com"},
    "other/delivered_dsn.eml": {"is": "delivered", "recipients": []},
    "other/human_reply.eml": {"is": "other", "recipients": []},
}  # fmt: skip


@dataclass
class Case:
    path: Path
    family: str
    expected: dict


@dataclass
class Tally:
    """Counts for one family (or all): each measure is hits / total."""

    files: int = 0
    counts: dict[str, list[int]] = field(default_factory=lambda: {m: [0, 0] for m in MEASURES})

    def add(self, measure: str, hit: bool) -> None:
        self.counts[measure][0] += int(hit)
        self.counts[measure][1] += 1

    def merge(self, other: Tally) -> None:
        self.files += other.files
        for m, (hit, total) in other.counts.items():
            self.counts[m][0] += hit
            self.counts[m][1] += total

    def ratio(self, measure: str) -> float | None:
        hit, total = self.counts[measure]
        return hit / total if total else None

    def as_dict(self) -> dict:
        return {
            "files": self.files,
            **{
                m: {"hit": hit, "total": total, "ratio": self.ratio(m)}
                for m, (hit, total) in self.counts.items()
            },
        }


# --- reading the corpus --------------------------------------------------------------------


def validate(expected: object) -> list[str]:
    """What is wrong with one `.json` expectation (empty when it is valid)."""
    if not isinstance(expected, dict):
        return ["not a JSON object"]
    problems = []
    if expected.get("is") not in KINDS:
        problems.append(f"'is' must be one of {', '.join(KINDS)}, not {expected.get('is')!r}")
    if not isinstance(expected.get("source"), str) or not expected["source"].strip():
        problems.append("'source' (where the format comes from) is missing")
    recipients = expected.get("recipients", [])
    if not isinstance(recipients, list):
        return [*problems, "'recipients' must be a list"]
    for i, r in enumerate(recipients):
        if not isinstance(r, dict):
            problems.append(f"recipients[{i}] is not an object")
            continue
        if r.get("address") is not None and not isinstance(r.get("address"), str):
            problems.append(f"recipients[{i}].address must be a string or null")
        if r.get("kind") not in ("hard", "soft"):
            problems.append(f"recipients[{i}].kind must be hard or soft")
        if r.get("reason") not in REASONS:
            problems.append(f"recipients[{i}].reason {r.get('reason')!r} is not in REASONS")
    if expected.get("is") in ("bounce", "delay") and not recipients:
        problems.append(f"a {expected['is']} lists its recipients")
    complaint = expected.get("complaint_recipient")
    if expected.get("is") == "complaint" and not isinstance(complaint, str | None):
        problems.append("'complaint_recipient' must be an address or null")
    return problems


def corpus_cases(corpus: Path) -> tuple[list[Case], list[str]]:
    """The cases under `corpus` (family = first folder) and the problems found: an `.eml`
    without a `.json`, a `.json` that does not parse or is not valid."""
    cases, problems = [], []
    for eml in sorted(corpus.rglob("*.eml")):
        rel = eml.relative_to(corpus)
        family = rel.parts[0] if len(rel.parts) > 1 else "."
        spec = eml.with_suffix(".json")
        if not spec.exists():
            problems.append(f"{rel}: no {spec.name} beside it")
            continue
        try:
            expected = json.loads(spec.read_text("utf-8"))
        except (ValueError, UnicodeDecodeError) as exc:
            problems.append(f"{rel.with_suffix('.json')}: not valid JSON ({exc})")
            continue
        wrong = validate(expected)
        if wrong:
            problems.extend(f"{rel.with_suffix('.json')}: {p}" for p in wrong)
            continue
        cases.append(Case(eml, family, expected))
    return cases, problems


def legacy_cases(fixtures: Path = FIXTURES) -> list[Case]:
    return [
        Case(fixtures / name, "legacy", expected)
        for name, expected in sorted(LEGACY.items())
        if (fixtures / name).exists()
    ]


# --- parsing as the commands do ------------------------------------------------------------


def run_commands(raw: bytes, bounce_domain: str = BOUNCE_DOMAIN) -> dict:
    """The fields `mailwright bounces parse` and `complaints parse` print for `raw`
    (without `delivery`, which needs the signing key, and `original_message_id`)."""
    parsed = parse_message(raw, bounce_domains={bounce_domain} if bounce_domain else None)
    return {
        "bounce": parsed.bounce,
        "delay": parsed.delay,
        "auto_reply": parsed.auto_reply,
        "recipients": [r.as_dict() for r in parsed.recipients],
        "complaint": parsed.complaint,
        "recipient": parsed.complaint_recipient,
        "feedback_type": parsed.feedback_type,
    }


def _key(address: str | None) -> str | None:
    return address.strip().lower() if isinstance(address, str) else None


def score(case: Case, got: dict, tally: Tally, misses: list[dict]) -> None:
    """Add one case's outcome to `tally`; record each miss as (file, field, expected, got)."""
    exp = case.expected
    name = str(case.path.relative_to(ROOT)) if case.path.is_relative_to(ROOT) else str(case.path)

    def miss(what: str, expected: object, actual: object) -> None:
        misses.append({"file": name, "field": what, "expected": expected, "got": actual})

    tally.files += 1
    wanted = list(exp.get("recipients") or [])
    reported = list(got["recipients"])
    unmatched = list(reported)
    for w in wanted:
        found = next((r for r in unmatched if _key(r["address"]) == _key(w["address"])), None)
        tally.add("recall", found is not None)
        if found is None:
            miss("recipient", w["address"], [r["address"] for r in reported])
            continue
        unmatched.remove(found)
        tally.add("kind", found["kind"] == w["kind"])
        if found["kind"] != w["kind"]:
            miss(f"kind of {w['address']}", w["kind"], found["kind"])
        if w.get("reason") is not None:  # LEGACY's delay does not say
            tally.add("reason", found["reason"] == w["reason"])
            if found["reason"] != w["reason"]:
                miss(f"reason of {w['address']}", w["reason"], found["reason"])
    for r in reported:
        tally.add("precision", r not in unmatched)
    for r in unmatched:
        miss("extra recipient", None, r["address"] or "(a recipient without address)")

    if exp["is"] in NON_BOUNCES:
        tally.add("non_bounces", not got["bounce"])
        if got["bounce"]:
            miss("is", exp["is"], "bounce")
    elif exp["is"] == "bounce" and not got["bounce"]:
        miss("is", "bounce", "delay" if got["delay"] else "not a bounce")
    if exp["is"] == "complaint":
        want = exp.get("complaint_recipient")
        ok = got["complaint"] and _key(got["recipient"]) == _key(want)
        tally.add("complaints", ok)
        if not ok:
            miss("complaint_recipient", want, got["recipient"] if got["complaint"] else None)
    elif got["complaint"]:
        miss("is", exp["is"], "complaint")


def measure(
    cases: list[Case], family: str | None = None, bounce_domain: str = BOUNCE_DOMAIN
) -> tuple[dict[str, Tally], Tally, list[dict]]:
    """Per-family tallies, the overall tally and every miss."""
    families: dict[str, Tally] = {}
    misses: list[dict] = []
    for case in cases:
        if family and case.family != family:
            continue
        got = run_commands(case.path.read_bytes(), bounce_domain)
        score(case, got, families.setdefault(case.family, Tally()), misses)
    overall = Tally()
    for t in families.values():
        overall.merge(t)
    return dict(sorted(families.items())), overall, misses


# --- output --------------------------------------------------------------------------------


def _cell(t: Tally, m: str) -> str:
    hit, total = t.counts[m]
    return f"{hit / total:.0%} ({hit}/{total})" if total else "–"


def table(families: dict[str, Tally], overall: Tally) -> str:
    head = ["family", "files", *(MEASURES[m][0] for m in MEASURES)]
    rows = [
        "| " + " | ".join(head) + " |",
        "|---|---:|" + "---:|" * len(MEASURES),
    ]
    for name, t in [*families.items(), ("**all**", overall)]:
        rows.append(f"| {name} | {t.files} | " + " | ".join(_cell(t, m) for m in MEASURES) + " |")
    targets = " · ".join(f"{label} ≥ {target:.0%}" for label, target in MEASURES.values())
    return "\n".join([*rows, "", f"Targets (issue 13): {targets}."])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--corpus",
        type=Path,
        default=None,
        help="a corpus folder (.eml + .json, one sub-folder per family); default: "
        "tests/feedback/corpus and the legacy fixtures",
    )
    ap.add_argument("--family", default=None, help="only this family (its folder name)")
    ap.add_argument("--json", action="store_true", help="print the measures as JSON")
    ap.add_argument("--misses", action="store_true", help="list each miss")
    ap.add_argument("--bounce-domain", default=BOUNCE_DOMAIN, help="our bounce domain")
    args = ap.parse_args(argv)

    if args.corpus is None:
        cases, problems = corpus_cases(CORPUS)
        cases += legacy_cases()
    else:
        if not args.corpus.is_dir():
            ap.error(f"--corpus {args.corpus}: not a folder")
        cases, problems = corpus_cases(args.corpus)
    families, overall, misses = measure(cases, args.family, args.bounce_domain)
    if args.family and not families:
        ap.error(f"--family {args.family}: no such family ({len(cases)} cases read)")

    if args.json:
        out = {
            "overall": overall.as_dict(),
            "families": {name: t.as_dict() for name, t in families.items()},
            "problems": problems,
        }
        if args.misses:
            out["misses"] = misses
        print(json.dumps(out, indent=2, ensure_ascii=False))
    else:
        print(table(families, overall))
        for p in problems:
            print(f"corpus problem: {p}", file=sys.stderr)
        if args.misses:
            print(f"\n{len(misses)} miss(es):")
            for m in misses:
                print(f"- {m['file']}: {m['field']}: expected {m['expected']!r}, got {m['got']!r}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
