"""`mailwright dns check DOMAIN`: are SPF, DKIM and DMARC published for a sending domain, do
they match our keys and relay, and do the From, DKIM d= and Return-Path domains align?

Every lookup goes through an injectable dnspython-shaped resolver (`resolve(name, "TXT")`),
with a ~3 s lifetime. NXDOMAIN / NoAnswer mean "missing", a timeout or an unreachable server
"unreachable"; check() never raises for DNS trouble.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import asdict, dataclass, field

from django.conf import settings

from mailwright.delivery import dkim
from mailwright.delivery.models import DkimKey

TIMEOUT = 3.0

OK = "ok"
MISSING = "missing"
MISMATCH = "mismatch"
WARNING = "warning"
UNREACHABLE = "unreachable"
FAILING = frozenset({MISSING, MISMATCH, UNREACHABLE})
_SEVERITY = {OK: 0, WARNING: 1, UNREACHABLE: 2, MISSING: 3, MISMATCH: 4}

# SPF terms that cost a DNS lookup (RFC 7208 §4.6.4); the limit is 10.
_SPF_LOOKUP_TERMS = re.compile(
    r"^[+?~-]?(include:|a\b|a:|a/|mx\b|mx:|mx/|ptr\b|ptr:|exists:)", re.I
)


@dataclass
class Item:
    name: str  # the DNS name, or "From/DKIM/Return-Path" for alignment
    type: str  # SPF | DKIM | DMARC | alignment
    expected: str
    published: str
    status: str  # ok | missing | mismatch | warning | unreachable
    advice: str = ""
    note: str = ""  # short context for the table, e.g. "retiring key"


@dataclass
class Report:
    domain: str
    items: list[Item] = field(default_factory=list)

    @property
    def failing(self) -> list[Item]:
        return [i for i in self.items if i.status in FAILING]

    @property
    def ok(self) -> bool:
        return not self.failing

    def to_dict(self) -> dict:
        return {
            "domain": self.domain,
            "ok": self.ok,
            "items": [asdict(i) for i in self.items],
        }


# --- DNS ------------------------------------------------------------------------------------


def make_resolver(timeout: float = TIMEOUT):
    """A dnspython resolver from the system configuration with a short lifetime, or None when
    there is no usable configuration (every lookup then reports "unreachable")."""
    import dns.resolver

    try:
        resolver = dns.resolver.Resolver()
    except Exception:  # NoResolverConfiguration, unreadable resolv.conf, …
        return None
    resolver.timeout = timeout
    resolver.lifetime = timeout
    return resolver


@dataclass
class Lookup:
    """The TXT strings at a name (each record's strings joined, RFC 7208 §3.3 / RFC 6376
    §3.6.2.2), or why there are none: status is ok, missing or unreachable."""

    status: str
    records: list[str]
    error: str = ""


def _txt_strings(rdata) -> str:
    strings = getattr(rdata, "strings", None)
    if strings is None:  # something shaped differently: parse its zone-file text
        strings = re.findall(r'"((?:[^"\\]|\\.)*)"', rdata.to_text()) or [rdata.to_text()]
    return "".join(s.decode("utf-8", "replace") if isinstance(s, bytes) else s for s in strings)


def lookup_txt(resolver, name: str) -> Lookup:
    import dns.exception
    import dns.resolver

    if resolver is None:
        return Lookup(UNREACHABLE, [], "no DNS resolver is configured on this machine")
    try:
        answer = resolver.resolve(name, "TXT")
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
        return Lookup(MISSING, [])
    except dns.exception.Timeout:
        return Lookup(UNREACHABLE, [], "DNS timeout")
    except dns.resolver.NoNameservers:
        return Lookup(UNREACHABLE, [], "no name server answered")
    except Exception as exc:  # never let DNS trouble escape to the caller
        return Lookup(UNREACHABLE, [], f"DNS error: {exc.__class__.__name__}")
    return Lookup(OK, [_txt_strings(r) for r in answer])


# --- helpers --------------------------------------------------------------------------------


def parse_tags(value: str) -> dict[str, str]:
    """`v=DKIM1; k=rsa; p=AB CD` → {"v": "DKIM1", "k": "rsa", "p": "AB CD"} (keys lower-case,
    values stripped; stray quotes from copy-pasted zone files removed)."""
    value = value.replace('"', "")
    tags: dict[str, str] = {}
    for part in value.split(";"):
        if "=" in part:
            key, _, val = part.partition("=")
            tags.setdefault(key.strip().lower(), val.strip())
    return tags


def _nows(value: str) -> str:
    return re.sub(r"\s+", "", value.replace('"', ""))


def is_subdomain(child: str, parent: str) -> bool:
    return child == parent or child.endswith("." + parent)


# Second-level labels under which registries sell names (co.uk, com.au, …): a rough guard
# so that relaxed alignment is not claimed across a public suffix. Not a full PSL.
_PUBLIC_SLD = frozenset(
    {"co", "com", "net", "org", "gov", "edu", "ac", "or", "ne", "go", "gob", "nic", "ltd"}
)


def organizational_domain(domain: str) -> str:
    labels = domain.split(".")
    if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in _PUBLIC_SLD:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


def relaxed_aligned(a: str, b: str) -> bool:
    """DMARC relaxed alignment: the same organizational domain (RFC 7489 §3.1)."""
    return (
        is_subdomain(a, b)
        or is_subdomain(b, a)
        or (organizational_domain(a) == organizational_domain(b))
    )


def _worst(statuses: list[str]) -> str:
    return max(statuses, key=_SEVERITY.__getitem__) if statuses else OK


# --- SPF ------------------------------------------------------------------------------------


def _spf_authorizes(record: str, relay_host: str) -> bool:
    terms = [t.lower() for t in record.split()[1:]]
    try:
        ip = ipaddress.ip_address(relay_host)
    except ValueError:
        ip = None
    if ip is not None:
        for term in terms:
            mech, _, arg = term.lstrip("+").partition(":")
            if mech in ("ip4", "ip6") and arg:
                try:
                    if ip in ipaddress.ip_network(arg, strict=False):
                        return True
                except ValueError:
                    continue
        return False
    host = relay_host.lower().rstrip(".")
    for term in terms:
        mech, _, arg = term.lstrip("+").partition(":")
        arg = arg.split("/")[0].rstrip(".")
        if mech in ("include", "a", "mx", "exists") and arg and is_subdomain(host, arg):
            return True
        if term.startswith("redirect=") and is_subdomain(host, term[9:].rstrip(".")):
            return True
    return False


def _spf_expected(relay_host: str | None) -> str:
    if not relay_host:
        return "v=spf1 mx ~all (plus the include: or ip4: your relay documents)"
    try:
        ip = ipaddress.ip_address(relay_host)
    except ValueError:
        return f"v=spf1 a:{relay_host} ~all (or the include: your relay documents)"
    return f"v=spf1 ip{ip.version}:{ip} ~all"


def check_spf(resolver, domain: str, relay_host: str | None) -> Item:
    expected = _spf_expected(relay_host)
    found = lookup_txt(resolver, domain)
    if found.status == UNREACHABLE:
        return Item(domain, "SPF", expected, "", UNREACHABLE, f"Could not look up: {found.error}.")
    spf = [r for r in found.records if re.match(r"^v=spf1(\s|$)", r.strip(), re.I)]
    if not spf:
        return Item(
            domain,
            "SPF",
            expected,
            "",
            MISSING,
            f"Publish a TXT record at {domain}: it tells receivers which servers may send "
            "mail with this envelope (Return-Path) domain.",
        )
    published = " | ".join(spf)
    problems: list[str] = []
    if len(spf) > 1:
        problems.append(
            f"{len(spf)} SPF records are published; receivers treat that as a permanent "
            "error (RFC 7208 §4.5), so SPF fails: merge them into one."
        )
    record = spf[0]
    terms = record.split()[1:]
    if any(t.lower() in ("+all", "all") for t in terms):
        problems.append("'+all' lets every server on the Internet pass SPF: use ~all or -all.")
    lookups = sum(1 for t in terms if _SPF_LOOKUP_TERMS.match(t)) + sum(
        1 for t in terms if t.lower().startswith("redirect=")
    )
    if lookups > 10:
        problems.append(
            f"{lookups} mechanisms need DNS lookups (counted without following include:); "
            "more than 10 makes SPF fail with a permerror. Flatten or drop some."
        )
    if relay_host and not _spf_authorizes(record, relay_host):
        problems.append(
            f"The relay {relay_host} is not named in the record (no matching include:, a:, "
            "mx: or ip4:/ip6:). Add what your relay's documentation asks for; ignore this if "
            "its include: has a different name."
        )
    if problems:
        return Item(domain, "SPF", expected, published, WARNING, " ".join(problems))
    return Item(domain, "SPF", expected, published, OK, "")


# --- DKIM -----------------------------------------------------------------------------------


def _dkim_item(resolver, key: DkimKey, state: str) -> Item:
    name, value = dkim.dns_record(key)
    found = lookup_txt(resolver, name)
    label = "DKIM"
    note = f"{state} key, {key.algorithm}"
    if found.status == UNREACHABLE:
        return Item(name, label, value, "", UNREACHABLE, f"Could not look up: {found.error}.", note)
    records = [r for r in found.records if "p=" in r.replace(" ", "")]
    if not records:
        if state == "active":
            advice = f"Publish this TXT record at {name}; until then signatures do not verify."
            return Item(name, label, value, "", MISSING, advice, note)
        until = key.retired_at + dkim.RETIRING_PERIOD if key.retired_at else None
        advice = "This key was rotated out but mail signed with it may still be in flight; "
        advice += f"keep its record published until {until:%Y-%m-%d}." if until else "."
        return Item(name, label, value, "", WARNING, advice, note)
    expected_p = key.public_key_b64
    expected_k = "ed25519" if key.algorithm == dkim.ED25519 else "rsa"
    for record in records:
        tags = parse_tags(record)
        if _nows(tags.get("p", "")) == expected_p and tags.get("k", "rsa").lower() == expected_k:
            if len(records) > 1:
                return Item(
                    name,
                    label,
                    value,
                    " | ".join(records),
                    WARNING,
                    "Several DKIM records at this name; receivers may pick the wrong one. "
                    "Keep only this one.",
                    note,
                )
            return Item(name, label, value, record, OK, "", note)
    tags = parse_tags(records[0])
    if not _nows(tags.get("p", "")):
        advice = "The published record has an empty p= (a revoked key): publish the one above."
    elif _nows(tags.get("p", "")) == expected_p:
        advice = f"The key matches but k= does not say {expected_k}: publish the record above."
    else:
        advice = "The published p= is a different key: replace the record with the one above."
    return Item(name, label, value, " | ".join(records), MISMATCH, advice, note)


def check_dkim(resolver, domain: str) -> list[Item]:
    keys = [
        k
        for k in DkimKey.objects.filter(domain=domain).order_by("-created_at", "-id")
        if dkim.key_state(k) != "retired"
    ]
    if not keys:
        return [
            Item(
                f"*._domainkey.{domain}",
                "DKIM",
                f"a key made with: mailwright dkim generate {domain}",
                "",
                MISSING,
                f"No DKIM key for {domain}: run `mailwright dkim generate {domain}` and "
                "publish the TXT record it prints.",
            )
        ]
    return [_dkim_item(resolver, k, dkim.key_state(k)) for k in keys]


# --- DMARC ----------------------------------------------------------------------------------


def _dmarc_lookup(resolver, domain: str) -> tuple[str, Lookup, list[str]]:
    """The DMARC record for `domain`, or failing that for its organizational domain
    (RFC 7489 §6.6.3). Returns (name looked up, lookup, DMARC records)."""
    names = [f"_dmarc.{domain}"]
    org = organizational_domain(domain)
    if org != domain:
        names.append(f"_dmarc.{org}")
    first: tuple[str, Lookup, list[str]] | None = None
    for name in names:
        found = lookup_txt(resolver, name)
        records = [r for r in found.records if re.match(r"^v\s*=\s*DMARC1\s*(;|$)", r.strip())]
        if first is None:
            first = (name, found, records)
        if found.status == UNREACHABLE or records:
            return name, found, records
    assert first is not None
    return first


def check_dmarc(resolver, domain: str) -> tuple[Item, dict[str, str]]:
    expected = f"v=DMARC1; p=none; rua=mailto:dmarc-reports@{domain}"
    name, found, records = _dmarc_lookup(resolver, domain)
    if found.status == UNREACHABLE:
        item = Item(name, "DMARC", expected, "", UNREACHABLE, f"Could not look up: {found.error}.")
        return item, {}
    if not records:
        return (
            Item(
                f"_dmarc.{domain}",
                "DMARC",
                expected,
                "",
                MISSING,
                "Publish a DMARC record (Gmail and Yahoo require one from bulk senders). Start "
                "with p=none and a rua= address you read, then move to quarantine or reject "
                "once the reports show all your mail passing.",
            ),
            {},
        )
    tags = parse_tags(records[0])
    inherited = name != f"_dmarc.{domain}"
    policy = (tags.get("sp") if inherited and tags.get("sp") else tags.get("p", "")).lower()
    notes: list[str] = []
    status = OK
    if len(records) > 1:
        status = WARNING
        notes.append("Several DMARC records: receivers then apply none. Keep one.")
    if policy not in ("none", "quarantine", "reject"):
        return (
            Item(
                name,
                "DMARC",
                expected,
                " | ".join(records),
                MISMATCH,
                f"p= must be none, quarantine or reject (found {policy or 'nothing'}).",
            ),
            tags,
        )
    if inherited:
        notes.append(f"No record at _dmarc.{domain}; the one at {name} applies.")
    if policy == "none":
        notes.append(
            "Policy p=none only monitors; move to quarantine or reject once reports are clean."
        )
    if not tags.get("rua"):
        status = WARNING
        notes.append("No rua= address: you will not get aggregate reports. Add one.")
    return Item(name, "DMARC", expected, " | ".join(records), status, " ".join(notes)), tags


# --- alignment ------------------------------------------------------------------------------


def check_alignment(domain: str, bounce: str, dmarc_tags: dict[str, str]) -> Item:
    """From vs DKIM d= (the key signer_for() would use) and vs the Return-Path domain."""
    signer_domain = None
    for candidate in dkim._candidate_domains(domain):
        if DkimKey.objects.filter(domain=candidate, active=True).exists():
            signer_domain = candidate
            break
    strict_dkim = dmarc_tags.get("adkim", "r").lower() == "s"
    strict_spf = dmarc_tags.get("aspf", "r").lower() == "s"
    expected = f"From {domain}; DKIM d={domain}; Return-Path @{bounce}"
    published = f"From {domain}; DKIM d={signer_domain or '(no key)'}; Return-Path @{bounce}"
    problems: list[str] = []
    status = OK
    if signer_domain is None:
        status = MISSING
        problems.append("No active DKIM key, so no DKIM-aligned signature: generate one.")
    elif strict_dkim and signer_domain != domain:
        status = MISMATCH
        problems.append(
            f"DMARC says adkim=s but mail is signed with d={signer_domain}: "
            f"generate a key for {domain}."
        )
    spf_aligned = bounce == domain if strict_spf else relaxed_aligned(bounce, domain)
    if not spf_aligned:
        status = _worst([status, WARNING])
        problems.append(
            f"The Return-Path domain {bounce} does not align with {domain}"
            + (" (aspf=s)" if strict_spf else "")
            + ": SPF cannot count for DMARC, only DKIM can. Use a bounce domain under "
            f"{organizational_domain(domain)}."
        )
    return Item(
        "From / DKIM d= / Return-Path", "alignment", expected, published, status, " ".join(problems)
    )


# --- entry point ----------------------------------------------------------------------------


def envelope_domain_for(domain: str) -> str:
    """The Return-Path domain: settings.BOUNCE_DOMAIN when set, else the From domain."""
    bounce = (getattr(settings, "BOUNCE_DOMAIN", "") or "").strip()
    try:
        return dkim.normalize_domain(bounce) if bounce else domain
    except dkim.InvalidDomain:
        return domain


def check(domain: str, resolver=None, relay_host: str | None = None) -> Report:
    """Check SPF, DKIM, DMARC and alignment for the sending (From) domain. Raises
    dkim.InvalidDomain for a malformed domain, never for DNS trouble."""
    domain = dkim.normalize_domain(domain)
    if resolver is None:
        resolver = make_resolver()
    envelope_domain = envelope_domain_for(domain)
    report = Report(domain)
    # SPF is checked on the envelope (Return-Path) domain: that is the one receivers test.
    report.items.append(check_spf(resolver, envelope_domain, relay_host))
    report.items.extend(check_dkim(resolver, domain))
    dmarc_item, dmarc_tags = check_dmarc(resolver, domain)
    report.items.append(dmarc_item)
    report.items.append(check_alignment(domain, envelope_domain, dmarc_tags))
    return report


def format_table(report: Report) -> str:
    """The report as a plain-text table followed by the details of each item."""
    header = ("STATUS", "TYPE", "NAME", "NOTE")
    rows = [(i.status.upper(), i.type, i.name, i.note) for i in report.items]
    widths = [max(len(h), *(len(r[c]) for r in rows)) for c, h in enumerate(header)]

    def line(values) -> str:
        return "  ".join(v.ljust(w) for v, w in zip(values, widths, strict=True)).rstrip()

    lines = [f"DNS check for {report.domain}", "", line(header), line(["-" * w for w in widths])]
    lines += [line(row) for row in rows]
    for item in report.items:
        lines += ["", f"{item.type} {item.name}: {item.status}"]
        lines.append(f"  expected:  {item.expected}")
        lines.append(f"  published: {item.published or '(nothing)'}")
        if item.advice:
            lines.append(f"  advice:    {item.advice}")
    failing = len(report.failing)
    lines.append("")
    lines.append(f"{failing} item(s) need attention." if failing else "All records are in place.")
    return "\n".join(lines) + "\n"
