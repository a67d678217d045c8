"""`dns check`: SPF, DKIM, DMARC and alignment against a fake resolver (no real DNS query is
ever made: the real resolver class refuses to be used here)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from io import StringIO

import dns.resolver
import pytest
from django.core.management import CommandError, call_command

from mailwright.delivery import dkim, dns_check
from mailwright.delivery.models import DkimKey


@dataclass
class FakeTxt:
    strings: tuple[bytes, ...]


class FakeResolver:
    """`resolve(name, rdtype)` like dnspython: a list of TXT rdata, or the exception set for
    that name. Unknown names are NXDOMAIN."""

    def __init__(self, records: dict[str, object] | None = None) -> None:
        self.records = dict(records or {})
        self.queries: list[tuple[str, str]] = []

    def publish(self, name: str, *values) -> None:
        """Each value is one TXT record: a str, or a tuple of str (several strings)."""
        rdatas = []
        for value in values:
            parts = value if isinstance(value, tuple) else (value,)
            rdatas.append(FakeTxt(tuple(p.encode() for p in parts)))
        self.records[name] = rdatas

    def resolve(self, name, rdtype="A"):
        name = str(name).rstrip(".").lower()
        self.queries.append((name, rdtype))
        assert rdtype == "TXT"
        found = self.records.get(name)
        if found is None:
            raise dns.resolver.NXDOMAIN()
        if isinstance(found, BaseException) or (
            isinstance(found, type) and issubclass(found, BaseException)
        ):
            raise found
        return found


@pytest.fixture(autouse=True)
def no_real_dns(monkeypatch):
    """Fail loudly if anything reaches dnspython's real resolver."""

    def refuse(*args, **kwargs):
        raise AssertionError("a test tried to query real DNS")

    monkeypatch.setattr(dns.resolver.Resolver, "resolve", refuse)
    monkeypatch.setattr(dns.resolver, "resolve", refuse)


@pytest.fixture(autouse=True)
def _no_bounce_domain(settings):
    settings.BOUNCE_DOMAIN = ""


def split_255(value: str) -> tuple[str, ...]:
    return tuple(value[i : i + 255] for i in range(0, len(value), 255))


def good_resolver(key: DkimKey, domain: str = "example.com") -> FakeResolver:
    resolver = FakeResolver()
    resolver.publish(domain, "v=spf1 include:relay.example.net mx ~all", "google-site-verif=x")
    name, value = dkim.dns_record(key)
    # As DNS providers publish long values: split into 255-byte strings, with extra spaces.
    resolver.publish(name, split_255(value.replace("; ", ";  ")))
    resolver.publish(f"_dmarc.{domain}", "v=DMARC1; p=reject; rua=mailto:dmarc@example.com")
    return resolver


def by_type(report, type_: str):
    items = [i for i in report.items if i.type == type_]
    assert items, f"no {type_} item in {report.items}"
    return items[0] if len(items) == 1 else items


@pytest.mark.django_db
def test_all_good():
    key = dkim.generate_key("example.com", "rsa")
    resolver = good_resolver(key)
    report = dns_check.check("example.com", resolver=resolver, relay_host="relay.example.net")
    assert [i.status for i in report.items] == ["ok", "ok", "ok", "ok"], report.items
    assert report.ok
    assert {i.type for i in report.items} == {"SPF", "DKIM", "DMARC", "alignment"}
    dkim_item = by_type(report, "DKIM")
    assert dkim_item.name == f"{key.selector}._domainkey.example.com"
    assert dkim_item.expected == dkim.dns_record(key)[1]
    assert key.public_key_b64[:50] in dkim_item.published
    assert all(q[1] == "TXT" for q in resolver.queries)


@pytest.mark.django_db
def test_ed25519_key_with_relay_ip_and_quoted_record():
    key = dkim.generate_key("example.com", "ed25519")
    resolver = good_resolver(key)
    resolver.publish("example.com", "v=spf1 ip4:192.0.2.0/24 -all")
    name, value = dkim.dns_record(key)
    resolver.publish(name, f'"{value}"')
    report = dns_check.check("example.com", resolver=resolver, relay_host="192.0.2.25")
    assert report.ok
    assert by_type(report, "SPF").status == "ok"
    assert by_type(report, "DKIM").status == "ok"


