"""Consent and privacy in the staff UI: topic versions and the subscription-form snippet,
organisation settings, consent proof / export / erase / rectify, and the privacy page."""

from __future__ import annotations

import json
import re

import pytest
from django.conf import settings
from django.test import Client

from mailwright.campaigns.models import Campaign
from mailwright.consent.models import (
    ConsentEvent,
    ConsentText,
    Organisation,
    PrivacyAudit,
    Suppression,
)
from mailwright.consent.organisation import current as current_organisation
from mailwright.contacts.models import Contact, Topic
from tests.conftest import declare, make_campaign, make_contact


@pytest.fixture
def staff(client, admin_user):
    client.force_login(admin_user)
    return client


def text(response) -> str:
    return response.content.decode()


# --- login, CSRF, 404 -----------------------------------------------------------------------

NEW_URLS = [
    "/privacy/",
    "/settings/organisation/",
    "/topics/1/edit/",
    "/contacts/1/edit/",
    "/contacts/1/erase/",
    "/contacts/1/consent.json",
]


@pytest.mark.django_db
@pytest.mark.parametrize("url", NEW_URLS)
def test_new_pages_need_login(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")


@pytest.mark.django_db
def test_export_needs_login(client, newsletter):
    contact = make_contact("ana@example.com", newsletter)
    response = client.post(f"/contacts/{contact.id}/export/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert not PrivacyAudit.objects.exists()


@pytest.mark.parametrize(
    "url",
    [
        "/topics/999/edit/",
        "/contacts/999/edit/",
        "/contacts/999/erase/",
        "/contacts/999/consent.json",
    ],
)
def test_unknown_ids_are_404(staff, url):
    assert staff.get(url).status_code == 404


def test_export_of_unknown_contact_is_404_and_a_get_is_refused(staff, newsletter):
    assert staff.post("/contacts/999/export/").status_code == 404
    contact = make_contact("ana@example.com", newsletter)
    assert staff.get(f"/contacts/{contact.id}/export/").status_code == 405
    assert not PrivacyAudit.objects.exists()


def test_posts_need_csrf(admin_user, newsletter):
    contact = make_contact("ana@example.com", newsletter)
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)
    for url, data in [
        (f"/contacts/{contact.id}/erase/", {"confirm": "ana@example.com"}),
        (f"/contacts/{contact.id}/export/", {}),
        (f"/contacts/{contact.id}/edit/", {"name": "X", "language": "en"}),
        (f"/topics/{newsletter.id}/edit/", {"name": "X"}),
        ("/settings/organisation/", {"name": "X", "from_email": "a@example.com"}),
        ("/privacy/", {"email": "ana@example.com"}),
    ]:
        assert client.post(url, data).status_code == 403, url
    assert Contact.objects.get(pk=contact.id).status == "active"
    assert not PrivacyAudit.objects.exists()


def test_nav_has_privacy_and_settings(staff):
    page = text(staff.get("/privacy/"))
    assert 'href="/privacy/" aria-current="page">Privacy' in page
    assert 'href="/settings/organisation/">Settings' in page


# --- topics ---------------------------------------------------------------------------------


def test_topic_create_writes_consent_text_v1(staff):
    response = staff.post(
        "/topics/",
        {"key": "news", "name": "News", "consent_text": "Send me news\r\nmonthly"},
        follow=True,
    )
    assert "Topic “News” created." in text(response)
    topic = Topic.objects.get(key="news")
    assert topic.consent_version == 1
    assert topic.consent_text == "Send me news\nmonthly"  # browser CRLF stored as LF
    assert list(ConsentText.objects.filter(topic=topic).values_list("version", "text")) == [
        (1, "Send me news\nmonthly")
    ]


@pytest.mark.parametrize(
    "data, error",
    [
        ({"key": "News", "name": "News"}, "The key must be 1–64 lower-case letters"),
        ({"key": "news letter", "name": "News"}, "The key must be 1–64 lower-case letters"),
        ({"key": "news", "name": ""}, "This field is required."),
        ({"key": "news", "name": "News", "consent_text": "x" * 5001}, "longer than 5,000"),
    ],
)
def test_topic_create_errors(staff, data, error):
    response = staff.post("/topics/", data)
    assert response.status_code == 200
    assert error in text(response)
    assert not Topic.objects.exists() and not ConsentText.objects.exists()


def test_topic_edit_with_new_consent_text_makes_version_2(staff):
    staff.post("/topics/", {"key": "news", "name": "News", "consent_text": "Send me news"})
    topic = Topic.objects.get(key="news")
    page = staff.get(f"/topics/{topic.id}/edit/")
    assert page.status_code == 200 and "Send me news" in text(page)

    response = staff.post(
        f"/topics/{topic.id}/edit/",
        {"name": "News!", "description": "Monthly", "consent_text": "Send me monthly news"},
        follow=True,
    )
    assert "the consent text is now version 2" in text(response)
    topic.refresh_from_db()
    assert (topic.name, topic.description, topic.consent_version) == ("News!", "Monthly", 2)
    history = response.context["history"]
    assert [(t.version, t.text) for t in history] == [
        (2, "Send me monthly news"),
        (1, "Send me news"),
    ]
    page = text(response)
    assert page.index("Send me monthly news") < page.index("Send me news<")

    # Saving again with the same wording (as a browser sends it) is not a new version.
    staff.post(
        f"/topics/{topic.id}/edit/",
        {"name": "News", "description": "", "consent_text": "Send me monthly news\r\n"},
    )
    topic.refresh_from_db()
    assert topic.consent_version == 2 and topic.name == "News"
    assert ConsentText.objects.filter(topic=topic).count() == 2


def test_topic_edit_errors_are_shown_and_nothing_changes(staff, newsletter):
    response = staff.post(f"/topics/{newsletter.id}/edit/", {"name": "", "consent_text": "New"})
    assert response.status_code == 200
    assert "This field is required." in text(response)
    newsletter.refresh_from_db()
    assert newsletter.consent_version == 1 and newsletter.consent_text == "Send me news"


def test_topics_page_links_to_edit_and_shows_the_subscription_form_panel(staff, newsletter):
    staff.post("/topics/", {"key": "offers", "name": "Offers", "consent_text": "Deals & <b>"})
    page = staff.get("/topics/")
    body = text(page)
    assert f'href="/topics/{newsletter.id}/edit/"' in body
    assert settings.BASE_URL + "/subscribe/" in body
    assert "MW_FORM_ORIGINS" in body

    snippet = page.context["embed_snippet"]
    assert snippet.count('type="checkbox"') == 2
    assert " checked" not in snippet  # boxes start unchecked
    assert 'value="newsletter"' in snippet and 'value="offers"' in snippet
    assert "Send me news" in snippet and "Deals &amp; &lt;b&gt;" in snippet
    assert 'name="v_newsletter" value="1"' in snippet and 'type="hidden"' in snippet
    assert 'name="website"' in snippet  # honeypot
    assert f'data-endpoint="{settings.BASE_URL}/subscribe/json"' in snippet
    assert "fetch(" in snippet and "JSON.stringify" in snippet
    # The snippet is shown as text to copy, escaped once more.
    assert "&lt;form class=&quot;mailwright-subscribe&quot;" in body
    assert '<form class="mailwright-subscribe"' not in body


def test_snippet_payload_is_accepted_by_the_json_endpoint(staff, newsletter, settings):
    """What the snippet's script sends, posted from an allowed origin, subscribes."""
    settings.FORM_ORIGINS = ["https://shop.example.com"]
    snippet = staff.get("/topics/").context["embed_snippet"]
    versions = dict(re.findall(r'name="v_([^"]+)" value="(\d+)"', snippet))
    payload = {
        "email": "new@example.com",
        "name": "New Person",
        "language": "en",
        "topics": ["newsletter"],
        "versions": {k: int(v) for k, v in versions.items()},
        "website": "",
    }
    response = Client().post(
        "/subscribe/json",
        json.dumps(payload),
        content_type="application/json",
        headers={"Origin": "https://shop.example.com"},
    )
    assert response.status_code == 202, response.content
    assert response.json()["message"]
    assert response["Access-Control-Allow-Origin"] == "https://shop.example.com"
    sub = Contact.objects.get(email="new@example.com").subscriptions.get()
    assert sub.state == "pending"


# --- organisation settings ------------------------------------------------------------------


def test_organisation_settings_save(staff):
    page = staff.get("/settings/organisation/")
    assert page.status_code == 200
    assert "1 Test Street" in text(page)

    response = staff.post(
        "/settings/organisation/",
        {
            "name": "Acme Ltd",
            "postal_address": "2 Main Road\r\nSpringfield",
            "from_email": "Team@Example.COM",
            "from_name": "Acme News",
        },
        follow=True,
    )
    assert "Organisation settings saved." in text(response)
    org = Organisation.objects.get(id=1)
    assert org.name == "Acme Ltd"
    assert org.postal_address == "2 Main Road\nSpringfield"
    assert org.from_email == "Team@example.com"  # domain normalized
    assert org.from_name == "Acme News"
    assert "Acme Ltd" in text(staff.get("/"))  # the navigation shows the saved name


@pytest.mark.parametrize(
    "data, error",
    [
        ({"name": "Acme", "from_email": "not an address"}, "must have an @-sign"),
        ({"name": "Acme", "from_email": ""}, "This field is required."),
        ({"name": "Acme", "from_email": "a@example.com", "from_name": "A\nB"}, "one line"),
    ],
)
def test_organisation_settings_errors(staff, data, error):
    before = current_organisation().name
    response = staff.post("/settings/organisation/", data)
    assert response.status_code == 200
    assert error in text(response)
    assert Organisation.objects.get(id=1).name == before


def test_empty_postal_address_warns_and_campaign_send_is_refused(staff, newsletter):
    make_contact("ana@example.com", newsletter)
    campaign = make_campaign(newsletter)
    assert "postal-address-warning" not in text(staff.get("/"))
    org = current_organisation()
    org.postal_address = ""
    org.save()

    for url in ["/", f"/campaigns/{campaign.id}/"]:
        page = text(staff.get(url))
        assert "The organisation's postal address is empty." in page
        assert 'href="/settings/organisation/"' in page

    response = staff.post(f"/campaigns/{campaign.id}/send/", follow=True)
    assert response.status_code == 200
    assert "Could not do that: set the organisation&#x27;s postal address first" in text(response)
    assert Campaign.objects.get(pk=campaign.id).state == "draft"


# --- consent proof, export, erase -----------------------------------------------------------


def test_contact_page_shows_status_frequency_and_actions(staff, newsletter):
    contact = make_contact("ana@example.com", newsletter, name="Ana")
    page = text(staff.get(f"/contacts/{contact.id}/"))
    assert "Organisation default" in page and "not paused" in page
    assert 'data-testid="contact-status">active<' in page
    for label in ["Consent proof (JSON)", "Export all data (JSON)", "Erase this person…", "Edit"]:
        assert label in page


def test_consent_proof_download(staff, newsletter):
    contact = make_contact("ana@example.com", newsletter)
    response = staff.get(f"/contacts/{contact.id}/consent.json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"] == (
        f'attachment; filename="consent-proof-{contact.id}.json"'
    )
    proof = json.loads(response.content)
    assert proof["contact"]["email"] == "ana@example.com"
    assert proof["events"] and proof["events"][0]["topic"] == "newsletter"
    assert proof["events"][0]["to"] == "confirmed"
    assert not PrivacyAudit.objects.exists()  # viewing consent is not a data export


def test_export_download_is_audited(staff, newsletter, admin_user):
    contact = make_contact("ana@example.com", newsletter, name="Ana Nowak")
    response = staff.post(f"/contacts/{contact.id}/export/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"].startswith("attachment;")
    data = json.loads(response.content)
    assert data["contact"]["name"] == "Ana Nowak"
    assert data["consent"]["events"]
    audit = PrivacyAudit.objects.get()
    assert (audit.action, audit.actor, audit.channel) == ("export", "owner", "admin")


def test_erase_flow(staff, newsletter):
    contact = make_contact("ana@example.com", newsletter, name="Ana Nowak")
    page = staff.get(f"/contacts/{contact.id}/erase/")
    assert page.status_code == 200 and "cannot be undone" in text(page)

    # Without (or with the wrong) typed address nothing happens.
    for typed in ["", "bob@example.com"]:
        response = staff.post(f"/contacts/{contact.id}/erase/", {"confirm": typed})
        assert response.status_code == 200
        assert Contact.objects.get(pk=contact.id).status == "active"
    assert "nothing was erased" in text(response)
    assert not PrivacyAudit.objects.exists()

    response = staff.post(
        f"/contacts/{contact.id}/erase/", {"confirm": " Ana@Example.com "}, follow=True
    )
    assert response.redirect_chain[-1][0] == f"/contacts/{contact.id}/"
    assert "The person was erased" in text(response)
    contact.refresh_from_db()
    assert contact.status == "erased" and contact.name == "" and "ana" not in contact.email
    assert PrivacyAudit.objects.filter(action="erase", actor="owner").count() == 1
    assert Suppression.objects.filter(reason="erased").exists()

    # The erased page offers nothing but viewing.
    page = text(response)
    assert 'data-testid="erased-banner"' in page
    for label in ["Consent proof (JSON)", "Export all data", "Erase this person", "/edit/"]:
        assert label not in page
    for url in ["erase/", "edit/", "consent.json"]:
        refused = staff.get(f"/contacts/{contact.id}/{url}", follow=True)
        assert "can only be viewed" in text(refused)
    staff.post(f"/contacts/{contact.id}/export/")
    assert PrivacyAudit.objects.count() == 1

    # The address cannot be added back.
    response = staff.post("/contacts/new/", {"email": "ana@example.com", "language": "en"})
    assert response.status_code == 200
    assert "this address was erased" in text(response)
    assert not Contact.objects.filter(email="ana@example.com").exists()


# --- rectification --------------------------------------------------------------------------


def test_contact_edit_rectifies(staff, newsletter):
    contact = make_contact("ana@example.com", newsletter, name="Ana")
    declare(city="string")
    page = staff.get(f"/contacts/{contact.id}/edit/")
    assert page.status_code == 200
    response = staff.post(
        f"/contacts/{contact.id}/edit/",
        {"name": "Ana Nowak", "language": "pl", "attr_city": "Kraków"},
        follow=True,
    )
    assert "Contact ana@example.com updated." in text(response)
    contact.refresh_from_db()
    assert (contact.name, contact.language) == ("Ana Nowak", "pl")
    assert contact.attributes == {"city": "Kraków"}
    assert contact.subscriptions.get().state == "confirmed"  # untouched
    assert Contact.objects.count() == 1


@pytest.mark.parametrize(
    "field, value, error",
    [
        ("attr_orders", "many", "attributes.orders: expected a number"),
        ("attr_since", "2020-02-31", "Enter a valid date"),
        ("attr_city", "y" * 1001, "at most 1000 characters"),
        ("birthday", "2999-01-01", "birthday: cannot be in the future"),
        ("tags", ", ".join(f"t{i}" for i in range(51)), "at most 50 tags"),
    ],
)
def test_contact_edit_bad_attributes_are_form_errors(staff, newsletter, field, value, error):
    contact = make_contact("ana@example.com", newsletter, name="Ana", attributes={"orders": 1})
    declare(since="date", city="string")
    response = staff.post(
        f"/contacts/{contact.id}/edit/",
        {"name": "Changed", "language": "en", "attr_orders": "1", field: value},
    )
    assert response.status_code == 200
    assert error in text(response)
    contact.refresh_from_db()
    assert contact.name == "Ana" and contact.attributes == {"orders": 1}


def test_contact_edit_bad_language_is_a_form_error(staff, newsletter):
    contact = make_contact("ana@example.com", newsletter)
    response = staff.post(f"/contacts/{contact.id}/edit/", {"name": "A", "language": "xx"})
    assert response.status_code == 200
    assert "Select a valid choice" in text(response)


# --- privacy page ---------------------------------------------------------------------------


def test_privacy_page_shows_ledger_ok_then_broken_after_tampering(staff, newsletter):
    make_contact("ana@example.com", newsletter)
    make_contact("bob@example.com", newsletter)
    page = staff.get("/privacy/")
    assert page.status_code == 200
    assert page.context["report"].ok
    assert "OK</strong> — 2 events checked" in text(page)

    event = ConsentEvent.objects.order_by("id").last()
    ConsentEvent.objects.filter(pk=event.pk).update(basis="forged basis")
    page = text(staff.get("/privacy/"))
    assert f"Broken</strong> at event #{event.id}" in page
    assert 'class="status-broken"' in page
    assert "edited" in page


def test_privacy_page_lists_audits_and_finds_people(staff, newsletter):
    contact = make_contact("ana@example.com", newsletter)
    staff.post(f"/contacts/{contact.id}/export/")
    audit = PrivacyAudit.objects.get()
    page = text(staff.get("/privacy/"))
    assert audit.address_hash[:12] in page and "ana@example.com" not in page
    assert "owner" in page and ">export<" in page

    found = staff.post("/privacy/", {"email": "ana@example.com"})
    assert found.status_code == 302 and found["Location"] == f"/contacts/{contact.id}/"

    for email, error in [
        ("nobody@example.com", "no contact with the address"),
        ("not an address", "Not found:"),
    ]:
        response = staff.post("/privacy/", {"email": email}, follow=True)
        assert response.status_code == 200
        assert error in text(response)
