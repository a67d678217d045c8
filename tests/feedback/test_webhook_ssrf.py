"""Outgoing webhooks cannot be aimed at this machine or its private network (SSRF): refused
when created, in every spelling of such an address, unless MW_WEBHOOK_ALLOW_HOSTS allows the
host; and checked again when sending, after DNS resolution and after redirects."""

from __future__ import annotations

import socket

import pytest
from django.core.exceptions import ImproperlyConfigured

from mailwright.conf import env_hosts
from mailwright.feedback import webhooks
from mailwright.feedback.models import WebhookDelivery, WebhookEndpoint
from tests.feedback import test_webhooks

pytestmark = pytest.mark.django_db
receiver = test_webhooks.receiver  # the real HTTP receiver fixture

FORBIDDEN = [
    "http://127.0.0.1/hook",
    "http://127.0.0.1.:8080/hook",
    "http://127.1/hook",
    "http://2130706433/hook",  # 127.0.0.1 as one decimal number
    "http://017700000001/hook",  # …in octal
    "http://0177.0.0.1/hook",
    "http://0x7f.0.0.1/hook",
    "http://0x7f000001/hook",
    "http://localhost:8000/hook",
    "http://LOCALHOST/hook",
    "http://api.localhost/hook",
    "http://[::1]/hook",
    "http://[::ffff:127.0.0.1]/hook",  # IPv4-mapped IPv6
    "http://[::ffff:7f00:1]/hook",
    "http://[::127.0.0.1]/hook",  # IPv4-compatible IPv6
    "http://[64:ff9b::a00:1]/hook",  # NAT64 of 10.0.0.1
    "http://[2002:c0a8:101::1]/hook",  # 6to4 of 192.168.1.1
    "http://10.1.2.3/hook",
    "http://172.16.0.9/hook",
    "http://192.168.1.1/hook",
    "http://100.64.0.1/hook",  # carrier-grade NAT
    "http://169.254.169.254/latest/meta-data/",  # cloud metadata
    "http://[fe80::1]/hook",
    "http://[fd12:3456::1]/hook",
    "http://[fc00::1]/hook",
    "http://0.0.0.0:8000/hook",
    "http://0/hook",
    "http://[::]/hook",
    "http://224.0.0.1/hook",
    "http://255.255.255.255/hook",
    "https://192.0.2.10/hook",  # documentation range
]


@pytest.mark.parametrize("url", FORBIDDEN)
def test_api_refuses_private_and_loopback_endpoints_with_a_clear_422(api, url):
    response = api.post("/webhooks", {"url": url})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["field"] == "url"
    assert "may not be sent to" in error["message"]
    assert "MW_WEBHOOK_ALLOW_HOSTS" in error["message"]
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize(
    "url",
    ["https://hooks.example.com/x", "http://93.184.215.14/x", "https://[2606:4700::1111]/x"],
)
def test_public_endpoints_are_accepted(api, url):
    assert api.post("/webhooks", {"url": url}).status_code == 201