@pytest.mark.django_db
def test_missing_dkim_record():
    key = dkim.generate_key("example.com")
    resolver = good_resolver(key)
    del resolver.records[dkim.dns_record(key)[0]]
    report = dns_check.check("example.com", resolver=resolver)
    item = by_type(report, "DKIM")
    assert item.status == "missing"
    assert item.published == ""
    assert item.expected == dkim.dns_record(key)[1]
    assert "Publish" in item.advice
    assert not report.ok


@pytest.mark.django_db
def test_no_dkim_key_at_all():
    resolver = FakeResolver()
    resolver.publish("example.com", "v=spf1 mx ~all")
    resolver.publish("_dmarc.example.com", "v=DMARC1; p=none; rua=mailto:d@example.com")
    report = dns_check.check("example.com", resolver=resolver)
    assert by_type(report, "DKIM").status == "missing"
    assert "mailwright dkim generate example.com" in by_type(report, "DKIM").advice
    assert by_type(report, "alignment").status == "missing"


@pytest.mark.django_db
def test_mismatched_p_value():
    key = dkim.generate_key("example.com", "rsa")
    other = dkim._make_keypair(dkim.RSA)[1]
    resolver = good_resolver(key)
    resolver.publish(dkim.dns_record(key)[0], split_255(f"v=DKIM1; k=rsa; p={other}"))
    item = by_type(dns_check.check("example.com", resolver=resolver), "DKIM")
    assert item.status == "mismatch"
    assert "different key" in item.advice
    assert other[:40] in item.published


@pytest.mark.django_db
def test_wrong_key_type_and_revoked_key():
    key = dkim.generate_key("example.com", "ed25519")
    resolver = good_resolver(key)
    name = dkim.dns_record(key)[0]
    resolver.publish(name, f"v=DKIM1; p={key.public_key_b64}")  # k= defaults to rsa
    item = by_type(dns_check.check("example.com", resolver=resolver), "DKIM")
    assert item.status == "mismatch" and "k=" in item.advice
    resolver.publish(name, "v=DKIM1; k=ed25519; p=")
    item = by_type(dns_check.check("example.com", resolver=resolver), "DKIM")
    assert item.status == "mismatch" and "revoked" in item.advice


@pytest.mark.django_db
def test_retiring_key_is_checked_and_only_warns():
    old = dkim.generate_key("example.com")
    new = dkim.rotate("example.com")
    resolver = good_resolver(new)
    report = dns_check.check("example.com", resolver=resolver)
    active, retiring = by_type(report, "DKIM")
    assert active.name.startswith(new.selector) and active.status == "ok"
    assert retiring.name.startswith(old.selector) and retiring.status == "warning"
    assert "retiring" in retiring.note and "keep its record" in retiring.advice
    assert report.ok
    # Once the retiring period is over the old key is no longer checked.
    DkimKey.objects.filter(pk=old.pk).update(retired_at=old.created_at - dkim.RETIRING_PERIOD)
    assert by_type(dns_check.check("example.com", resolver=resolver), "DKIM").status == "ok"


@pytest.mark.django_db
def test_two_spf_records():
    key = dkim.generate_key("example.com")
    resolver = good_resolver(key)
    resolver.publish("example.com", "v=spf1 mx ~all", "v=spf1 include:relay.example.net ~all")
    item = by_type(dns_check.check("example.com", resolver=resolver), "SPF")
    assert item.status == "warning"
    assert "2 SPF records" in item.advice
    assert "v=spf1 mx ~all" in item.published and "include:relay.example.net" in item.published


@pytest.mark.django_db
def test_spf_plus_all_too_many_lookups_and_relay_not_named():
    key = dkim.generate_key("example.com")
    resolver = good_resolver(key)
    includes = " ".join(f"include:s{i}.example.net" for i in range(9))
    resolver.publish("example.com", f"v=spf1 {includes} a mx +all")
    item = by_type(
        dns_check.check("example.com", resolver=resolver, relay_host="smtp.other.example"),
        "SPF",
    )
    assert item.status == "warning"
    assert "+all" in item.advice
    assert "11 mechanisms need DNS lookups" in item.advice
    assert "smtp.other.example is not named" in item.advice


