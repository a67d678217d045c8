"""Does a domain accept mail? Its MX records, else its A/AAAA records (the implicit MX of
RFC 5321 §5.1); a null MX (RFC 7505) or a domain that does not exist refuses it. Answers are
cached per domain (bounded, with a TTL) so a long list asks about each domain once."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import dns.exception
import dns.name
import dns.resolver

ACCEPTS = "accepts"
REFUSES = "refuses"
UNKNOWN = "unknown"  # DNS did not answer: no verdict on the address


@dataclass(frozen=True, slots=True)
class MailDomain:
    status: str  # ACCEPTS, REFUSES or UNKNOWN
    reason: str = ""  # a sentence for REFUSES and UNKNOWN


NO_DOMAIN = MailDomain(REFUSES, "the domain does not exist")
NULL_MX = MailDomain(REFUSES, "the domain accepts no email (null MX)")
NO_HOST = MailDomain(REFUSES, "the domain has no mail server (no MX, A or AAAA record)")
NO_ANSWER = MailDomain(UNKNOWN, "DNS did not answer")
HAS_MAIL = MailDomain(ACCEPTS)


def system_resolver() -> dns.resolver.Resolver | None:
    """A resolver from the machine's configuration, or None when there is none."""
    try:
        return dns.resolver.Resolver()
    except Exception:  # NoResolverConfiguration, unreadable resolv.conf, …
        return None


class MailDomainCache:
    """lookup(domain) → MailDomain, asking DNS at most once per domain per TTL.

    Each lookup (MX, then A, then AAAA) shares one deadline of `timeout` seconds. Positive
    answers are kept for their DNS TTL (between 60 s and an hour), refusals for 5 minutes,
    and "DNS did not answer" for a minute, so a dead name server costs one timeout per domain,
    not one per address. At most `max_entries` domains are kept (the oldest go first)."""

    def __init__(
        self,
        resolver: dns.resolver.Resolver | None,
        *,
        timeout: float = 2.0,
        max_entries: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.resolver = resolver
        self.timeout = timeout
        self.max_entries = max_entries
        self.clock = clock
        self._entries: dict[str, tuple[float, MailDomain]] = {}
        self._lock = threading.Lock()
        self.queries = 0  # DNS questions asked (for tests and the docs' numbers)

    def lookup(self, domain: str) -> MailDomain:
        now = self.clock()
        entry = self._entries.get(domain)
        if entry is not None and entry[0] > now:
            return entry[1]
        result, ttl = self._resolve(domain)
        with self._lock:
            self._entries.pop(domain, None)
            while len(self._entries) >= self.max_entries:
                del self._entries[next(iter(self._entries))]
            self._entries[domain] = (self.clock() + ttl, result)
        return result

    def _ask(self, name: str, rdtype: str, deadline: float):
        self.queries += 1
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise dns.exception.Timeout
        return self.resolver.resolve(name, rdtype, lifetime=remaining, search=False)

    def _resolve(self, domain: str) -> tuple[MailDomain, float]:
        if self.resolver is None:
            return NO_ANSWER, 60
        deadline = time.monotonic() + self.timeout
        name = domain.rstrip(".") + "."
        try:
            try:
                answer = self._ask(name, "MX", deadline)
            except dns.resolver.NoAnswer:
                pass
            else:
                if all(r.exchange == dns.name.root for r in answer):
                    return NULL_MX, 300
                return HAS_MAIL, _clamp(answer.rrset.ttl)
            for rdtype in ("A", "AAAA"):  # RFC 5321 §5.1: the implicit MX
                try:
                    answer = self._ask(name, rdtype, deadline)
                except dns.resolver.NoAnswer:
                    continue
                return HAS_MAIL, _clamp(answer.rrset.ttl)
            return NO_HOST, 300
        except dns.resolver.NXDOMAIN:
            return NO_DOMAIN, 300
        except Exception:  # timeout, SERVFAIL (NoNameservers), a malformed reply, …
            return NO_ANSWER, 60


def _clamp(ttl: int) -> float:
    return float(min(max(ttl, 60), 3600))
