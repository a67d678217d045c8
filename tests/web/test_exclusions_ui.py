"""Campaign page: the audience counts per reason (live, then frozen), the empty-audience
refusal with its reasons; Campaigns → Exclusion groups: CSV upload, bad files as messages."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from mailwright import tokens
from mailwright.audit.models import AuditEntry
from mailwright.campaigns.models import Campaign, ExclusionEntry
from mailwright.consent.models import Organisation
from mailwright.contacts.models import Contact
from tests.conftest import make_campaign, make_contact

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client, admin_user):
    client.force_login(admin_user)
    return client


def count(html: str, reason: str) -> int:
    start = html.index(f'data-reason="{reason}"')
    dd = html.index("<dd>", start) + 4
    return int(html[dd : html.index("</dd>", dd)])


def test_campaign_page_shows_reasons_live_then_frozen(staff, newsletter):
    make_contact("ok@example.com", newsletter)
    make_contact("pending@example.com", newsletter, state="pending")
    paused = make_contact("paused@example.com", newsletter)
    Contact.objects.filter(pk=paused.pk).update(paused_until=timezone.now() + timedelta(days=30))
    campaign = make_campaign(newsletter)
    html = staff.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert "If sent now: 1 recipient, 2 of the people" in html
    assert (count(html, "eligible"), count(html, "no_consent"), count(html, "paused")) == (1, 1, 1)

    staff.post(f"/campaigns/{campaign.pk}/send/")
    make_contact("late@example.com", newsletter)  # after the freeze
    html = staff.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert "Frozen when sending started: 1 recipient, 2 left out." in html
    assert (count(html, "eligible"), count(html, "no_consent"), count(html, "paused")) == (1, 1, 1)


def test_an_empty_audience_is_refused_with_the_reasons(staff, newsletter):
    make_contact("pending@example.com", newsletter, state="pending")
    campaign = make_campaign(newsletter)
    page = staff.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert "Nobody would receive this campaign, so it cannot be sent" in page
    response = staff.post(f"/campaigns/{campaign.pk}/send/", follow=True)
    html = response.content.decode()
    assert (
        "the campaign&#x27;s audience is empty: all 1 candidates are excluded (1 no_consent)"
        in (html)
    )
    assert Campaign.objects.get(pk=campaign.pk).state == "draft"


def upload(staff, body: bytes, group="spring", name="reached.csv"):
    return staff.post(
        "/campaigns/exclusion-groups/",
        {"group": group, "file": SimpleUploadedFile(name, body, content_type="text/csv")},
        follow=True,
    )


def test_csv_upload_adds_people_and_the_group_excludes_them(staff, newsletter):
    make_contact("ana@example.com", newsletter)
    make_contact("bo@example.com", newsletter)
    campaign = make_campaign(newsletter)
    Campaign.objects.filter(pk=campaign.pk).update(exclusion_group="spring")
    day = (timezone.now() - timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
    response = upload(staff, f"email,reached_at,channel\nANA@example.com,{day},post\n".encode())
    html = response.content.decode()
    assert "Added 1 people to the group “spring”." in html
    assert "ana@example.com" in html and "post" in html
    groups = staff.get("/campaigns/exclusion-groups/").content.decode()
    assert "Welcome campaign" in groups
    page = staff.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert count(page, "exclusion_group") == 1 and count(page, "eligible") == 1


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"name,phone\nAna,1\n", "the first line must name the columns"),
        (b"email,reached_at\nana@example.com,someday\n", "is not a date"),
        (b"\x89PNG\r\n\x1a\n\x00\x00binary", "PNG image"),
        (b"email,reached_at\n" + b"x@example.com,2026-01-01\n" * 100_000, "larger than 2 MB"),
    ],
)
def test_bad_files_are_messages_not_errors(staff, body, message):
    response = upload(staff, body)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not ExclusionEntry.objects.exists()


def test_the_organisation_cap_is_editable_and_the_preference_center_explains_it(
    staff, client, newsletter
):
    data = {"name": "Acme", "from_email": "news@example.com", "postal_address": "1 Test St"}
    response = staff.post(
        "/settings/organisation/", {**data, "frequency_cap": "2", "frequency_days": "10"}
    )
    assert response.status_code == 302
    org = Organisation.objects.get(id=1)
    assert (org.frequency_cap, org.frequency_days) == (2, 10)
    entry = AuditEntry.objects.filter(action="settings.organisation").latest("id")
    assert entry.after["frequency_cap"] == 2
    bad = staff.post("/settings/organisation/", {**data, "frequency_days": "0"})
    assert "must be a whole number from 1 to 365" in bad.content.decode()

    ana = make_contact("ana@example.com", newsletter)
    link = f"/p/{tokens.make('preferences', {'c': ana.id})}"
    public = Client()
    page = public.get(link).content.decode()
    assert "As often as Acme sends — at most 2 emails in 10 days" in page
    assert 'id="freq-default" name="frequency" value="default" checked' in page
    Contact.objects.filter(pk=ana.pk).update(language="pl")
    page = public.get(link, headers={"accept-language": "pl"}).content.decode()
    assert "Tak często, jak wysyła Acme — najwyżej 2 e-maile w ciągu 10 dni" in page
    # choosing "weekly" there is their own cap from then on
    public.post(link, {"topic": "newsletter", "frequency": "weekly"})
    assert Contact.objects.get(pk=ana.pk).frequency == "weekly"