@pytest.mark.django_db
def test_spf_missing():
    key = dkim.generate_key("example.com")
    resolver = good_resolver(key)
    resolver.publish("example.com", "some-other-verification=abc")
    item = by_type(dns_check.check("example.com", resolver=resolver, relay_host="10.1.2.3"), "SPF")
    assert item.status == "missing"
    assert item.expected == "v=spf1 ip4:10.1.2.3 ~all"


@pytest.mark.django_db
def test_dmarc_missing_recommends_a_record():
    key = dkim.generate_key("example.com")
    resolver = good_resolver(key)
    del resolver.records["_dmarc.example.com"]
    report = dns_check.check("example.com", resolver=resolver)
    item = by_type(report, "DMARC")
    assert item.status == "missing"
    assert item.name == "_dmarc.example.com"
    assert item.expected.startswith("v=DMARC1; p=none; rua=mailto:")
    assert "p=none" in item.advice
    assert not report.ok


@pytest.mark.django_db
def test_dmarc_policy_rua_and_inheritance():
    key = dkim.generate_key("news.example.com")
    resolver = good_resolver(key, domain="news.example.com")
    del resolver.records["_dmarc.news.example.com"]
    resolver.publish("_dmarc.example.com", "v=DMARC1; p=quarantine; sp=reject")
    item = by_type(dns_check.check("news.example.com", resolver=resolver), "DMARC")
    assert item.name == "_dmarc.example.com"
    assert item.status == "warning"  # no rua=
    assert "rua" in item.advice and "applies" in item.advice
    resolver.publish("_dmarc.news.example.com", "v=DMARC1; p=bogus")
    assert by_type(dns_check.check("news.example.com", resolver=resolver), "DMARC").status == (
        "mismatch"
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "failure",
    [
        dns.resolver.LifetimeTimeout(timeout=3.0, errors=[]),
        dns.resolver.NoNameservers(),
        RuntimeError("boom"),
    ],
)
def test_timeouts_are_reported_not_raised(failure):
    key = dkim.generate_key("example.com")
    resolver = good_resolver(key)
    for name in list(resolver.records):
        resolver.records[name] = failure
    report = dns_check.check("example.com", resolver=resolver)
    statuses = {i.type: i.status for i in report.items}
    assert statuses["SPF"] == statuses["DKIM"] == statuses["DMARC"] == "unreachable"
    assert not report.ok


@pytest.mark.django_db
def test_no_answer_is_missing():
    key = dkim.generate_key("example.com")
    resolver = good_resolver(key)
    resolver.records["example.com"] = dns.resolver.NoAnswer()
    assert by_type(dns_check.check("example.com", resolver=resolver), "SPF").status == "missing"


@pytest.mark.django_db
def test_without_resolver_configuration_everything_is_unreachable(monkeypatch):
    monkeypatch.setattr(dns_check, "make_resolver", lambda timeout=3.0: None)
    dkim.generate_key("example.com")
    report = dns_check.check("example.com")
    assert {i.status for i in report.items if i.type != "alignment"} == {"unreachable"}


def test_make_resolver_has_a_short_lifetime():
    resolver = dns_check.make_resolver()
    if resolver is not None:  # None where the machine has no resolv.conf
        assert resolver.lifetime <= 3.0 and resolver.timeout <= 3.0


@pytest.mark.django_db
def test_alignment_with_bounce_domain(settings):
    key = dkim.generate_key("example.com")
    resolver = good_resolver(key)
    resolver.publish("bounces.example.com", "v=spf1 include:relay.example.net ~all")
    settings.BOUNCE_DOMAIN = "bounces.example.com"
    report = dns_check.check("example.com", resolver=resolver)
    assert by_type(report, "SPF").name == "bounces.example.com"  # SPF is tested there
    assert by_type(report, "alignment").status == "ok"

    settings.BOUNCE_DOMAIN = "mail.other-company.net"
    item = by_type(dns_check.check("example.com", resolver=resolver), "alignment")
    assert item.status == "warning" and "does not align" in item.advice

    resolver.publish("_dmarc.example.com", "v=DMARC1; p=reject; rua=mailto:d@x.com; aspf=s")
    settings.BOUNCE_DOMAIN = "bounces.example.com"
    item = by_type(dns_check.check("example.com", resolver=resolver), "alignment")
    assert item.status == "warning" and "aspf=s" in item.advice


