"""The address check an import applies to every row, behind one name so the import does not
care where it comes from: contacts.hygiene's offline Checker (syntax, role accounts,
disposable domains, typos) and its streaming Summary.

STAND-IN until the hygiene branch lands: syntax only (contacts.addresses.normalize_email),
risk "ok" or "invalid". Then: `from mailwright.contacts.hygiene import Checker, Summary`."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from mailwright.contacts.addresses import InvalidAddress, normalize_email


@dataclass(frozen=True, slots=True)
class Verdict:
    address: str
    valid: bool
    normalized: str | None
    reasons: tuple[str, ...]
    suggestion: str | None
    risk: str


# The ordinary address (ASCII dot-atom, ASCII host labels, alphabetic TLD): the same result
# as normalize_email, without its cost; anything else goes through email-validator.
_ATEXT = r"A-Za-z0-9!#$%&'*+/=?^_`{|}~-"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_ORDINARY = re.compile(rf"([{_ATEXT}]{{1,64}}(?:\.[{_ATEXT}]+)*)@((?:{_LABEL}\.)+[A-Za-z]{{2,63}})")


class Checker:
    def __init__(self, *, offline: bool = True) -> None:
        self.offline = offline

    def check(self, address: str) -> Verdict:
        text = address.strip()
        match = _ORDINARY.fullmatch(text) if len(text) <= 254 else None
        if match and ".." not in match[1]:
            normalized = f"{match[1]}@{match[2].lower()}"
            return Verdict(text, True, normalized, (), None, "ok")
        try:
            normalized = normalize_email(text)
        except InvalidAddress as exc:
            return Verdict(text, False, None, (str(exc),), None, "invalid")
        return Verdict(text, True, normalized, (), None, "ok")


@dataclass
class Summary:
    total: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    looks_bought: bool = False
    warnings: list[str] = field(default_factory=list)

    def add(self, verdict: Verdict) -> None:
        self.total += 1
        self.counts[verdict.risk] = self.counts.get(verdict.risk, 0) + 1
        invalid = self.counts.get("invalid", 0) / self.total
        risky = (self.counts.get("role", 0) + self.counts.get("disposable", 0)) / self.total
        self.looks_bought = invalid > 0.10 or risky > 0.30
        self.warnings = []
        if invalid > 0.10:
            self.warnings.append(
                f"{invalid * 100:.1f} % of the addresses are invalid (more than 10.0 %): a list "
                "like this is usually bought, scraped or years old."
            )
        if risky > 0.30:
            self.warnings.append(
                f"{risky * 100:.1f} % of the addresses are role accounts or disposable (more "
                "than 30.0 %): the list was probably scraped or bought."
            )

    def as_dict(self) -> dict:
        return {
            "total": self.total,
            "counts": dict(self.counts),
            "looks_bought": self.looks_bought,
            "warnings": list(self.warnings),
        }