def test_an_allowed_host_is_accepted_and_delivered_to(
    api, receiver, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_ALLOW_HOSTS = []
    assert api.post("/webhooks", {"url": receiver["url"]}).status_code == 422
    settings.WEBHOOK_ALLOW_HOSTS = ["127.0.0.1"]
    created = api.post("/webhooks", {"url": receiver["url"]})
    assert created.status_code == 201
    with django_capture_on_commit_callbacks(execute=False):
        webhooks.emit("bounced", {"email": "a@example.com"})
    assert webhooks.deliver.call(WebhookDelivery.objects.get().id) == "sent"
    assert len(receiver["requests"]) == 1


def test_ui_refuses_a_private_endpoint(admin_user, client):
    client.force_login(admin_user)
    response = client.post("/webhooks/", {"url": "http://169.254.169.254/", "description": ""})
    assert response.status_code == 200
    assert "may not be sent to 169.254.169.254" in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


REBOUND = "hooks.rebind.example"  # public when saved, loopback when sent


@pytest.fixture
def rebinding_dns(monkeypatch):
    """A resolver the test controls (no network): REBOUND answers 127.0.0.1, as a DNS
    rebinding attacker's name would after the endpoint was saved."""
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        return real("127.0.0.1" if host == REBOUND else host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return REBOUND


def test_a_name_that_resolves_to_loopback_is_refused_when_sending(
    receiver, settings, django_capture_on_commit_callbacks, rebinding_dns
):
    """DNS rebinding: the name looked public when the endpoint was saved, but resolves to
    127.0.0.1 now. The connection is refused, nothing is sent, and it is not retried."""
    name = rebinding_dns
    port = receiver["url"].split(":")[2].split("/")[0]
    webhooks.do_create_endpoint(f"http://{name}:{port}/hook")  # a name: accepted when saved
    with django_capture_on_commit_callbacks(execute=False):
        webhooks.emit("bounced", {"email": "a@example.com"})
    row = WebhookDelivery.objects.get()
    assert webhooks.deliver.call(row.id) == "failed"
    row.refresh_from_db()
    assert row.last_error.startswith("refused:") and "resolves to 127." in row.last_error
    assert receiver["requests"] == []
    # Allowed explicitly: the same name is reached.
    settings.WEBHOOK_ALLOW_HOSTS = ["127.0.0.1", name.lower()]
    with django_capture_on_commit_callbacks(execute=False):
        webhooks.emit("bounced", {"email": "b@example.com"})
    assert webhooks.deliver.call(WebhookDelivery.objects.latest("id").id) == "sent"


def test_redirects_to_forbidden_addresses_are_not_followed(
    receiver, django_capture_on_commit_callbacks
):
    webhooks.do_create_endpoint(receiver["url"])
    port = receiver["url"].split(":")[2].split("/")[0]
    receiver["location"] = f"http://localhost:{port}/inside"
    with django_capture_on_commit_callbacks(execute=False):
        webhooks.emit("bounced", {"email": "a@example.com"})
    row = WebhookDelivery.objects.get()
    assert webhooks.deliver.call(row.id) == "failed"
    row.refresh_from_db()
    assert "refused" in row.last_error and "localhost" in row.last_error
    assert len(receiver["requests"]) == 1  # the first POST only; /inside never reached
    # A redirect to an allowed address is followed.
    receiver["location"] = None
    receiver["status"] = 200
    row2 = WebhookDelivery.objects.create(
        endpoint=row.endpoint, event_type="bounced", payload={}, next_attempt_at=row.created_at
    )
    assert webhooks.deliver.call(row2.id) == "sent"


def test_a_stored_endpoint_that_is_no_longer_allowed_fails_without_a_request(
    receiver, settings, django_capture_on_commit_callbacks
):
    webhooks.do_create_endpoint(receiver["url"])
    settings.WEBHOOK_ALLOW_HOSTS = []  # the operator removed it
    with django_capture_on_commit_callbacks(execute=False):
        webhooks.emit("sent", {"email": "a@example.com"})
    assert webhooks.deliver.call(WebhookDelivery.objects.get().id) == "failed"
    assert receiver["requests"] == []


def test_allow_hosts_setting_is_parsed_and_checked(monkeypatch):
    monkeypatch.setenv("MW_WEBHOOK_ALLOW_HOSTS", " Hooks.Internal , 10.0.0.5,[fd00::7],")
    assert env_hosts("MW_WEBHOOK_ALLOW_HOSTS") == ["hooks.internal", "10.0.0.5", "fd00::7"]
    monkeypatch.setenv("MW_WEBHOOK_ALLOW_HOSTS", "http://hooks.internal/")
    with pytest.raises(ImproperlyConfigured, match="MW_WEBHOOK_ALLOW_HOSTS must be host names"):
        env_hosts("MW_WEBHOOK_ALLOW_HOSTS")
