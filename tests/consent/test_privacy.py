"""Data-subject rights: export everything, erase everywhere, never let the address back."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from mailwright.consent import ledger, privacy
from mailwright.consent.directory import ContactError
from mailwright.consent.models import ConsentEvent, PrivacyAudit, Suppression
from mailwright.contacts.models import Contact
from mailwright.delivery import sending
from mailwright.delivery.models import CapturedMessage, Delivery
from mailwright.feedback.models import Event
from tests.conftest import ADMIN, make_campaign, make_contact, run_worker

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def person(newsletter, capture_relay):
    contact = make_contact(
        "erin@example.com", newsletter, name="Erin Example", attributes={"city": "Kraków"}
    )
    make_contact("other@example.com", newsletter)
    campaign = make_campaign(newsletter)
    sending.start(campaign.id)
    run_worker(capture_relay)
    return contact


def gdpr(*args):
    out, err = StringIO(), StringIO()
    call_command("gdpr", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_export_holds_everything_and_is_audited(person):
    out, _ = gdpr("export", "Erin@EXAMPLE.com")
    data = json.loads(out)
    assert data["contact"]["name"] == "Erin Example"
    assert data["contact"]["attributes"] == {"city": "Kraków"}
    assert data["consent"]["subscriptions"][0]["state"] == "confirmed"
    assert data["consent"]["events"][0]["consent_text"] == "Send me news"
    assert data["deliveries"][0]["state"] == "sent"
    assert {e["type"] for e in data["events"]} == {"sent"}
    assert PrivacyAudit.objects.get().action == "export"


def test_erase_removes_personal_data_everywhere(person):
    gdpr("erase", "erin@example.com", "--yes", "--by", "ticket 42")
    contact = Contact.objects.get(pk=person.pk)
    assert contact.status == "erased" and contact.name == "" and contact.attributes == {}
    assert "erin" not in contact.email
    assert not Delivery.objects.filter(email__contains="erin").exists()
    assert not CapturedMessage.objects.filter(to="erin@example.com").exists()
    assert CapturedMessage.objects.filter(to="other@example.com").exists()
    assert all(e.data == {} for e in Event.objects.filter(contact=contact))
    for event in ConsentEvent.objects.filter(contact_ref=person.pk):
        assert event.erased and event.email == "" and event.source_ip == ""
    entry = Suppression.objects.get(reason="erased")
    assert entry.email is None and len(entry.email_hash) == 64
    audit = PrivacyAudit.objects.get(action="erase")
    assert audit.actor == "cli: ticket 42" and "erin" not in json.dumps(audit.detail)
    # The ledger still verifies after erasure…
    assert ledger.verify().ok
    # …and tampering with an erased row is still caught.
    ConsentEvent.objects.filter(contact_ref=person.pk).update(action="forged")
    assert not ledger.verify().ok


def test_erased_address_cannot_come_back(person, newsletter):
    privacy.erase(person, by=ADMIN)
    with pytest.raises(ContactError) as info:
        make_contact("erin@example.com", newsletter)
    assert info.value.code == "erased"
    Client().post("/subscribe/", {"email": "erin@example.com", "topic": ["newsletter"]})
    assert not Contact.objects.filter(email="erin@example.com").exists()
    assert not Delivery.objects.filter(email="erin@example.com").exists()


def test_cli_errors_are_one_line_and_nonzero(person):
    with pytest.raises(CommandError, match="no contact"):
        gdpr("export", "nobody@example.com")
    with pytest.raises(CommandError):
        gdpr("export", "not an address")
    privacy.erase(person, by=ADMIN)
    with pytest.raises(CommandError):
        gdpr("erase", "erin@example.com", "--yes")


def test_api_consent_proof_export_and_erase(person, api):
    proof = api.get(f"/contacts/{person.id}/consent")
    assert proof.status_code == 200 and proof.json()["events"][0]["action"] == "subscribe_confirmed"
    export = api.get(f"/contacts/{person.id}/export")
    assert export.json()["contact"]["email"] == "erin@example.com"
    erased = api.post(f"/contacts/{person.id}/erase")
    assert erased.status_code == 200 and erased.json()["status"] == "erased"
    again = api.post(f"/contacts/{person.id}/erase")
    assert again.status_code == 409 and again.json()["error"]["code"] == "erased"
    back = api.post("/contacts", {"email": "erin@example.com"})
    assert back.status_code == 409 and back.json()["error"]["field"] == "email"
    assert api.get("/contacts/999999/consent").status_code == 404
