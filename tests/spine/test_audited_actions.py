"""Operators' changes to relays, domain caps, DKIM keys, webhooks, API keys and settings go
through actions that write the audit log — and never write a secret into it."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import User
from django.test import Client

from mailwright.api import keys
from mailwright.audit.models import AuditEntry
from mailwright.delivery.models import DkimKey, DomainPolicy, Relay

pytestmark = pytest.mark.django_db
SECRET = "s3cret-relay-password"


@pytest.fixture
def staff():
    user = User.objects.create_user("olga", password="a long password 123")
    client = Client()
    client.force_login(user)
    return client


def entries(action: str):
    return list(AuditEntry.objects.filter(action=action).order_by("id"))


def test_relay_changes_are_audited_without_the_password(staff):
    url = f"smtp://mailer:{SECRET}@smtp.example.com:587?tls=starttls"
    data = {"name": "primary", "url": url, "password": "", "stream": "all", "weight": "2"}
    assert staff.post("/delivery/relays/", {**data, "enabled": "on"}).status_code == 302
    relay = Relay.objects.get()
    assert staff.post(f"/delivery/relays/{relay.pk}/disable/").status_code == 302
    assert staff.post(f"/delivery/relays/{relay.pk}/delete/").status_code == 302

    (created,) = entries("relay.create")
    assert created.actor == "olga" and created.actor_kind == "user"
    assert created.after["url"].startswith("smtp://mailer:***@smtp.example.com")
    (disabled,) = entries("relay.disable")
    assert (disabled.before, disabled.after) == ({"enabled": True}, {"enabled": False})
    assert entries("relay.delete")[0].before["name"] == "primary"
    every_row = json.dumps(list(AuditEntry.objects.values()), default=str)
    assert SECRET not in every_row


def test_domain_caps_dkim_and_settings_are_audited(staff):
    policy = {"domain": "gmail.com", "hourly_cap": "500", "warmup_start": "", "warmup_growth": "2"}
    assert staff.post("/delivery/domains/", policy).status_code == 302
    assert entries("domain_policy.create")[0].after["hourly_cap"] == 500
    assert DomainPolicy.objects.get().hourly_cap == 500

    assert staff.post("/delivery/dkim/", {"domain": "example.com", "algorithm": "rsa-sha256"})
    key = DkimKey.objects.get()
    (generated,) = entries("dkim_key.generate")
    assert generated.after == {
        "domain": "example.com",
        "selector": key.selector,
        "algorithm": key.algorithm,
    }
    assert "PRIVATE KEY" not in json.dumps(list(AuditEntry.objects.values()), default=str)

    form = {
        "name": "Shop",
        "postal_address": "1 Main St, Springfield",
        "from_email": "news@shop.example",
        "from_name": "Shop News",
    }
    assert staff.post("/settings/organisation/", form).status_code == 302
    (settings_row,) = entries("settings.organisation")
    assert settings_row.after["from_email"] == "news@shop.example"
    assert settings_row.actor == "olga"
    # Saving the same values again changes nothing, so records nothing.
    staff.post("/settings/organisation/", form)
    assert len(entries("settings.organisation")) == 1


def test_webhooks_and_api_keys_are_audited(api, staff):
    created = api.post("/webhooks", {"url": "https://hooks.example.com/mw"})
    assert created.status_code == 201
    secret = created.json()["secret"]
    (row,) = entries("webhook.create")
    assert row.actor_kind == "api_key" and row.after["url"] == "https://hooks.example.com/mw"
    endpoint_id = created.json()["id"]
    assert staff.post(f"/webhooks/{endpoint_id}/disable/").status_code == 302
    assert entries("webhook.disable")[0].actor == "olga"
    assert api.delete(f"/webhooks/{endpoint_id}").status_code == 204
    assert entries("webhook.delete")[0].before["url"] == "https://hooks.example.com/mw"

    record, key = keys.create("crm")
    assert keys.revoke(record.id)
    assert entries("api_key.create")[-1].after == {
        "name": "crm",
        "prefix": key[:10],
        "scope": "full",
    }
    assert entries("api_key.revoke")[0].object_id == str(record.id)
    every_row = json.dumps(list(AuditEntry.objects.values()), default=str)
    assert key not in every_row and secret not in every_row
