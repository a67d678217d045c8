"""Address hygiene: syntax, role accounts, disposable domains, typos, DNS (against a real tiny
DNS server on 127.0.0.1) and the list summary that stops bought lists."""

from __future__ import annotations

import socket
import string
import threading
import time

import dns.flags
import dns.message
import dns.rcode
import dns.resolver
import dns.rrset
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from mailwright.contacts.addresses import normalize_email
from mailwright.contacts.hygiene import (
    Checker,
    Summary,
    Verdict,
    fast_normalize,
    slow_normalize,
    summarize,
)

offline = Checker(offline=True)


def check(address: str) -> Verdict:
    return offline.check(address)


# --- syntax ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "reason_part"),
    [
        ('"ana maria"@example.com', "Quoting"),
        ('"ana"@example.com', "Quoting"),  # needless quotes are still quotes
        ("ana@[192.0.2.1]", "bracketed IP address"),
        ("ana@[IPv6:2001:db8::1]", "bracketed IP address"),
        ("ana..maria@example.com", "two periods"),
        (".ana@example.com", "start with a period"),
        ("ana.@example.com", "period immediately before"),
        ("(comment)ana@example.com", "invalid characters"),
        ("Ana <ana@example.com>", "display name"),
        ("ana@example", "should have a period"),
        ("ana@example.123", "top-level domain"),
        ("ana@localhost", "should have a period"),
        ("ana@mail.test", "special-use"),
        ("ana@-example.com", "hyphen"),
        ("ana@exa_mple.com", "invalid characters"),
        ("ana@ex--ample.com", "two letters followed by two dashes"),
        ("a" * 65 + "@example.com", "64 bytes"),
        ("a@" + "b" * 64 + ".com", "periods cannot be separated"),
        ("a" * 60 + "@" + ".".join(["b" * 60] * 4) + ".com", "too long"),
        ("ana", "@-sign"),
        ("ana@", "after the @-sign"),
        ("@example.com", "before the @-sign"),
        ("ana@exam ple.com", "invalid characters"),
        ("ana\x00@example.com", "NUL"),
        ("ana＠example.com", "full-width"),
    ],
)
def test_unsendable_syntax_is_invalid_with_the_reason(address, reason_part):
    verdict = check(address)
    assert verdict.risk == "invalid"
    assert verdict.valid is False
    assert verdict.normalized is None
    assert len(verdict.reasons) == 1
    assert reason_part in verdict.reasons[0]


@pytest.mark.parametrize(
    ("address", "normalized"),
    [
        ("ñoño@example.es", "ñoño@example.es"),
        ("用户@例子.广告", "用户@xn--fsqu00a.xn--4rr70v"),
        ("zażółć@gęśla.pl", "zażółć@xn--gla-sra44a.pl"),
        ("ivan@пример.бг", "ivan@xn--e1afmkfd.xn--90ae"),
        ("müller@BÜCHER.de", "müller@xn--bcher-kva.de"),
        ("  Ana.Kowalska+news@Example.COM \t", "Ana.Kowalska+news@example.com"),
        ("INFO@Example.com", "info@example.com"),  # RFC 2142 names are case-insensitive
        ("a" * 64 + "@example.com", "a" * 64 + "@example.com"),
        ("o'brien@example.ie", "o'brien@example.ie"),
    ],
)
def test_sendable_addresses_including_internationalized_ones(address, normalized):
    verdict = check(address)
    assert verdict.valid is True, verdict.reasons
    assert verdict.normalized == normalized
    assert verdict.address == address.strip()


def test_verdict_as_dict_is_the_cli_object():
    assert check("ana@gmial.com").as_dict() == {
        "address": "ana@gmial.com",
        "valid": True,
        "normalized": "ana@gmial.com",
        "reasons": [
            "likely typo: did you mean gmail.com?",
            # gmial.com is on the disposable list too; the typo is the more serious finding
            "disposable domain (gmial.com)",
        ],
        "suggestion": "ana@gmail.com",
        "risk": "typo",
    }


