"""The consent ledger is a hash chain: editing or deleting a row breaks verification."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from mailwright.consent import ledger
from mailwright.consent.models import ConsentEvent
from tests.conftest import make_contact

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(newsletter):
    for i in range(5):
        make_contact(f"h{i}@example.com", newsletter)
    return list(ConsentEvent.objects.order_by("id"))


def verify_cli():
    out = StringIO()
    try:
        call_command("consent", "verify", stdout=out)
        ok = True
    except CommandError:
        ok = False
    return ok, json.loads(out.getvalue())


def test_untouched_chain_verifies(history):
    ok, report = verify_cli()
    assert ok and report == {"ok": True, "checked": 5, "broken_event": None, "reason": None}
    assert history[1].prev_hash == history[0].hash


def test_edited_row_is_named(history):
    ConsentEvent.objects.filter(pk=history[2].pk).update(state_to="pending")
    ok, report = verify_cli()
    assert not ok and report["broken_event"] == history[2].pk
    assert "edited" in report["reason"]


def test_deleted_row_breaks_the_next_link(history):
    ConsentEvent.objects.filter(pk=history[2].pk).delete()
    report = ledger.verify()
    assert not report.ok and report.broken_event_id == history[3].pk


def test_deleted_newest_row_is_detected(history):
    ConsentEvent.objects.filter(pk=history[-1].pk).delete()
    report = ledger.verify()
    assert not report.ok and "missing" in report.reason


def test_ip_addresses_are_stored_truncated():
    assert ledger.truncate_ip("203.0.113.77") == "203.0.113.0/24"
    assert ledger.truncate_ip("2001:db8:abcd:12::1") == "2001:db8:abcd::/48"
    assert ledger.truncate_ip("") == ""


def test_edited_address_is_caught_by_the_pii_digest(history):
    ConsentEvent.objects.filter(pk=history[1].pk).update(email="someone-else@example.com")
    report = ledger.verify()
    assert not report.ok and report.broken_event_id == history[1].pk
    assert "edited" in report.reason


def test_events_cannot_be_changed_through_the_orm(history):
    event = history[0]
    event.action = "forged"
    with pytest.raises(ValueError, match="append-only"):
        event.save()
    with pytest.raises(ValueError, match="append-only"):
        event.delete()
