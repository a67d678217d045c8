"""Clearing the capture outbox (Outbox → Captured → Clear, DELETE /api/v1/outbox/captured)
deletes what the real capture relay caught and leaves an audit row: who, and how many."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

import pytest
from django.test import Client

from mailwright.audit.models import AuditEntry
from mailwright.delivery.models import CapturedMessage

pytestmark = pytest.mark.django_db(transaction=True)


def capture(relay, count: int) -> None:
    with smtplib.SMTP(relay.host, relay.port, timeout=10) as smtp:
        for i in range(count):
            msg = EmailMessage()
            msg["From"] = "shop@example.com"
            msg["To"] = f"r{i}@example.com"
            msg["Subject"] = f"n{i}"
            msg.set_content("x")
            smtp.send_message(msg)
    assert CapturedMessage.objects.count() == count


def test_clearing_from_the_ui_is_audited_with_the_user_and_the_count(capture_relay, admin_user):
    capture(capture_relay, 3)
    staff = Client()
    staff.force_login(admin_user)
    response = staff.post("/outbox/clear/", follow=True)
    assert response.status_code == 200
    assert "Deleted 3 captured message(s)." in response.content.decode()
    assert not CapturedMessage.objects.exists()
    row = AuditEntry.objects.get(action="outbox.captured_cleared")
    assert (row.actor, row.actor_kind, row.channel) == ("owner", "user", "admin")
    assert row.after == {"deleted": 3}


def test_clearing_through_the_api_is_audited_with_the_key(capture_relay, api):
    capture(capture_relay, 2)
    assert api.delete("/outbox/captured").status_code == 204
    assert not CapturedMessage.objects.exists()
    row = AuditEntry.objects.get(action="outbox.captured_cleared")
    assert row.actor_kind == "api_key" and row.actor.startswith("api key ")
    assert row.after == {"deleted": 2}
    listed = api.get("/audit-log", type="outbox.captured_cleared").json()
    assert [e["after"] for e in listed] == [{"deleted": 2}]