# --- the fast path is email-validator's answer, only faster ----------------------------------

ATEXT = string.ascii_letters + string.digits + "!#$%&'*+/=?^_`{|}~-"
atoms = st.text(ATEXT, min_size=1, max_size=12)
ordinary_local = (
    st.lists(atoms, min_size=1, max_size=4).map(".".join).filter(lambda s: len(s) <= 64)
)
ldh = string.ascii_letters + string.digits
label = st.builds(
    lambda a, mid, b: a + mid + b,
    st.sampled_from(ldh),
    st.text(ldh + "-", max_size=8).filter(lambda s: "--" not in s),
    st.text(ldh, min_size=0, max_size=1),
).filter(lambda s: not s.endswith("-"))
tld = st.sampled_from(["com", "PL", "de", "org", "info", "museum", "Co", "xyz"]) | st.text(
    string.ascii_letters, min_size=2, max_size=6
).filter(lambda t: t.lower() not in {"arpa", "invalid", "local", "localhost", "onion", "test"})
ordinary = st.builds(
    lambda local, labels, top: f"{local}@{'.'.join([*labels, top])}",
    ordinary_local | st.sampled_from(["INFO", "Sales", "postMaster", "www", "noc"]),
    st.lists(label, min_size=1, max_size=3),
    tld,
)
long_label = st.text(ldh, min_size=40, max_size=63)
long_ordinary = st.builds(
    lambda local, labels: f"{local}@{'.'.join(labels)}.com",
    st.text(ldh, min_size=50, max_size=64),
    st.lists(long_label, min_size=2, max_size=4),
)


def of_length(n: int) -> str:
    """An ordinary-looking address of exactly n characters (for n around 254)."""
    domain_len = n - 65
    labels, left = [], domain_len - 4
    while left > 0:
        size = min(63, left)
        labels.append("b" * size)
        left -= size + 1
    address = "a" * 64 + "@" + ".".join(labels) + ".com"
    assert len(address) == n
    return address


# Anything near an address: quotes, brackets, spaces, dots, dashes, "xn--", non-ASCII.
near = st.lists(
    st.sampled_from(
        [
            *"aZ09.-_+@\"[]() <>\\,;:!#$%&'*/=?^`{|}~",
            *("xn--", "--", "ñ", "K", "İ", "\x00", "\t", "arpa", "local", "test", ".com"),
            *("a" * 63, "@example.com"),
        ]
    ),
    max_size=30,
).map(
    lambda parts: "".join(parts).replace("K", "\u212a")
)  # the Kelvin sign lower-cases to ASCII "k"


@settings(max_examples=1500, deadline=None)
@given(st.one_of(ordinary, long_ordinary, near))
@example(of_length(254))
@example(of_length(255))
@example("a@b.co")
@example("A@xn--bcher-kva.de")
@example("ab@cd--ef.com")
@example("x@" + "a" * 63 + ".com")
@example("x@" + "a" * 64 + ".com")
@example("a" * 65 + "@example.com")
@example("WWW@Example.onion")
def test_fast_path_never_disagrees_with_email_validator(text):
    fast = fast_normalize(text)
    if fast is not None:
        reference, reason = slow_normalize(text)
        assert fast == reference, reason
        assert fast == normalize_email(text)


@settings(max_examples=1000, deadline=None)
@given(ordinary)
def test_fast_path_decides_every_ordinary_address(text):
    reference, reason = slow_normalize(text)
    if len(text) <= 254:
        assert reference is not None, reason
    assert fast_normalize(text) == reference


# --- role accounts, disposable domains, typos ------------------------------------------------