@pytest.mark.django_db
def test_alignment_strict_dkim_with_parent_key():
    key = dkim.generate_key("example.com")
    resolver = good_resolver(key, domain="news.example.com")
    resolver.publish(
        "_dmarc.news.example.com", "v=DMARC1; p=reject; rua=mailto:d@example.com; adkim=s"
    )
    report = dns_check.check("news.example.com", resolver=resolver)
    assert by_type(report, "alignment").status == "mismatch"


def test_relaxed_alignment_helper():
    assert dns_check.relaxed_aligned("news.example.com", "example.com")
    assert dns_check.relaxed_aligned("a.example.com", "b.example.com")
    assert not dns_check.relaxed_aligned("example.com", "example.net")
    assert not dns_check.relaxed_aligned("a.co.uk", "b.co.uk")
    assert dns_check.relaxed_aligned("mail.shop.co.uk", "shop.co.uk")


# --- the command ----------------------------------------------------------------------------


def run_check(monkeypatch, resolver, *args) -> tuple[int, str]:
    monkeypatch.setattr(dns_check, "make_resolver", lambda timeout=3.0: resolver)
    out = StringIO()
    try:
        call_command("dns", "check", *args, stdout=out)
    except SystemExit as exc:
        return exc.code, out.getvalue()
    return 0, out.getvalue()


@pytest.mark.django_db
def test_command_all_good_exits_0(monkeypatch):
    key = dkim.generate_key("example.com", "rsa")
    code, out = run_check(
        monkeypatch, good_resolver(key), "example.com", "--relay-host", "relay.example.net"
    )
    assert code == 0
    assert "DNS check for example.com" in out
    assert "STATUS" in out and "All records are in place." in out
    assert "MISSING" not in out


@pytest.mark.django_db
def test_command_missing_exits_1_and_json(monkeypatch):
    key = dkim.generate_key("example.com")
    resolver = good_resolver(key)
    del resolver.records["_dmarc.example.com"]
    code, out = run_check(monkeypatch, resolver, "example.com")
    assert code == 1
    assert "MISSING  DMARC" in out

    code, out = run_check(monkeypatch, resolver, "example.com", "--json")
    assert code == 1
    data = json.loads(out)
    assert data["domain"] == "example.com" and data["ok"] is False
    assert {i["type"]: i["status"] for i in data["items"]}["DMARC"] == "missing"
    assert set(data["items"][0]) >= {"name", "type", "expected", "published", "status", "advice"}
    assert "PRIVATE" not in out


@pytest.mark.django_db
def test_command_mismatch_exits_1(monkeypatch):
    key = dkim.generate_key("example.com")
    resolver = good_resolver(key)
    resolver.publish(dkim.dns_record(key)[0], "v=DKIM1; k=ed25519; p=AAAA")
    code, _ = run_check(monkeypatch, resolver, "example.com", "--json")
    assert code == 1


@pytest.mark.parametrize("bad", ["", "not a domain", "x-.com", "bad..domain", "localhost"])
def test_command_bad_domain_exits_2(bad, monkeypatch):
    monkeypatch.setattr(dns_check, "make_resolver", lambda timeout=3.0: FakeResolver())
    with pytest.raises(CommandError) as caught:
        call_command("dns", "check", bad)
    assert caught.value.returncode == 2
    assert "\n" not in str(caught.value)


def test_command_bad_domain_from_the_console(capsys):
    from mailwright.cli import main

    with pytest.raises(SystemExit) as caught:
        main(["dns", "check", "bad domain"])
    assert caught.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("CommandError:") and "\n" not in err
