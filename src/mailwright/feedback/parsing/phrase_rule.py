"""One text rule: a reason and its phrases per language, as one compiled pattern."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Only the start of a long text is searched (a whole report body can be large; the
# diagnostic is near the top): this keeps classification fast on any input (a few ms for the
# longest text; the parser must stay under 100 ms per message).
MAX_TEXT = 5_000


def prepare(text: str | None) -> str:
    """The text the rules search: its start, lower-cased (the patterns are lower case and
    compiled without re.I, which halves the time). NFKC folds the half-width katakana of
    Japanese mobile notices (ﾒｰﾙﾎﾞｯｸｽ → メールボックス) and full-width digits and letters.
    A multi-line SMTP reply folded into one line keeps its first code only (below)."""
    text = unicodedata.normalize("NFKC", (text or "")[:MAX_TEXT]).lower()
    return unfold_reply(_BLANKS.sub(" ", text))


# Runs of blanks count as one (no phrase needs two; a page of blanks costs every rule a scan).
_BLANKS = re.compile(r"[ \t]{2,}")


# A multi-line reply ("552-5.7.0 … presents a potential 552-5.7.0 security issue … 552 5.7.0
# illegal attachment", Gmail; "550-… 550 …", Exim ACLs) repeats its code on every line, in
# the middle of the receiver's sentence: after the first line's code, the repeated ones go.
_FIRST_CONTINUATION = re.compile(r"(?<![\w.])([45]\d\d)-")


def unfold_reply(text: str) -> str:
    first = _FIRST_CONTINUATION.search(text)
    if not first:
        return text
    code = first.group(1)
    repeated = re.compile(rf"\s{code}[- ](?:[245]\.\d{{1,3}}\.\d{{1,3}}\s)?")
    return text[: first.end()] + repeated.sub(" ", text[first.end() :])


@dataclass(frozen=True)
class TextRule:
    reason: str
    label: str  # what kind of evidence, for --explain ("block list", "rate", …)
    phrases: dict[str, tuple[str, ...]]  # language → regular expressions
    pattern: re.Pattern[str]

    def match(self, text: str) -> tuple[str, str] | None:
        """(phrase, language) of the first phrase of this rule found in `text` (prepared)."""
        if not self.pattern.search(text):
            return None
        for lang, phrases in self.phrases.items():
            for phrase in phrases:
                if re.search(phrase, text):
                    return phrase, lang
        return None  # pragma: no cover - the combined pattern matched one of them


def rule(reason: str, label: str, **phrases: tuple[str, ...]) -> TextRule:
    alternatives = "|".join(f"(?:{p})" for group in phrases.values() for p in group)
    return TextRule(reason, label, phrases, re.compile(alternatives))


def near(subjects: str, predicates: str, gap: int = 40) -> str:
    """A phrase: one of `subjects` ("a|b"), then within `gap` characters one of
    `predicates` — "(konto|postfach) .{0,30}(deaktiviert|gesperrt)"."""
    return f"({subjects}) .{{0,{gap}}}({predicates})"
