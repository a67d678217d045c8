"""JSON nested absurdly deep, typed into the UI's JSON fields or posted by its scripts, gets the
form's or the endpoint's usual error: never a 500 (json recursing to the interpreter's limit
used to escape as a RecursionError from these four)."""

from __future__ import annotations

import pytest

from mailwright.contacts.models import Segment
from mailwright.web.service import forms

DEEP = "[" * 50_000


@pytest.fixture
def staff(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.mark.django_db
def test_segment_builder_preview_and_save(staff):
    r = staff.post("/contacts/segments/preview/", DEEP, content_type="application/json")
    assert r.status_code == 400 and r.json()["error"]["message"] == "not JSON"
    r = staff.post("/contacts/segments/new/", {"name": "Deep", "tree": DEEP})
    assert r.status_code == 400
    assert "not JSON" in r.content.decode()
    assert not Segment.objects.exists()


def test_service_template_fields_and_test_data():
    form = forms.SettingsForm(data={"name": "Reset", "fields": DEEP})
    assert not form.is_valid()
    assert form.errors["fields"] == [
        "The field list is not valid JSON: nested deeper than 200 levels."
    ]
    form = forms.TestSendForm(data={"to": "a@example.com", "language": "en", "data": DEEP})
    assert not form.is_valid()
    assert "not valid JSON" in form.errors["data"][0]
