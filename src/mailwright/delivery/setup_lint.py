"""The lint's sending-setup warnings (SPEC §4.3): what about the From domain and the
installation makes bulk mail look unauthenticated. Bulk senders need SPF + DKIM + DMARC, with
the DKIM domain and the Return-Path domain aligned with From; RFC 8058 one-click
unsubscribe needs an HTTPS link.

Decided from what Mailwright itself knows (its DKIM keys, MW_BOUNCE_DOMAIN, MW_BASE_URL, the
relays), with no DNS lookup by default: the lint runs as the user types. Pass a
dnspython-shaped `resolver` to also read the domain's DMARC policy (adkim=s / aspf=s make
alignment strict). `mailwright dns check DOMAIN` checks the published records themselves.
"""

from __future__ import annotations

from django.conf import settings

from mailwright.delivery import dkim, dns_check, relays


def _finding(code: str, message: str, where: str, fix: str) -> dict:
    return {"code": code, "message": message, "where": where, "fix": fix}


def _uses_real_relay() -> bool:
    capture = (settings.CAPTURE_HOST, settings.CAPTURE_PORT)
    return any((c.config.host, c.config.port) != capture for c in relays.configured())


def setup_findings(from_email: str, *, resolver=None) -> list[dict]:
    """Warnings about sending from `from_email` with this installation's setup."""
    findings: list[dict] = []
    domain = (from_email or "").rpartition("@")[2].strip()
    where = f"from {from_email}"
    try:
        domain = dkim.normalize_domain(domain) if domain else ""
    except dkim.InvalidDomain:
        domain = ""
    if domain:
        tags: dict[str, str] = {}
        if resolver is not None:
            _, tags = dns_check.check_dmarc(resolver, domain)
        item = dns_check.check_alignment(domain, dns_check.envelope_domain_for(domain), tags)
        if item.status == dns_check.MISSING:
            findings.append(
                _finding(
                    "from_domain_unsigned",
                    f"there is no active DKIM key for {domain}, so mail from it is not"
                    " DKIM-signed and fails DMARC at Gmail, Yahoo and Microsoft",
                    where,
                    f"Run `mailwright dkim generate {domain}` (or Delivery → DKIM) and publish"
                    f" the TXT record it prints at <selector>._domainkey.{domain}; check with"
                    f" `mailwright dns check {domain}`.",
                )
            )
        elif item.status in (dns_check.MISMATCH, dns_check.WARNING):
            findings.append(
                _finding(
                    "from_domain_not_aligned",
                    f"the DKIM and Return-Path domains do not align with {domain}: " + item.advice,
                    where,
                    f"Sign with a DKIM key for {domain} and set MW_BOUNCE_DOMAIN to a domain"
                    f" under {dns_check.organizational_domain(domain)} (with its MX and SPF"
                    " records); then run `mailwright dns check`.",
                )
            )
    if settings.BASE_URL.lower().startswith("http://") and _uses_real_relay():
        findings.append(
            _finding(
                "base_url_not_https",
                f"MW_BASE_URL is {settings.BASE_URL}: unsubscribe links are plain HTTP, and"
                " RFC 8058 one-click unsubscribe (which Gmail and Yahoo require of bulk"
                " senders) needs HTTPS",
                "setting MW_BASE_URL",
                "Serve Mailwright over HTTPS (a reverse proxy with a certificate) and set"
                " MW_BASE_URL=https://your-host.",
            )
        )
    return findings