@pytest.mark.parametrize(
    ("address", "role"),
    [
        ("info@shop.example.com", "info"),
        ("Admin@shop.example.com", "admin"),
        ("no-reply@shop.example.com", "no-reply"),
        ("noreply+2024@shop.example.com", "noreply"),
        ("postmaster@shop.example.com", "postmaster"),
        ("biuro@firma.pl", "biuro"),
        ("kontakt@firma.pl", "kontakt"),
        ("iletisim@firma.com.tr", "iletisim"),
        ("contacto@empresa.es", "contacto"),
    ],
)
def test_role_accounts(address, role):
    verdict = check(address)
    assert verdict.risk == "role"
    assert verdict.valid is True
    assert verdict.reasons == (f"role account ({role}@)",)


def test_a_person_is_not_a_role_account():
    for address in ("ana@firma.pl", "information.desk.jane@firma.pl", "infoanna@firma.pl"):
        assert check(address).risk == "ok", address


@pytest.mark.parametrize(
    ("address", "listed"),
    [
        ("ana@mailinator.com", "mailinator.com"),
        ("ana@Temp.Mailinator.com", "mailinator.com"),  # subdomains count
        ("ana@a.b.guerrillamail.com", "guerrillamail.com"),
    ],
)
def test_disposable_domains_and_their_subdomains(address, listed):
    verdict = check(address)
    assert verdict.risk == "disposable"
    assert verdict.valid is True
    assert f"disposable domain ({listed})" in verdict.reasons


def test_disposable_beats_role():
    verdict = check("info@mailinator.com")
    assert verdict.risk == "disposable"
    assert verdict.reasons == ("disposable domain (mailinator.com)", "role account (info@)")


@pytest.mark.parametrize(
    ("address", "suggestion"),
    [
        ("ana@gmial.com", "ana@gmail.com"),
        ("ana@hotmial.com", "ana@hotmail.com"),
        ("ana@yaho.com", "ana@yahoo.com"),
        ("ana@gmail.con", "ana@gmail.com"),
        ("ana@wp.p", "ana@wp.pl"),
        ("Ana@Outlok.com", "Ana@outlook.com"),
        ("ana@googlemial.com", "ana@googlemail.com"),
        ("ana@intreia.pl", "ana@interia.pl"),
        ("ivan@abv.bh", "ivan@abv.bg"),
        ("taro@yahooo.co.jp", "taro@yahoo.co.jp"),
        ("ana@firma.con", "ana@firma.com"),  # a misspelled TLD on any domain
        ("ana@shop.example.cmo", "ana@shop.example.com"),
    ],
)
def test_typos_get_a_suggestion(address, suggestion):
    verdict = check(address)
    assert verdict.risk == "typo"
    assert verdict.valid is True
    assert verdict.suggestion == suggestion
    assert verdict.reasons[0].startswith("likely typo: did you mean")


@pytest.mark.parametrize(
    "domain",
    [
        "gmail.com", "googlemail.com", "yahoo.com", "hotmail.com", "outlook.com", "live.com",
        "icloud.com", "aol.com", "gmx.de", "gmx.net", "gmx.at", "web.de", "wp.pl", "o2.pl",
        "op.pl", "onet.pl", "interia.pl", "yandex.ru", "mail.ru", "abv.bg", "yahoo.co.jp",
        "email.com", "mail.com", "hotmail.se", "yahoo.co.id", "live.nl", "foo.com",
        "aon.at", "t-online.de", "firma.pl", "example.com", "ymail.com", "me.com", "mac.com",
    ],
)  # fmt: skip
def test_no_suggestion_for_real_providers(domain):
    verdict = check(f"ana@{domain}")
    assert verdict.suggestion is None
    assert verdict.risk == "ok"


def test_an_invalid_address_still_gets_an_obvious_suggestion():
    verdict = check("ana@gmail")
    assert verdict.risk == "invalid"
    assert verdict.suggestion == "ana@gmail.com"


