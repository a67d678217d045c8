"""Address hygiene (SPEC §2.5): is an address sendable, and is it a risk to the sender's
reputation (role account, disposable domain, likely typo, domain without mail)? Plus the
summary of a whole list that tells whether it looks bought or scraped (docs/hygiene.md)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import islice

import email_validator
from django.conf import settings
from django.db.models import QuerySet
from email_validator.rfc_constants import CASE_INSENSITIVE_MAILBOX_NAMES

from mailwright.contacts import mx
from mailwright.contacts.addresses import InvalidAddress, normalize_email
from mailwright.contacts.hygiene_data import disposable_domain, role_account, suggest_domain

OK = "ok"
ROLE = "role"
DISPOSABLE = "disposable"
TYPO = "typo"
NO_MX = "no_mx"
INVALID = "invalid"
RISKS = (OK, ROLE, DISPOSABLE, TYPO, NO_MX, INVALID)  # ascending precedence
RISK_LABELS = {
    OK: "ok",
    ROLE: "role account",
    DISPOSABLE: "disposable",
    TYPO: "likely typo",
    NO_MX: "no mail server",
    INVALID: "invalid",
}

LOCAL_PART_MAX_OCTETS = 64  # RFC 5321 §4.5.3.1.1 (email-validator checks it only when strict)


@dataclass(frozen=True, slots=True)
class Verdict:
    address: str  # as given (stripped)
    valid: bool  # sendable: syntax ok and (when DNS was asked) the domain accepts mail
    normalized: str | None  # the normalize_email form; None when invalid
    reasons: tuple[str, ...]  # short human sentences
    suggestion: str | None  # "ana@gmail.com" for "ana@gmial.com"
    risk: str  # one of RISKS: the most serious finding

    def as_dict(self) -> dict:
        return {
            "address": self.address,
            "valid": self.valid,
            "normalized": self.normalized,
            "reasons": list(self.reasons),
            "suggestion": self.suggestion,
            "risk": self.risk,
        }

    @classmethod
    def rejected(cls, address: str, reason: str) -> Verdict:
        """An invalid verdict for input that never was an address (an unreadable line)."""
        return cls(address, False, None, (reason,), None, INVALID)


# --- syntax ---------------------------------------------------------------------------------
# The fast path accepts the ordinary address (ASCII dot-atom local part, ASCII host labels, an
# alphabetic TLD) with a single regular expression and gives the same normalized form as
# normalize_email (email-validator) would; anything else, valid or not, goes to
# email-validator. tests/contacts/test_hygiene.py proves the two agree (hypothesis).

_ATEXT = r"A-Za-z0-9!#$%&'*+/=?^_`{|}~-"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_ORDINARY = re.compile(rf"[{_ATEXT}]+(?:\.[{_ATEXT}]+)*@(?:{_LABEL}\.)+[A-Za-z]{{2,63}}")
_SPECIAL_USE = tuple(email_validator.SPECIAL_USE_DOMAIN_NAMES)
_SPECIAL_TLDS = frozenset(d for d in _SPECIAL_USE if "." not in d)
_SPECIAL_SUFFIXES = tuple("." + d for d in _SPECIAL_USE if "." in d)
_CASE_INSENSITIVE = frozenset(CASE_INSENSITIVE_MAILBOX_NAMES)  # RFC 2142: email-validator
# lower-cases these local parts (INFO@ → info@)


def fast_normalize(text: str) -> str | None:
    """The normalized form of an ordinary valid address, or None: not decided here."""
    if len(text) > 254 or _ORDINARY.fullmatch(text) is None:
        return None
    local, _, domain = text.partition("@")
    # "--" may make an IDNA or reserved (R-LDH) label: email-validator decides those.
    if len(local) > LOCAL_PART_MAX_OCTETS or "--" in domain:
        return None
    domain = domain.lower()
    if domain[domain.rindex(".") + 1 :] in _SPECIAL_TLDS or (
        _SPECIAL_SUFFIXES and ("." + domain).endswith(_SPECIAL_SUFFIXES)
    ):
        return None
    if local.lower() in _CASE_INSENSITIVE:
        local = local.lower()
    return f"{local}@{domain}"


def slow_normalize(text: str) -> tuple[str | None, str]:
    """(normalized, "") for a sendable address, else (None, the reason): email-validator via
    normalize_email, which refuses quoted local parts, obsolete forms and address literals."""
    try:
        normalized = normalize_email(text)
    except InvalidAddress as exc:
        return None, str(exc)
    if len(normalized.rpartition("@")[0].encode("utf-8")) > LOCAL_PART_MAX_OCTETS:
        return None, (
            f"The part before the @-sign is longer than {LOCAL_PART_MAX_OCTETS} bytes "
            "(RFC 5321 limit)."
        )
    return normalized, ""


def normalize(text: str) -> tuple[str | None, str]:
    normalized = fast_normalize(text)
    if normalized is not None:
        return normalized, ""
    return slow_normalize(text)


def _suggest_for_invalid(text: str) -> str | None:
    # "ana@gmail,com" and "ana@gmail" are invalid, but the intent is plain.
    local, at, domain = text.rpartition("@")
    domain = domain.lower()
    if not (at and local and domain.isascii() and 0 < len(domain) <= 64):
        return None
    fixed = suggest_domain(domain.replace(",", "."))
    if fixed is None:
        return None
    candidate = f"{local}@{fixed}"
    return candidate if normalize(candidate)[0] is not None else None


# --- the checker ----------------------------------------------------------------------------


class Checker:
    """check(address) → Verdict. Offline, it costs a few microseconds per ordinary address;
    with DNS, each domain is looked up once (cached) and check_many asks for many domains at a
    time."""

    DNS_WINDOW = 256  # addresses read ahead by check_many to look their domains up together
    DNS_THREADS = 8

    def __init__(self, *, offline: bool = False, timeout: float = 2.0, resolver=None) -> None:
        self.offline = offline
        self.timeout = timeout
        self.domains: mx.MailDomainCache | None = None
        if not offline:
            self.domains = mx.MailDomainCache(
                resolver if resolver is not None else mx.system_resolver(), timeout=timeout
            )

    def check(self, address: str) -> Verdict:
        if not isinstance(address, str):
            return Verdict.rejected(repr(address), "The email address must be text.")
        text = address.strip()
        normalized = fast_normalize(text)
        if normalized is None:
            normalized, problem = slow_normalize(text)
            if normalized is None:
                return Verdict(text, False, None, (problem,), _suggest_for_invalid(text), INVALID)
        local, _, domain = normalized.rpartition("@")
        typo = suggest_domain(domain)
        disposable = disposable_domain(domain)
        role = role_account(local)
        mail = self.domains.lookup(domain) if self.domains is not None else None
        if typo is None and disposable is None and role is None:
            if mail is None or mail.status == mx.ACCEPTS:
                return Verdict(text, True, normalized, (), None, OK)  # the common case

        risk, reasons = OK, []
        if role is not None:
            risk = ROLE
            reasons.append(f"role account ({role}@)")
        if disposable is not None:
            risk = DISPOSABLE
            reasons.insert(0, f"disposable domain ({disposable})")
        if mail is not None and mail.status != mx.ACCEPTS:
            reasons.insert(0, mail.reason)
            if mail.status == mx.REFUSES:
                risk = NO_MX
        if typo is not None:
            risk = TYPO
            reasons.insert(0, f"likely typo: did you mean {typo}?")
        suggestion = f"{local}@{typo}" if typo is not None else None
        valid = mail is None or mail.status != mx.REFUSES
        return Verdict(text, valid, normalized, tuple(reasons), suggestion, risk)

    def check_many(self, addresses: Iterable[str | Verdict]) -> Iterator[Verdict]:
        """Verdicts in input order. A Verdict among the inputs (a line the caller could not
        read) is passed through in its place."""
        if self.domains is None:
            for item in addresses:
                yield item if isinstance(item, Verdict) else self.check(item)
            return
        items = iter(addresses)
        with ThreadPoolExecutor(self.DNS_THREADS, thread_name_prefix="hygiene-dns") as pool:
            while window := list(islice(items, self.DNS_WINDOW)):
                domains = set()
                for item in window:
                    if isinstance(item, str):
                        normalized = normalize(item.strip())[0]
                        if normalized is not None:
                            domains.add(normalized.rpartition("@")[2])
                for _ in pool.map(self.domains.lookup, domains):
                    pass
                for item in window:
                    yield item if isinstance(item, Verdict) else self.check(item)


# --- summaries ------------------------------------------------------------------------------


def _percent(share: float) -> str:
    return f"{share * 100:.1f} %"


def _setting(name: str, default: float) -> float:
    return getattr(settings, name, default) if settings.configured else default


@dataclass
class Summary:
    """The hygiene of an import or a campaign audience, built one verdict at a time (constant
    memory). invalid_share counts the addresses that cannot be sent to (invalid, or a domain
    that accepts no mail); looks_bought compares the shares with MW_HYGIENE_HOLD_INVALID and
    MW_HYGIENE_HOLD_ROLE_DISPOSABLE. add() recomputes the four derived fields, so a caller with
    rules of its own applies them after the last add()."""

    total: int = 0
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(RISKS, 0))
    invalid_share: float = 0.0
    role_disposable_share: float = 0.0
    looks_bought: bool = False
    warnings: list[str] = field(default_factory=list)
    hold_invalid: float | None = None  # None: the setting
    hold_role_disposable: float | None = None
    sample_of: int | None = None  # set when the verdicts are a random sample of this many

    def __post_init__(self) -> None:
        if self.hold_invalid is None:
            self.hold_invalid = _setting("HYGIENE_HOLD_INVALID", 0.10)
        if self.hold_role_disposable is None:
            self.hold_role_disposable = _setting("HYGIENE_HOLD_ROLE_DISPOSABLE", 0.30)
        for risk in RISKS:
            self.counts.setdefault(risk, 0)
        self._shown: tuple[int, int] | None = None

    def add(self, verdict: Verdict) -> None:
        counts = self.counts
        counts[verdict.risk] += 1
        self.total = total = self.total + 1
        self.invalid_share = (counts[INVALID] + counts[NO_MX]) / total
        self.role_disposable_share = (counts[ROLE] + counts[DISPOSABLE]) / total
        too_invalid = self.invalid_share > self.hold_invalid
        too_rd = self.role_disposable_share > self.hold_role_disposable
        self.looks_bought = too_invalid or too_rd
        if self.looks_bought or self.warnings:
            # Sentences only change when a shown percentage does.
            shown = (
                round(self.invalid_share * 1000) if too_invalid else -1,
                round(self.role_disposable_share * 1000) if too_rd else -1,
            )
            if shown != self._shown:
                self._shown = shown
                self.warnings = self._warnings(too_invalid, too_rd)

    def _warnings(self, too_invalid: bool, too_rd: bool) -> list[str]:
        warnings = []
        if too_invalid:
            warnings.append(
                f"{_percent(self.invalid_share)} of the addresses are invalid or their domain "
                f"accepts no mail (more than {_percent(self.hold_invalid)}): a list like this is "
                "usually bought, scraped or years old, and the bounces it brings get sending "
                "accounts locked."
            )
        if too_rd:
            warnings.append(
                f"{_percent(self.role_disposable_share)} of the addresses are role accounts "
                f"(info@, sales@, …) or disposable (more than "
                f"{_percent(self.hold_role_disposable)}): people rarely sign up with these, so "
                "the list was probably scraped from web sites or bought."
            )
        return warnings

    def labelled_counts(self) -> list[tuple[str, str, int]]:
        """(risk, label, count) for each risk, for people."""
        return [(risk, RISK_LABELS[risk], self.counts.get(risk, 0)) for risk in RISKS]

    def as_dict(self) -> dict:
        return {
            "total": self.total,
            "counts": dict(self.counts),
            "invalid_share": round(self.invalid_share, 4),
            "role_disposable_share": round(self.role_disposable_share, 4),
            "looks_bought": self.looks_bought,
            "warnings": list(self.warnings),
            "thresholds": {
                "invalid": self.hold_invalid,
                "role_disposable": self.hold_role_disposable,
            },
            "sample_of": self.sample_of,
        }

    @classmethod
    def from_dict(cls, data: dict) -> Summary:
        """The summary as_dict() described (e.g. stored with an import)."""
        thresholds = data.get("thresholds") or {}
        summary = cls(
            total=data["total"],
            counts=dict(data["counts"]),
            invalid_share=data["invalid_share"],
            role_disposable_share=data["role_disposable_share"],
            looks_bought=data["looks_bought"],
            warnings=list(data["warnings"]),
            hold_invalid=thresholds.get("invalid"),
            hold_role_disposable=thresholds.get("role_disposable"),
            sample_of=data.get("sample_of"),
        )
        return summary


def summarize(addresses: Iterable[str], *, checker: Checker | None = None) -> Summary:
    """The Summary of some addresses (offline checks unless a checker is given)."""
    checker = checker or Checker(offline=True)
    summary = Summary()
    for verdict in checker.check_many(addresses):
        summary.add(verdict)
    return summary


AUDIENCE_SAMPLE_ABOVE = 50_000  # larger audiences are judged by a random sample…
AUDIENCE_SAMPLE_SIZE = 20_000  # …of this many contacts


def summarize_contacts(
    contacts: QuerySet,
    *,
    sample_above: int = AUDIENCE_SAMPLE_ABOVE,
    sample_size: int = AUDIENCE_SAMPLE_SIZE,
) -> Summary:
    """The offline Summary of a queryset of contacts (a campaign audience); above sample_above
    contacts, of a random sample of sample_size of them (Summary.sample_of says how many the
    sample stands for)."""
    total = contacts.count()
    emails = contacts.values_list("email", flat=True)
    sample_of = None
    if total > sample_above:
        # Sample by primary key, so the audience query's own ordering or DISTINCT stays put.
        pks = contacts.values("pk")
        emails = (
            contacts.model.objects.filter(pk__in=pks)
            .order_by("?")
            .values_list("email", flat=True)[:sample_size]
        )
        sample_of = total
    summary = summarize(emails.iterator(chunk_size=2000))
    summary.sample_of = sample_of
    return summary
