"""GET/PUT /api/v1/organisation: the sending organisation (Settings → Organisation in the UI)
over the API, with the page's checks and messages, audited, refused without a full key, and
its frequency cap deciding who a campaign's audience leaves out."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from mailwright.api import keys
from mailwright.audit.models import AuditEntry
from mailwright.consent.models import Organisation
from mailwright.delivery.models import Delivery
from tests.api.util import assert_error
from tests.conftest import make_campaign, make_contact

pytestmark = pytest.mark.django_db


def test_get_shows_the_organisation(api):
    response = api.get("/organisation")
    assert response.status_code == 200
    assert response.json() == {
        "name": "Mailwright",
        "postal_address": "1 Test Street, 00-001 Testville",
        "from_email": response.json()["from_email"],
        "from_name": response.json()["from_name"],
        "test_addresses": [],
        "frequency_cap": 3,
        "frequency_days": 7,
        "updated_at": response.json()["updated_at"],
    }
    assert "@" in response.json()["from_email"]


def test_put_changes_only_the_fields_given_and_is_audited(api):
    before = api.get("/organisation").json()
    response = api.put(
        "/organisation",
        {
            "name": "Acme Ltd",
            "postal_address": "2 Main Road\r\nSpringfield",
            "test_addresses": [" qa@example.com ", "Boss@Example.ORG", "qa@example.com"],
        },
    )
    assert response.status_code == 200, response.content
    after = response.json()
    assert after["name"] == "Acme Ltd"
    assert after["postal_address"] == "2 Main Road\nSpringfield"
    assert after["test_addresses"] == ["qa@example.com", "Boss@example.org"]
    for kept in ("from_email", "from_name", "frequency_cap", "frequency_days"):
        assert after[kept] == before[kept]
    assert api.get("/organisation").json() == after

    row = AuditEntry.objects.get(action="settings.organisation")
    assert row.actor_kind == "api_key" and row.channel == "api"
    assert row.before == {
        "name": before["name"],
        "postal_address": before["postal_address"],
        "test_addresses": "",
    }
    assert row.after == {
        "name": "Acme Ltd",
        "postal_address": "2 Main Road\nSpringfield",
        "test_addresses": "qa@example.com\nBoss@example.org",
    }
    # The same values again change nothing and write no second row.
    assert api.put("/organisation", {"name": "Acme Ltd"}).status_code == 200
    assert AuditEntry.objects.filter(action="settings.organisation").count() == 1


@pytest.mark.parametrize(
    "body, field, words",
    [
        ({"name": ""}, "name", "This field is required."),
        ({"name": "A\nB"}, "name", "must be on one line"),
        ({"name": "x" * 201}, "name", "longer than 200 characters"),
        ({"name": "Acme\x00"}, "name", "NUL"),
        ({"postal_address": "x" * 1001}, "postal_address", "longer than 1,000 characters"),
        ({"from_email": "not an address"}, "from_email", "must have an @-sign"),
        ({"from_email": ""}, "from_email", "This field is required."),
        ({"from_name": "A\r\nB"}, "from_name", "must be on one line"),
        ({"test_addresses": ["a@example.com", "nope"]}, "test_addresses", "'nope' is not a valid"),
        (
            {"test_addresses": [f"a{i}@example.com" for i in range(21)]},
            "test_addresses",
            "at most 20 test addresses",
        ),
        ({"frequency_cap": 101}, "frequency_cap", "whole number from 0 to 100"),
        ({"frequency_cap": -1}, "frequency_cap", "whole number from 0 to 100"),
        ({"frequency_days": 0}, "frequency_days", "whole number from 1 to 365"),
        ({"frequency_days": 366}, "frequency_days", "whole number from 1 to 365"),
        ({"frequency_days": "7"}, "frequency_days", None),
        ({"frequency_cap": True}, "frequency_cap", None),
        ({"frequency_cap": None}, "frequency_cap", "must not be null"),
        ({"colour": "red"}, "colour", None),
    ],
)
def test_each_bad_field_is_a_422_naming_it_and_nothing_changes(api, body, field, words):
    before = api.get("/organisation").json()
    error = assert_error(api.put("/organisation", body), 422, "invalid", field)
    if words:
        assert words in error["message"]
    assert api.get("/organisation").json() == before
    assert not AuditEntry.objects.filter(action="settings.organisation").exists()


def test_the_page_refuses_the_same_with_the_same_words(api, admin_user):
    staff = Client()
    staff.force_login(admin_user)
    base = {"name": "Acme", "postal_address": "1 Road", "from_email": "news@example.com"}
    for field, form_value, api_value in (
        ("frequency_cap", "101", 101),
        ("name", "x" * 201, "x" * 201),
        ("from_name", "A\nB", "A\nB"),
    ):
        page = staff.post("/settings/organisation/", {**base, field: form_value})
        assert page.status_code == 200
        message = assert_error(api.put("/organisation", {field: api_value}), 422)["message"]
        assert message in page.content.decode()


def test_the_page_shows_every_bad_field_at_once(admin_user):
    staff = Client()
    staff.force_login(admin_user)
    data = {"name": "", "from_email": "news@example.com", "frequency_days": "0"}
    page = staff.post("/settings/organisation/", data)
    assert page.status_code == 200
    assert "This field is required." in page.content.decode()
    assert "must be a whole number from 1 to 365" in page.content.decode()


def test_without_a_key_or_with_a_send_only_key_it_is_refused(client, db):
    name = Organisation.objects.filter(id=1).values_list("name", flat=True).first()
    assert_error(client.get("/api/v1/organisation"), 401, "unauthorized")
    assert_error(
        client.put("/api/v1/organisation", {"name": "Evil"}, content_type="application/json"),
        401,
        "unauthorized",
    )
    _, send_key = keys.create("shop", scope="send")
    headers = {"Authorization": f"Bearer {send_key}"}
    assert_error(client.get("/api/v1/organisation", headers=headers), 403, "forbidden_scope")
    response = client.put(
        "/api/v1/organisation", {"name": "Evil"}, content_type="application/json", headers=headers
    )
    assert_error(response, 403, "forbidden_scope")
    assert Organisation.objects.filter(id=1).values_list("name", flat=True).first() == name
    assert not AuditEntry.objects.filter(action="settings.organisation").exists()


def test_the_cap_set_through_the_api_changes_who_a_campaign_leaves_out(api, newsletter):
    busy = make_contact("busy@example.com", newsletter)
    make_contact("quiet@example.com", newsletter)
    yesterday = timezone.now() - timedelta(days=1)
    Delivery.objects.create(
        contact=busy,
        email=busy.email,
        stream="marketing",
        state="sent",
        next_attempt_at=yesterday,
        created_at=yesterday,
        updated_at=yesterday,
    )
    campaign = make_campaign(newsletter)

    def audience() -> dict:
        response = api.get(f"/campaigns/{campaign.id}/audience")
        assert response.status_code == 200, response.content
        return response.json()

    assert (audience()["eligible"], audience()["excluded"]["frequency_cap"]) == (2, 0)
    assert api.put("/organisation", {"frequency_cap": 1, "frequency_days": 2}).status_code == 200
    assert (audience()["eligible"], audience()["excluded"]["frequency_cap"]) == (1, 1)
    assert api.put("/organisation", {"frequency_cap": 0}).status_code == 200  # 0: no cap
    assert (audience()["eligible"], audience()["excluded"]["frequency_cap"]) == (2, 0)
