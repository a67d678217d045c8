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