def test_check_many_keeps_order_and_passes_rejected_lines_through():
    rejected = Verdict.rejected("\ufffd", "unreadable")
    addresses = ["b@example.com", rejected, "info@example.com", "nope"]
    verdicts = list(offline.check_many(iter(addresses)))
    assert [v.address for v in verdicts] == ["b@example.com", "\ufffd", "info@example.com", "nope"]
    assert [v.risk for v in verdicts] == ["ok", "invalid", "role", "invalid"]
    assert verdicts[1] is rejected


# --- DNS against a real (tiny) DNS server ---------------------------------------------------

ZONE = {
    ("has-mx.org.", "MX"): ["10 mx1.has-mx.org.", "20 mx2.has-mx.org."],
    ("a-only.org.", "A"): ["192.0.2.10"],
    ("v6-only.org.", "AAAA"): ["2001:db8::25"],
    ("null-mx.org.", "MX"): ["0 ."],
    ("info-mx.org.", "MX"): ["10 mx.info-mx.org."],
}
NXDOMAIN = {"gone.org.", "gmial.com."}
SERVFAIL = {"broken.org."}


class TinyDns:
    """A UDP DNS server on 127.0.0.1 answering from ZONE (or not at all when silent)."""

    def __init__(self, silent: bool = False):
        self.silent = silent
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.questions: list[tuple[str, str]] = []
        self.running = True
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while self.running:
            try:
                data, peer = self.sock.recvfrom(4096)
            except TimeoutError:
                continue
            query = dns.message.from_wire(data)
            question = query.question[0]
            name, rdtype = question.name.to_text().lower(), dns.rdatatype.to_text(question.rdtype)
            self.questions.append((name, rdtype))
            if self.silent:
                continue
            response = dns.message.make_response(query)
            response.flags |= dns.flags.RA
            if name in NXDOMAIN:
                response.set_rcode(dns.rcode.NXDOMAIN)
            elif name in SERVFAIL:
                response.set_rcode(dns.rcode.SERVFAIL)
            elif records := ZONE.get((name, rdtype)):
                response.answer.append(dns.rrset.from_text(name, 300, "IN", rdtype, *records))
            self.sock.sendto(response.to_wire(), peer)

    def resolver(self) -> dns.resolver.Resolver:
        resolver = dns.resolver.Resolver(configure=False)
        resolver.nameservers = ["127.0.0.1"]
        resolver.port = self.port
        resolver.retry_servfail = False
        return resolver

    def close(self):
        self.running = False
        self.thread.join()
        self.sock.close()


@pytest.fixture
def dns_server():
    server = TinyDns()
    yield server
    server.close()


@pytest.fixture
def silent_dns_server():
    server = TinyDns(silent=True)
    yield server
    server.close()


@pytest.mark.parametrize(
    ("address", "valid", "risk", "reasons"),
    [
        ("ana@has-mx.org", True, "ok", ()),
        ("ana@a-only.org", True, "ok", ()),  # RFC 5321 §5.1: the A record is the implicit MX
        ("ana@v6-only.org", True, "ok", ()),
        ("ana@null-mx.org", False, "no_mx", ("the domain accepts no email (null MX)",)),
        ("ana@gone.org", False, "no_mx", ("the domain does not exist",)),
        (
            "ana@nothing.org",
            False,
            "no_mx",
            ("the domain has no mail server (no MX, A or AAAA record)",),
        ),
        ("ana@broken.org", True, "ok", ("DNS did not answer",)),  # SERVFAIL: no verdict
        ("info@broken.org", True, "role", ("DNS did not answer", "role account (info@)")),
        ("info@info-mx.org", True, "role", ("role account (info@)",)),
        (
            "ana@gmial.com",
            False,
            "typo",
            (
                "likely typo: did you mean gmail.com?",
                "the domain does not exist",
                "disposable domain (gmial.com)",
            ),
        ),
    ],
)
def test_dns_verdicts(dns_server, address, valid, risk, reasons):
    verdict = Checker(resolver=dns_server.resolver(), timeout=2).check(address)
    assert (verdict.valid, verdict.risk, verdict.reasons) == (valid, risk, reasons)


