"""The campaign form's schedule, window, exclusion group and A/B section, the campaign page's
schedule panel and buttons, and the report's variants and comparison (staff UI)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from mailwright.campaigns.models import Campaign
from mailwright.delivery import sending
from tests.conftest import make_campaign, make_contact

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def staff(admin_user):
    client = Client()
    client.force_login(admin_user)
    return client


def _form(campaign, **extra) -> dict:
    data = {
        "name": "Spring",
        "template": campaign.template_id,
        "topics": ["newsletter"],
        "track_opens": "on",
        "track_clicks": "on",
        "exclusion_window_hours": "24",
        "ab_sample_percent": "20",
        "ab_metric": "opens",
        "ab_wait_minutes": "60",
    }
    return {**data, **extra}


def test_the_form_saves_a_schedule_and_an_ab_test_and_names_bad_fields(staff, newsletter):
    campaign = make_campaign(newsletter)
    page = staff.get(f"/campaigns/{campaign.pk}/edit/").content.decode()
    assert "Send at (UTC)" in page and "A/B test" in page and "Subject variants" in page

    bad = staff.post(
        f"/campaigns/{campaign.pk}/edit/",
        _form(
            campaign,
            window_start="09:00",
            window_end="09:00",
            ab_enabled="on",
            ab_subjects="Only one",
        ),
    )
    assert bad.status_code == 200
    html = bad.content.decode()
    assert "window.end must differ from window.start" in html

    bad = staff.post(
        f"/campaigns/{campaign.pk}/edit/",
        _form(campaign, ab_enabled="on", ab_subjects="Only one"),
    )
    assert "ab_test.variants must list 2 to 5" in bad.content.decode()

    when = (timezone.now() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    ok = staff.post(
        f"/campaigns/{campaign.pk}/edit/",
        _form(
            campaign,
            send_at=when,
            window_start="09:00",
            window_end="11:00",
            exclusion_group="spring",
            ab_enabled="on",
            ab_subjects="Spring is here\nYour spring picks",
        ),
    )
    assert ok.status_code == 302, ok.content.decode()[:2000]
    campaign.refresh_from_db()
    assert campaign.ab_test["variants"] == [
        {"subject": "Spring is here"},
        {"subject": "Your spring picks"},
    ]
    assert (campaign.exclusion_group, str(campaign.window_start)) == ("spring", "09:00:00")


def test_schedule_unschedule_duplicate_delete_from_the_campaign_page(staff, newsletter):
    make_contact("ana@example.com", newsletter)
    campaign = make_campaign(newsletter)
    Campaign.objects.filter(pk=campaign.pk).update(send_at=timezone.now() + timedelta(days=1))
    page = staff.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert "Schedule…" in page and "Duplicate" in page and "Delete" in page

    staff.post(f"/campaigns/{campaign.pk}/send/")
    page = staff.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert "to start at" in page and "Unschedule" in page and "Send now" in page

    staff.post(f"/campaigns/{campaign.pk}/unschedule/")
    assert Campaign.objects.get(pk=campaign.pk).state == "draft"

    r = staff.post(f"/campaigns/{campaign.pk}/duplicate/")
    copy = Campaign.objects.exclude(pk=campaign.pk).get()
    assert r["Location"] == f"/campaigns/{copy.pk}/" and copy.name == "Copy of Welcome campaign"

    sending.start(campaign.pk)
    r = staff.post(f"/campaigns/{campaign.pk}/delete/", follow=True)
    assert "only a draft or a scheduled campaign can be deleted" in r.content.decode()
    staff.post(f"/campaigns/{copy.pk}/delete/")
    assert not Campaign.objects.filter(pk=copy.pk).exists()


def test_the_report_shows_variants_exclusions_and_the_comparison(staff, newsletter):
    for i in range(4):
        make_contact(f"p{i}@example.com", newsletter)
    earlier = make_campaign(newsletter)
    sending.start(earlier.pk)
    Campaign.objects.filter(pk=earlier.pk).update(state="sent")
    campaign = make_campaign(newsletter)
    ab = {
        "variants": [{"subject": "A"}, {"subject": "B"}],
        "sample_percent": 50,
        "metric": "opens",
        "wait_minutes": 60,
    }
    Campaign.objects.filter(pk=campaign.pk).update(ab_test=ab, exclusions={"frequency_cap": 2})
    sending.start(campaign.pk)
    page = staff.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert "waiting until" in page and "Pick as winner" in page
    staff.post(f"/campaigns/{campaign.pk}/ab-winner/", {"variant": "1"})
    assert Campaign.objects.get(pk=campaign.pk).ab_winner == 1

    html = staff.get(f"/campaigns/{campaign.pk}/report/").content.decode()
    assert "A/B variants" in html and "winner" in html
    assert 'data-reason="frequency_cap"' in html
    assert "Compared with previous campaigns" in html and "last 1 sent campaign" in html
