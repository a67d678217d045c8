"""/api/v1/hygiene/check: the address checks of `mailwright hygiene check` (docs/hygiene.md)
for up to 1,000 addresses a call: syntax, role accounts, disposable domains, typos and, unless
`offline`, whether the domain accepts mail (MX, else A/AAAA; one lookup per domain, each
bounded by a timeout), with a summary that says whether the list looks bought."""

from __future__ import annotations

from ninja import Router, Schema
from pydantic import ConfigDict, Field

from mailwright.contacts.hygiene import Checker, Summary

router = Router(tags=["hygiene"])
DNS_TIMEOUT = 2.0


class HygieneIn(Schema):
    model_config = ConfigDict(extra="forbid")
    addresses: list[str] = Field(..., min_length=1, max_length=1000)
    offline: bool = False


class VerdictOut(Schema):
    address: str
    valid: bool
    normalized: str | None
    reasons: list[str]
    suggestion: str | None
    risk: str


class HygieneOut(Schema):
    results: list[VerdictOut]
    summary: dict


@router.post("/check", response=HygieneOut)
def check_addresses(request, data: HygieneIn):
    """One verdict per address, in the order given, and the list's summary."""
    checker = Checker(offline=data.offline, timeout=DNS_TIMEOUT)
    summary = Summary()
    results = []
    for verdict in checker.check_many([a[:4096] for a in data.addresses]):
        summary.add(verdict)
        results.append(verdict.as_dict())
    return {"results": results, "summary": summary.as_dict()}