def test_each_domain_is_asked_once(dns_server):
    checker = Checker(resolver=dns_server.resolver())
    addresses = [f"user{i}@has-mx.org" for i in range(300)] + [
        f"user{i}@a-only.org" for i in range(300)
    ]
    verdicts = list(checker.check_many(addresses))
    assert all(v.valid and v.risk == "ok" for v in verdicts)
    assert sorted(dns_server.questions) == [
        ("a-only.org.", "A"),
        ("a-only.org.", "MX"),
        ("has-mx.org.", "MX"),
    ]


def test_a_dns_server_that_never_answers_costs_one_bounded_wait(silent_dns_server):
    checker = Checker(resolver=silent_dns_server.resolver(), timeout=0.5)
    started = time.monotonic()
    verdicts = list(
        checker.check_many(
            [f"user{i}@has-mx.org" for i in range(50)] + ["info@a-only.org", "x@nothing.org"]
        )
    )
    elapsed = time.monotonic() - started
    assert elapsed < 2.0, f"took {elapsed:.1f} s"
    assert [v.risk for v in verdicts[-3:]] == ["ok", "role", "ok"]
    assert all(v.valid and "DNS did not answer" in v.reasons for v in verdicts)


def test_offline_asks_no_dns(dns_server):
    verdict = Checker(offline=True, resolver=dns_server.resolver()).check("ana@gone.org")
    assert verdict.valid is True
    assert dns_server.questions == []


# --- summaries ------------------------------------------------------------------------------


def test_a_clean_list_is_not_held():
    summary = summarize(
        [f"person{i}@example.com" for i in range(95)] + ["bad@@x"] * 5 + ["info@x.com"] * 20
    )
    assert summary.total == 120
    assert summary.counts == {
        "ok": 95,
        "role": 20,
        "disposable": 0,
        "typo": 0,
        "no_mx": 0,
        "invalid": 5,
    }
    assert summary.looks_bought is False
    assert summary.warnings == []


def test_a_list_with_many_invalid_addresses_looks_bought():
    summary = summarize([f"p{i}@example.com" for i in range(88)] + ["not an address"] * 12)
    assert summary.invalid_share == pytest.approx(0.12)
    assert summary.looks_bought is True
    assert summary.warnings == [
        "12.0 % of the addresses are invalid or their domain accepts no mail (more than "
        "10.0 %): a list like this is usually bought, scraped or years old, and the bounces it "
        "brings get sending accounts locked."
    ]
    assert summary.as_dict()["looks_bought"] is True


def test_a_scraped_list_of_role_and_disposable_addresses_looks_bought():
    addresses = (
        [f"p{i}@example.com" for i in range(65)]
        + [f"info@shop{i}.example.com" for i in range(25)]
        + [f"x{i}@mailinator.com" for i in range(10)]
    )
    summary = summarize(addresses)
    assert summary.role_disposable_share == pytest.approx(0.35)
    assert summary.looks_bought is True
    assert len(summary.warnings) == 1
    assert summary.warnings[0].startswith("35.0 % of the addresses are role accounts")


def test_hold_thresholds_come_from_settings(settings):
    settings.HYGIENE_HOLD_INVALID = 0.5
    summary = summarize([f"p{i}@example.com" for i in range(60)] + ["nope"] * 40)
    assert summary.looks_bought is False
    settings.HYGIENE_HOLD_INVALID = 0.3
    assert summarize([f"p{i}@example.com" for i in range(60)] + ["nope"] * 40).looks_bought


def test_summary_round_trips_through_its_dict():
    summary = summarize(["a@example.com", "nope", "info@example.com"])
    again = Summary.from_dict(summary.as_dict())
    assert again.as_dict() == summary.as_dict()
    assert again.looks_bought is True
