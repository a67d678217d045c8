"""The Delivery area of the staff UI: relays, destination-domain policies, DKIM keys and the
DNS check, reputation figures and alerts, and the reason a campaign paused itself."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import dns.resolver
import pytest
from django.test import Client
from django.utils import timezone

from mailwright.campaigns.models import Campaign
from mailwright.conf import RelayConfig
from mailwright.delivery import dkim, dns_check, limits, relays
from mailwright.delivery.models import (
    Delivery,
    DkimKey,
    DomainPolicy,
    Relay,
    RelayState,
    UsageCounter,
)
from mailwright.feedback import reputation
from mailwright.feedback.models import Event
from mailwright.web.shell.alerts import alerts
from tests.conftest import make_campaign

SECRET = "s3cret-Pa55"
RELAY_URL = (
    f"smtp://mailer:{SECRET}@smtp.example.net:587?tls=starttls&rate=50/s&concurrency=10&daily=500"
)

GET_PAGES = [
    "/delivery/",
    "/delivery/relays/",
    "/delivery/domains/",
    "/delivery/dkim/",
    "/delivery/dkim/check/",
    "/delivery/reputation/",
]


@pytest.fixture
def staff(client, admin_user):
    client.force_login(admin_user)
    return client


def add_relay(staff, **overrides):
    data = {
        "name": "primary",
        "url": RELAY_URL,
        "password": "",
        "stream": "all",
        "weight": "2",
        "enabled": "on",
        **overrides,
    }
    return staff.post("/delivery/relays/", data)


def html(response) -> str:
    return response.content.decode()


# --- access -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_every_delivery_page_needs_login(client):
    for url in GET_PAGES:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/login/"), url
    relay = Relay.objects.create(name="r", url="smtp://h:25")
    policy = DomainPolicy.objects.create(domain="gmail.com", hourly_cap=10)
    for url in [
        "/delivery/relays/",
        f"/delivery/relays/{relay.pk}/disable/",
        f"/delivery/relays/{relay.pk}/delete/",
        f"/delivery/domains/{policy.pk}/delete/",
        f"/delivery/domains/{policy.pk}/warm-up/",
        "/delivery/dkim/",
        "/delivery/dkim/rotate/",
    ]:
        response = client.post(url, {"name": "x", "domain": "example.com"})
        assert response.status_code == 302, url
        assert response["Location"].startswith("/login/"), url
    assert Relay.objects.get().enabled
    assert DomainPolicy.objects.exists()
    assert not DkimKey.objects.exists()


def test_every_delivery_page_renders(staff):
    for url in GET_PAGES:
        response = staff.get(url, follow=True)
        assert response.status_code == 200, url
    assert 'aria-current="page">Delivery</a>' in html(staff.get("/delivery/relays/"))


def test_posts_need_the_csrf_token(admin_user):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(admin_user)
    response = strict.post("/delivery/relays/", {"name": "x", "url": "smtp://h:25"})
    assert response.status_code == 403
    assert not Relay.objects.exists()


def test_unknown_ids_are_404_and_actions_need_post(staff):
    for url in ["/delivery/relays/999/edit/", "/delivery/domains/999/edit/"]:
        assert staff.get(url).status_code == 404
    for url in [
        "/delivery/relays/999/enable/",
        "/delivery/relays/999/disable/",
        "/delivery/relays/999/delete/",
        "/delivery/domains/999/delete/",
        "/delivery/domains/999/warm-up/",
    ]:
        assert staff.post(url).status_code == 404
    relay = Relay.objects.create(name="r", url="smtp://h:25")
    assert staff.get(f"/delivery/relays/{relay.pk}/delete/").status_code == 405
    assert staff.get("/delivery/dkim/rotate/").status_code == 405
    assert Relay.objects.exists()


# --- relays -----------------------------------------------------------------------------------


def test_create_relay_with_a_valid_url(staff):
    response = add_relay(staff)
    assert response.status_code == 302
    relay = Relay.objects.get()
    assert (relay.name, relay.url, relay.weight, relay.stream, relay.enabled) == (
        "primary",
        RELAY_URL,
        2,
        "all",
        True,
    )
    page = html(staff.get("/delivery/relays/"))
    assert "Relay “primary” added." in page
    assert "smtp://mailer:***@smtp.example.net:587" in page
    assert "rate 50/s" in page
    assert "conn. 10" in page
    assert "0 / 500" in page
    assert SECRET not in page
    # The workers now use it instead of MW_RELAY_URL.
    assert [c.key for c in relays.configured()] == ["primary"]
    assert "No relay is enabled here" not in page


@pytest.mark.parametrize(
    ("url", "error"),
    [
        ("http://smtp.example.net", "relay URL must start with smtp:// or smtps://"),
        (f"smtp://mailer:{SECRET}@smtp.example.net?rate=fast", "relay URL rate= must look like"),
        (f"smtp://mailer:{SECRET}@smtp.example.net:99999", "relay URL has a bad port"),
        ("smtp://smtp.example.net?tls=maybe", "tls= must be one of none, starttls, tls"),
        ("smtp://smtp.example.net?daily=-5", "daily= must be a whole number of 1 or more"),
        (f"smtp://mailer:{SECRET}/x#y@smtp.example.net", "must be percent-encoded"),
        ("smtp://smtp.example.net\r\nX: y", "must not contain spaces or line breaks"),
    ],
)
def test_a_bad_relay_url_is_a_field_error_and_nothing_is_saved(staff, url, error):
    response = add_relay(staff, url=url)
    assert response.status_code == 200
    page = html(response)
    assert error in page
    assert "has-error" in page
    assert SECRET not in page
    assert not Relay.objects.exists()


def test_relay_form_validation(staff):
    add_relay(staff)
    page = html(add_relay(staff, url="smtp://other.example.net"))
    assert "A relay with this name exists already." in page
    page = html(add_relay(staff, name="bad name!", weight="0"))
    assert "Enter a valid “slug”" in page
    assert "Ensure this value is greater than or equal to 1." in page
    page = html(add_relay(staff, name="second", url="smtp://mailer:***@smtp.example.net"))
    assert "“***” in the URL stands for it" in page
    page = html(add_relay(staff, name="third", url="smtp://smtp.example.net", password="pw"))
    assert "Put the user name in the URL" in page
    assert Relay.objects.count() == 1


def test_create_relay_with_the_password_in_its_own_field(staff):
    secret = "p@ss/w#rd?"
    response = add_relay(staff, url="smtp://mailer@smtp.example.net:465?tls=tls", password=secret)
    assert response.status_code == 302
    relay = Relay.objects.get()
    assert relay.url == "smtp://mailer:p%40ss%2Fw%23rd%3F@smtp.example.net:465?tls=tls"
    config = RelayConfig(relay.url)
    assert (config.username, config.password, config.host) == ("mailer", secret, "smtp.example.net")
    assert "p%40ss" not in html(staff.get("/delivery/relays/"))


def test_edit_keeps_the_password_when_empty_and_replaces_it_when_given(staff):
    add_relay(staff)
    relay = Relay.objects.get()
    edit_url = f"/delivery/relays/{relay.pk}/edit/"
    page = html(staff.get(edit_url))
    assert SECRET not in page
    shown = "smtp://mailer:***@smtp.example.net:587?tls=starttls&amp;rate=50/s"
    assert shown in page

    # Empty password: the stored one stays, whatever else changes.
    new_url = "smtp://mailer:***@smtp2.example.net:2525?tls=starttls&daily=100"
    data = {"url": new_url, "password": "", "stream": "marketing", "weight": "3", "enabled": "on"}
    assert staff.post(edit_url, data).status_code == 302
    relay.refresh_from_db()
    assert relay.url == f"smtp://mailer:{SECRET}@smtp2.example.net:2525?tls=starttls&daily=100"
    assert (relay.stream, relay.weight) == ("marketing", 3)

    # A new password replaces it, percent-encoded.
    data["password"] = "n3w:p@ss"
    assert staff.post(edit_url, data).status_code == 302
    relay.refresh_from_db()
    assert relay.url == "smtp://mailer:n3w%3Ap%40ss@smtp2.example.net:2525?tls=starttls&daily=100"
    assert RelayConfig(relay.url).password == "n3w:p@ss"

    # A bad URL on edit: an error, nothing saved, no password shown back.
    data.update(url="smtp://mailer:***@smtp2.example.net?rate=lots", password="")
    response = staff.post(edit_url, data)
    page = html(response)
    assert response.status_code == 200
    assert "relay URL rate= must look like" in page
    assert "n3w" not in page and "p%40ss" not in page
    relay.refresh_from_db()
    assert "n3w%3Ap%40ss" in relay.url

    # Deleting ":***" from the URL removes the password.
    data.update(url="smtp://mailer@smtp2.example.net:2525", password="")
    assert staff.post(edit_url, data).status_code == 302
    relay.refresh_from_db()
    assert relay.url == "smtp://mailer@smtp2.example.net:2525"

    for url in ["/", "/delivery/relays/", edit_url, "/delivery/reputation/"]:
        page = html(staff.get(url))
        assert SECRET not in page and "n3w" not in page, url


def test_disable_enable_and_delete_a_relay(staff):
    add_relay(staff)
    relay = Relay.objects.get()
    response = staff.post(f"/delivery/relays/{relay.pk}/disable/", follow=True)
    relay.refresh_from_db()
    assert not relay.enabled
    page = html(response)
    assert "Relay “primary” disabled" in page
    assert "No relay is enabled here, so the workers use <code>MW_RELAY_URL</code>" in page
    assert "primary" not in [c.key for c in relays.configured()]

    staff.post(f"/delivery/relays/{relay.pk}/enable/")
    relay.refresh_from_db()
    assert relay.enabled
    assert [c.key for c in relays.configured()] == ["primary"]

    staff.post(f"/delivery/relays/{relay.pk}/delete/")
    assert not Relay.objects.exists()


def test_relay_list_shows_todays_usage_and_back_off(staff):
    add_relay(staff)
    UsageCounter.objects.create(
        scope="relay-day:primary", window_start=limits.day_start(), used=123
    )
    UsageCounter.objects.create(
        scope="relay-day:primary", window_start=limits.day_start() - timedelta(days=1), used=450
    )
    RelayState.objects.create(
        key="primary",
        throttled_until=timezone.now() + timedelta(minutes=5),
        backoff_seconds=60,
        last_error="421 4.7.0 Too many messages, slow down",
    )
    page = html(staff.get("/delivery/relays/"))
    assert "123 / 500" in page
    assert "450" not in page
    assert "backing off" in page
    assert "(60 s)" in page
    assert "421 4.7.0 Too many messages, slow down" in page


def test_no_relay_rows_means_the_capture_relay(staff, settings):
    page = html(staff.get("/delivery/relays/"))
    assert "No relays configured here." in page
    assert "No relay is enabled here" in page
    capture = settings.RELAYS[0]
    if (capture.host, capture.port) == (settings.CAPTURE_HOST, settings.CAPTURE_PORT):
        assert "local capture relay" in page


# --- destination domains ----------------------------------------------------------------------


def policy_data(**overrides):
    return {
        "domain": "Gmail.COM",
        "hourly_cap": "500",
        "warmup_start": "",
        "warmup_growth": "1.5",
        **overrides,
    }


def test_domain_policy_crud(staff):
    response = staff.post("/delivery/domains/", policy_data())
    assert response.status_code == 302
    policy = DomainPolicy.objects.get()
    assert (policy.domain, policy.hourly_cap, policy.warmup_start) == ("gmail.com", 500, None)

    UsageCounter.objects.create(
        scope="domain-hour:gmail.com", window_start=limits.hour_start(), used=42
    )
    UsageCounter.objects.create(
        scope="domain-hour:gmail.com", window_start=limits.hour_start() - timedelta(hours=1), used=7
    )
    page = html(staff.get("/delivery/domains/"))
    assert 'data-domain="gmail.com"' in page
    assert '<td class="num" data-testid="used">42</td>' in page
    assert '<td class="num" data-testid="cap">500</td>' in page

    edit = f"/delivery/domains/{policy.pk}/edit/"
    assert staff.get(edit).status_code == 200
    data = policy_data(domain="gmail.com", hourly_cap="1000", warmup_start="50", warmup_growth="2")
    assert staff.post(edit, data).status_code == 302
    policy.refresh_from_db()
    assert (policy.hourly_cap, policy.warmup_start, policy.warmup_growth) == (1000, 50, 2.0)
    assert policy.warmup_started_at is None

    response = staff.post(f"/delivery/domains/{policy.pk}/warm-up/", follow=True)
    policy.refresh_from_db()
    assert policy.warmup_started_at is not None
    assert "Warm-up of gmail.com started: 50 messages per hour" in html(response)
    assert limits.hourly_cap(policy) == 50
    assert '<td class="num" data-testid="cap">50 <span' in html(response)

    staff.post(f"/delivery/domains/{policy.pk}/delete/")
    assert not DomainPolicy.objects.exists()


def test_warm_up_needs_a_start_rate(staff):
    policy = DomainPolicy.objects.create(domain="gmail.com", hourly_cap=10)
    response = staff.post(f"/delivery/domains/{policy.pk}/warm-up/", follow=True)
    assert "Set a warm-up start for gmail.com first." in html(response)
    policy.refresh_from_db()
    assert policy.warmup_started_at is None


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"hourly_cap": "-5"}, "Ensure this value is greater than or equal to 1."),
        ({"hourly_cap": "0"}, "Ensure this value is greater than or equal to 1."),
        ({"hourly_cap": "lots"}, "Enter a whole number."),
        ({"domain": "not a domain"}, "is not a valid domain name"),
        ({"domain": "ana@gmail.com"}, "looks like an e-mail address"),
        ({"domain": ""}, "This field is required."),
        ({"warmup_growth": "0.5"}, "Ensure this value is greater than or equal to 1.0."),
        ({"warmup_growth": "nan"}, "Enter a number."),
        ({"warmup_start": "0"}, "Ensure this value is greater than or equal to 1."),
        ({"warmup_start": "900"}, "The warm-up start must not be above the hourly cap."),
    ],
)
def test_domain_policy_validation(staff, overrides, error):
    response = staff.post("/delivery/domains/", policy_data(**overrides))
    assert response.status_code == 200
    assert error in html(response)
    assert not DomainPolicy.objects.exists()


def test_domain_policy_duplicates_are_refused(staff):
    staff.post("/delivery/domains/", policy_data())
    other = DomainPolicy.objects.create(domain="yahoo.com", hourly_cap=10)
    assert "There is a policy for gmail.com already." in html(
        staff.post("/delivery/domains/", policy_data(domain="GMAIL.com."))
    )
    assert "There is a policy for gmail.com already." in html(
        staff.post(f"/delivery/domains/{other.pk}/edit/", policy_data())
    )
    assert DomainPolicy.objects.count() == 2


# --- DKIM -------------------------------------------------------------------------------------


def test_generate_an_rsa_key_shows_its_dns_record_and_never_the_private_key(staff):
    page = html(staff.get("/delivery/dkim/"))
    assert "RSA-2048 (recommended)" in page
    assert "Gmail does not verify Ed25519" in page
    response = staff.post(
        "/delivery/dkim/", {"domain": "Example.COM", "algorithm": "rsa-sha256"}, follow=True
    )
    key = DkimKey.objects.get()
    assert (key.domain, key.algorithm, key.active) == ("example.com", "rsa-sha256", True)
    page = html(response)
    name, value = dkim.dns_record(key)
    assert f">{name}</pre>" in page
    assert f">{value}</pre>" in page
    assert "v=DKIM1; k=rsa; p=" in page
    assert "badge-key-active" in page
    assert "PRIVATE KEY" not in page
    assert key.private_key_pem.splitlines()[1] not in page


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"domain": "example.com", "algorithm": "dsa"}, "Select a valid choice."),
        ({"domain": "not a domain", "algorithm": "rsa-sha256"}, "is not a valid domain name"),
        ({"domain": "localhost", "algorithm": "rsa-sha256"}, "it needs a dot"),
        ({"domain": "", "algorithm": "rsa-sha256"}, "This field is required."),
    ],
)
def test_generate_refuses_bad_input(staff, data, error):
    response = staff.post("/delivery/dkim/", data)
    assert response.status_code == 200
    assert error in html(response)
    assert not DkimKey.objects.exists()


def test_rotate_marks_the_old_key_retiring(staff):
    old = dkim.generate_key("example.com", "rsa-sha256")
    response = staff.post("/delivery/dkim/rotate/", {"domain": "example.com"}, follow=True)
    old.refresh_from_db()
    assert not old.active and old.retired_at is not None
    assert dkim.key_state(old) == "retiring"
    new = DkimKey.objects.get(active=True)
    assert new.algorithm == "rsa-sha256"
    page = html(response)
    assert f'data-selector="{old.selector}" data-state="retiring"' in page
    assert f'data-selector="{new.selector}" data-state="active"' in page
    assert "PRIVATE KEY" not in page

    staff.post("/delivery/dkim/rotate/", {"domain": "example.com", "algorithm": "ed25519-sha256"})
    assert DkimKey.objects.get(active=True).algorithm == "ed25519-sha256"

    response = staff.post("/delivery/dkim/rotate/", {"domain": "bad domain!"}, follow=True)
    assert "Could not rotate" in html(response)
    response = staff.post("/delivery/dkim/rotate/", {"domain": "example.com", "algorithm": "x"})
    assert response.status_code == 302
    assert DkimKey.objects.count() == 3


@dataclass
class FakeTxt:
    strings: tuple[bytes, ...]


class FakeResolver:
    """dnspython-shaped: resolve(name, "TXT") gives the published records, else NXDOMAIN."""

    def __init__(self, records: dict[str, list[str]]) -> None:
        self.records = records

    def resolve(self, name, rdtype="A"):
        found = self.records.get(str(name).rstrip(".").lower())
        if found is None:
            raise dns.resolver.NXDOMAIN()
        return [FakeTxt((value.encode(),)) for value in found]


@pytest.fixture
def fake_dns(monkeypatch, settings):
    settings.BOUNCE_DOMAIN = ""

    def refuse(*args, **kwargs):
        raise AssertionError("a test tried to query real DNS")

    monkeypatch.setattr(dns.resolver.Resolver, "resolve", refuse)
    records: dict[str, list[str]] = {}
    monkeypatch.setattr(dns_check, "make_resolver", lambda timeout=3.0: FakeResolver(records))
    return records


def test_dns_check_shows_the_report_with_statuses(staff, fake_dns):
    key = dkim.generate_key("example.com", "rsa-sha256")
    name, value = dkim.dns_record(key)
    fake_dns["example.com"] = ["v=spf1 include:relay.example.net ~all"]
    fake_dns[name] = [value]
    page = html(staff.get("/delivery/dkim/"))
    assert "/delivery/dkim/check/?domain=example.com" in page

    response = staff.get("/delivery/dkim/check/", {"domain": "Example.com"})
    assert response.status_code == 200
    page = html(response)
    assert "DNS check for example.com" in page
    assert '<tr data-type="SPF" data-status="ok">' in page
    assert '<tr data-type="DKIM" data-status="ok">' in page
    assert '<tr data-type="DMARC" data-status="missing">' in page
    assert "badge-dns-missing" in page
    assert "Publish a DMARC record" in page
    assert "need attention" in page or "needs attention" in page
    assert "PRIVATE KEY" not in page


def test_dns_check_refuses_a_bad_domain(staff, fake_dns):
    response = staff.get("/delivery/dkim/check/", {"domain": "not a domain"})
    assert response.status_code == 200
    assert "is not a valid domain name" in html(response)
    response = staff.get("/delivery/dkim/check/", {"domain": "example.com", "relay_host": "a b"})
    assert "Give a host name or an IP address." in html(response)


# --- reputation -------------------------------------------------------------------------------


def make_deliveries(n: int, stream: str = "marketing", state: str = "sent", when=None, **extra):
    when = when or timezone.now() - timedelta(hours=1)
    rows = [
        Delivery(
            email=f"r{stream}{state}{i}@example.com",
            domain="example.com",
            stream=stream,
            state=state,
            next_attempt_at=when,
            created_at=when,
            updated_at=when,
            sent_at=when if state == "sent" else None,
            **extra,
        )
        for i in range(n)
    ]
    return Delivery.objects.bulk_create(rows, batch_size=500)


def complain(deliveries, when=None):
    when = when or timezone.now() - timedelta(minutes=30)
    Event.objects.bulk_create(
        [Event(type="complained", delivery=d, created_at=when) for d in deliveries]
    )


def test_reputation_figures_and_alerts(staff):
    make_deliveries(940)
    bounced = make_deliveries(60, state="bounced")
    make_deliveries(500, state="bounced", when=timezone.now() - timedelta(days=8))  # too old
    make_deliveries(30, state="queued")  # not attempted yet
    make_deliveries(200, stream="service")

    page = html(staff.get("/delivery/reputation/"))
    assert '<section class="card stream stream-over" data-stream="marketing"' in page
    assert '<section class="card stream stream-ok" data-stream="service"' in page
    assert '<span class="big">1,000</span> deliveries attempted · 60 bounced' in page
    assert '<td class="num rate">6 %</td>' in page
    assert "over review line" in page
    assert "review 5 %" in page and "pause 10 %" in page
    assert "review 0.1 %" in page and "pause 0.5 %" in page
    assert "guidance 0.1 %" in page and "limit 0.3 %" in page
    assert 'data-testid="reputation-alert"' in page
    assert "Marketing mail: hard-bounce rate 6 % — over review line (Amazon SES)" in page

    dashboard = html(staff.get("/"))
    assert 'data-testid="reputation-alert"' in dashboard
    assert "hard-bounce rate 6 % — over review line" in dashboard
    assert "/delivery/reputation/" in dashboard

    complain(bounced[:2])
    complain(bounced[2:5], when=timezone.now() - timedelta(days=9))  # outside the window
    page = html(staff.get("/delivery/reputation/"))
    assert "2 complaints" in page
    assert "Marketing mail: complaint rate 0.2 % — over review line (Amazon SES)" in page
    assert "Marketing mail: complaint rate 0.2 % — over guidance line (Gmail spam-rate" in page


def test_no_alert_when_the_streams_are_healthy(staff):
    make_deliveries(1000)
    make_deliveries(10, state="bounced")
    assert 'data-testid="reputation-alert"' not in html(staff.get("/"))
    page = html(staff.get("/delivery/reputation/"))
    assert 'data-testid="reputation-alert"' not in page
    assert '<td class="num rate">0.99 %</td>' in page


def test_assess_against_the_lines():
    ses = reputation.SES_BOUNCE
    assert reputation.assess(0.0, ses).status == "ok"
    assert reputation.assess(0.039, ses).label == "ok"
    assert reputation.assess(0.04, ses).status == "warning"  # 80 % of 5 %
    assert reputation.assess(0.04, ses).label == "near review line"
    assert reputation.assess(0.05, ses).label == "over review line"  # at the line is over
    assert reputation.assess(0.06, ses).label == "over review line"
    assert reputation.assess(0.085, ses).label == "over review line"
    assert reputation.assess(0.10, ses).label == "over pause line"
    gmail = reputation.GMAIL_SPAM
    assert reputation.assess(0.0007, gmail).status == "ok"
    assert reputation.assess(0.0008, gmail).label == "near guidance line"
    assert reputation.assess(0.001, gmail).label == "over guidance line"
    assert reputation.assess(0.0025, gmail).label == "over guidance line"
    assert reputation.assess(0.003, gmail).label == "over limit line"
    assert [c.status for c in reputation.assess(0.0025, gmail).checks] == ["over", "warning"]
    assert reputation.percent(0.06) == "6 %"
    assert reputation.percent(0.0012) == "0.12 %"
    assert reputation.percent(0.001) == "0.1 %"
    assert reputation.worst(["ok", "over", "warning"]) == "over"
    assert reputation.worst([]) == "ok"


@pytest.mark.django_db
def test_stream_reputation_for_a_given_moment():
    now = timezone.now()
    sent = make_deliveries(97, when=now - timedelta(days=6, hours=23))
    make_deliveries(3, state="bounced", when=now - timedelta(days=1))
    make_deliveries(50, state="bounced", when=now - timedelta(days=7, minutes=1))
    make_deliveries(50, state="bounced", when=now + timedelta(hours=1))  # after `now`
    make_deliveries(5, stream="service", state="bounced", when=now - timedelta(hours=2))
    complain(sent[:1], when=now - timedelta(hours=3))
    service = make_deliveries(1, stream="service", when=now - timedelta(hours=2))
    complain(service, when=now - timedelta(hours=1))

    marketing = reputation.stream_reputation("marketing", now)
    assert (marketing.attempted, marketing.bounced, marketing.complaints) == (100, 3, 1)
    assert marketing.bounce_rate == pytest.approx(0.03)
    assert marketing.complaint_rate == pytest.approx(0.01)
    assert marketing.bounce.status == "ok"
    assert marketing.complaint_ses.label == "over pause line"
    assert marketing.complaint_gmail.label == "over limit line"
    assert marketing.status == "over"
    assert marketing.since == now - timedelta(days=7)

    service_rep = reputation.stream_reputation("service", now)
    assert (service_rep.attempted, service_rep.bounced, service_rep.complaints) == (6, 5, 1)

    empty = reputation.stream_reputation("marketing", now - timedelta(days=30))
    assert (empty.attempted, empty.bounce_rate, empty.complaint_rate, empty.status) == (
        0,
        0.0,
        0.0,
        "ok",
    )
    texts = alerts([marketing, empty])
    assert len(texts) == 2
    assert texts[0].startswith("Marketing mail: complaint rate 1 % — over pause line")
    assert [r.stream for r in reputation.all_streams(now)] == ["marketing", "service"]


def test_guard_paused_campaigns_show_their_reason(staff, newsletter):
    campaign = make_campaign(newsletter)
    reason = "Paused automatically: hard-bounce rate 7.5% after 400 deliveries is above 5.0%"
    Campaign.objects.filter(pk=campaign.pk).update(state="paused", paused_reason=reason)
    other = make_campaign(newsletter)
    Campaign.objects.filter(pk=other.pk).update(state="paused")  # paused by hand: no reason

    page = html(staff.get(f"/campaigns/{campaign.pk}/"))
    assert 'data-testid="paused-reason"' in page
    assert reason in page
    assert 'data-testid="paused-reason"' not in html(staff.get(f"/campaigns/{other.pk}/"))

    page = html(staff.get("/delivery/reputation/"))
    assert reason in page
    assert f'href="/campaigns/{campaign.pk}/"' in page
    assert f'href="/campaigns/{other.pk}/"' not in page


def test_rotate_keeps_rsa_when_no_key_is_active(staff):
    old = dkim.generate_key("example.com", "rsa-sha256")
    DkimKey.objects.filter(pk=old.pk).update(active=False, retired_at=timezone.now())
    staff.post("/delivery/dkim/rotate/", {"domain": "example.com", "algorithm": ""})
    assert DkimKey.objects.get(active=True).algorithm == "rsa-sha256"
