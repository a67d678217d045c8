"""The New campaign form: the tracking switches, and the default sender as Settings →
Organisation has it now (not as it was when the process started)."""

from __future__ import annotations

import re

import pytest

from mailwright.campaigns.models import Campaign
from mailwright.campaigns.templates import save_template

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client, admin_user):
    client.force_login(admin_user)
    return client


def test_new_campaign_shows_the_sender_saved_in_settings(staff):
    before = staff.get("/campaigns/new/").content.decode()
    response = staff.post(
        "/settings/organisation/",
        {
            "name": "Kwiaciarnia Róża",
            "postal_address": "ul. Długa 1, 00-001 Warszawa",
            "from_email": "news@roza.example.pl",
            "from_name": "Róża",
        },
    )
    assert response.status_code == 302
    page = staff.get("/campaigns/new/").content.decode()
    assert "news@roza.example.pl" not in before
    assert "Empty: news@roza.example.pl" in page
    assert "Empty: Róża" in page


def test_the_tracking_switches_are_on_by_default_and_can_be_cleared(staff, newsletter):
    page = staff.get("/campaigns/new/").content.decode()
    for name in ("track_opens", "track_clicks"):
        [box] = re.findall(rf'<input type="checkbox" name="{name}"[^>]*>', page)
        assert box.endswith(" checked>")

    tpl = save_template(name="T", subject="Hi", html="<p>Hi</p>")
    form = {"name": "Quiet", "template": tpl.id, "topics": ["newsletter"], "track_opens": "on"}
    response = staff.post("/campaigns/new/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    campaign = Campaign.objects.get(name="Quiet")
    assert (campaign.track_opens, campaign.track_clicks) == (True, False)
    detail = staff.get(f"/campaigns/{campaign.id}/").content.decode()
    assert 'data-testid="tracking">opens only<' in detail


def test_a_draft_is_edited_in_the_ui_and_a_sent_campaign_is_not(staff, newsletter):
    """What PATCH /api/v1/campaigns/{id} does, from the campaign page."""
    tpl = save_template(name="T", subject="Hi", html="<p>Hi</p>")
    other = save_template(name="Other", subject="Hello", html="<p>Hello</p>")
    form = {"name": "Spring", "template": tpl.id, "topics": ["newsletter"], "track_opens": "on"}
    staff.post("/campaigns/new/", form)
    campaign = Campaign.objects.get()
    page = staff.get(f"/campaigns/{campaign.id}/").content.decode()
    assert f'href="/campaigns/{campaign.id}/edit/"' in page

    edit = staff.get(f"/campaigns/{campaign.id}/edit/").content.decode()
    assert 'value="Spring"' in edit and "Save draft" in edit
    changed = {**form, "name": "Spring sale", "template": other.id, "reply_to": "shop@"}
    refused = staff.post(f"/campaigns/{campaign.id}/edit/", changed)
    assert refused.status_code == 200 and "Reply-To" in refused.content.decode()
    campaign.refresh_from_db()
    assert campaign.name == "Spring"  # nothing saved from a refused form
    changed["reply_to"] = "shop@example.com"
    assert staff.post(f"/campaigns/{campaign.id}/edit/", changed).status_code == 302
    campaign.refresh_from_db()
    assert (campaign.name, campaign.template_id, campaign.reply_to) == (
        "Spring sale",
        other.id,
        "shop@example.com",
    )
    assert campaign.track_opens and not campaign.track_clicks

    Campaign.objects.filter(pk=campaign.pk).update(state="sent")
    response = staff.post(f"/campaigns/{campaign.id}/edit/", {**changed, "name": "Late"})
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.name == "Spring sale"
    assert (
        "only a draft or a scheduled campaign can be edited"
        in staff.get(response["Location"]).content.decode()
    )
