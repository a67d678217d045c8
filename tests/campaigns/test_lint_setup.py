"""The lint's sending-setup warnings (delivery.setup_lint): DKIM for the From domain, its
alignment with the DKIM and Return-Path domains, and HTTPS links when a real relay sends.
No real DNS is ever queried: the DMARC policy comes from a fake resolver."""

from __future__ import annotations

import dns.resolver
import pytest

from mailwright.conf import RelayConfig
from mailwright.delivery import dkim
from mailwright.delivery.setup_lint import setup_findings
from tests.delivery.test_dns_check import FakeResolver

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_real_dns(monkeypatch, settings):
    def refuse(*args, **kwargs):
        raise AssertionError("a test tried to query real DNS")

    monkeypatch.setattr(dns.resolver.Resolver, "resolve", refuse)
    settings.BOUNCE_DOMAIN = ""
    settings.BASE_URL = "https://mail.example.com"


def codes(findings):
    return [f["code"] for f in findings]


def test_signed_aligned_https_setup_gives_nothing():
    dkim.generate_key("example.com", "ed25519")
    assert setup_findings("news@example.com") == []
    assert setup_findings("news@mail.example.com") == []  # the parent's key aligns (relaxed)


def test_from_domain_without_dkim_key():
    [finding] = setup_findings("news@unsigned.example")
    assert finding["code"] == "from_domain_unsigned"
    assert finding["where"] == "from news@unsigned.example"
    assert "mailwright dkim generate unsigned.example" in finding["fix"]
    assert "_domainkey.unsigned.example" in finding["fix"]


def test_bounce_domain_not_aligned(settings):
    dkim.generate_key("example.com", "ed25519")
    settings.BOUNCE_DOMAIN = "bounces.other-provider.net"
    [finding] = setup_findings("news@example.com")
    assert finding["code"] == "from_domain_not_aligned"
    assert "bounces.other-provider.net" in finding["message"]
    assert "MW_BOUNCE_DOMAIN" in finding["fix"]


def test_strict_dmarc_needs_a_key_for_the_exact_domain():
    dkim.generate_key("example.com", "ed25519")
    resolver = FakeResolver()
    resolver.publish("_dmarc.mail.example.com", "v=DMARC1; p=reject; adkim=s")
    assert setup_findings("news@mail.example.com") == []  # without DNS: relaxed
    [finding] = setup_findings("news@mail.example.com", resolver=resolver)
    assert finding["code"] == "from_domain_not_aligned"
    assert "adkim=s" in finding["message"]


def test_http_base_url_with_a_real_relay(settings):
    dkim.generate_key("example.com", "ed25519")
    settings.BASE_URL = "http://mail.example.com"
    # the capture relay (the default) sends nowhere: no warning
    settings.RELAYS = [RelayConfig(f"smtp://{settings.CAPTURE_HOST}:{settings.CAPTURE_PORT}")]
    assert setup_findings("news@example.com") == []
    settings.RELAYS = [RelayConfig("smtp://user:pw@smtp.example.net:587?tls=starttls")]
    [finding] = setup_findings("news@example.com")
    assert finding["code"] == "base_url_not_https"
    assert "RFC 8058" in finding["message"] and "MW_BASE_URL=https://" in finding["fix"]
    assert "pw" not in str(finding)
