"""What scheduling and A/B tests do when things change under them: a template edited after
scheduling, a window that holds the sample back, a pause during the test, and bad input on
the pages and endpoints around them."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from mailwright.audit.actors import Actor
from mailwright.audit.models import AuditEntry
from mailwright.campaigns.campaigns import update_campaign
from mailwright.campaigns.models import Campaign, Template
from mailwright.contacts.models import Subscription
from mailwright.delivery import schedule, sending
from mailwright.delivery.models import Delivery
from mailwright.web import scheduler
from tests.conftest import make_campaign, make_contact

pytestmark = pytest.mark.django_db(transaction=True)
ADMIN = Actor.system("tests")
AB = {
    "variants": [{"subject": "A"}, {"subject": "B"}],
    "sample_percent": 50,
    "metric": "opens",
    "wait_minutes": 30,
}


def scheduled(newsletter, hours: int = 1) -> Campaign:
    campaign = make_campaign(newsletter)
    Campaign.objects.filter(pk=campaign.pk).update(send_at=timezone.now() + timedelta(hours=hours))
    schedule.send(campaign.pk, by=ADMIN)
    return Campaign.objects.get(pk=campaign.pk)


def test_a_template_broken_after_scheduling_goes_back_to_draft_and_others_still_start(
    newsletter,
):
    make_contact("ana@example.com", newsletter)
    broken, fine = scheduled(newsletter), scheduled(newsletter)
    Template.objects.filter(pk=broken.template_id).update(subject="Re: hello")

    done = scheduler.tick(timezone.now() + timedelta(hours=2))

    assert done["started"] == [fine.pk]
    assert Campaign.objects.get(pk=broken.pk).state == Campaign.State.DRAFT
    assert Campaign.objects.get(pk=fine.pk).state == Campaign.State.SENDING
    why = AuditEntry.objects.filter(object_id=str(broken.pk), action="campaign.draft").last()
    assert "deceptive_subject" in json.dumps(why.after)


@time_machine.travel(datetime(2026, 6, 1, 5, 0, tzinfo=UTC), tick=True)
def test_with_a_window_the_ab_wait_counts_from_when_the_sample_is_due(newsletter):
    for i in range(8):
        make_contact(f"p{i}@example.com", newsletter, time_zone="Europe/Paris")
    campaign = make_campaign(newsletter)
    update_campaign(campaign, ab_test=AB, window={"start": "09:00", "end": "11:00"})
    sending.start(campaign.pk)
    last_due = max(
        Delivery.objects.filter(campaign=campaign).values_list("next_attempt_at", flat=True)
    )
    assert last_due > timezone.now() + timedelta(hours=1)  # 09:00–11:00 Paris is 07–09 UTC

    assert scheduler.tick(timezone.now() + timedelta(minutes=31))["decided"] == []
    assert scheduler.tick(last_due + timedelta(minutes=31))["decided"] == [campaign.pk]


def test_a_paused_ab_test_is_not_decided_and_resuming_with_nothing_left_finishes_it(
    newsletter,
):
    for i in range(4):
        make_contact(f"q{i}@example.com", newsletter)
    campaign = make_campaign(newsletter)
    update_campaign(campaign, ab_test=AB)
    sending.start(campaign.pk)
    Delivery.objects.filter(campaign=campaign).update(state=Delivery.State.SENT)
    sending.pause(campaign.pk)

    assert scheduler.tick(timezone.now() + timedelta(minutes=31))["decided"] == []
    assert Campaign.objects.get(pk=campaign.pk).ab_phase == "sample"

    # Everyone else unsubscribes meanwhile: the winner has nobody left to go to.
    sample = Delivery.objects.filter(campaign=campaign).values("contact")
    Subscription.objects.exclude(contact__in=sample).update(state="unsubscribed")
    schedule.freeze_rest(campaign.pk, 1, by=ADMIN)  # the operator picks, while paused
    assert sending.resume(campaign.pk).state == Campaign.State.SENT


def test_editing_a_scheduled_campaign_is_audited(newsletter):
    make_contact("ana@example.com", newsletter)
    campaign = scheduled(newsletter)
    update_campaign(campaign, by=ADMIN, exclusion_group="autumn", name="Renamed")
    entry = AuditEntry.objects.filter(action="campaign.update", object_id=str(campaign.pk)).get()
    assert entry.before == {"exclusion_group": "", "name": campaign.name}
    assert entry.after == {"exclusion_group": "autumn", "name": "Renamed"}


def test_send_now_of_a_scheduled_campaign_that_fails_the_lint_is_a_message(
    client, admin_user, newsletter
):
    client.force_login(admin_user)
    make_contact("ana@example.com", newsletter)
    campaign = scheduled(newsletter)
    Template.objects.filter(pk=campaign.template_id).update(subject="Fwd: hi")
    r = client.post(f"/campaigns/{campaign.pk}/send-now/", follow=True)
    assert r.status_code == 200
    assert "deceptive" in r.content.decode().lower() or "Fwd" in r.content.decode()
    assert Campaign.objects.get(pk=campaign.pk).state == Campaign.State.SCHEDULED


def test_bad_input_around_campaigns_is_a_4xx(api, client, admin_user, newsletter):
    # A CSV of blank lines.
    for body in (",,,\n", " ;\n;\n"):
        r = client.post(
            "/api/v1/exclusion-groups/g1/entries",
            body,
            content_type="text/csv",
            headers=api.headers,
        )
        assert r.status_code == 422, r.content
    # A group name no campaign could use.
    r = api.post(
        "/exclusion-groups/Spring%20Sale/entries",
        [{"email": "a@example.com", "reached_at": "2026-01-01"}],
    )
    assert r.status_code == 422 and "letters, digits" in r.json()["error"]["message"]
    # send_at in year 9999.
    tid = make_campaign(newsletter).template_id
    r = api.post(
        "/campaigns",
        {
            "name": "Far",
            "template": tid,
            "topics": ["newsletter"],
            "send_at": "9999-12-31T23:59:59-12:00",
        },
    )
    assert r.status_code == 422 and r.json()["error"]["field"] == "send_at"
    # JSON nested absurdly deep, to the block editor.
    client.force_login(admin_user)
    deep = '{"design": ' + "[" * 100_000 + "]" * 100_000 + "}"
    r = client.post("/templates/new/blocks/", deep, content_type="application/json")
    assert r.status_code == 400


def test_the_preview_shows_the_branded_footer_recipients_get(api, newsletter):
    from mailwright.consent.brand_store import do_save_brand

    do_save_brand({"footer_text": "Thanks for reading, from the shop"}, by=ADMIN)
    make_contact("ana@example.com", newsletter, name="Ana")
    campaign = make_campaign(newsletter, html="<p>Big sale!</p>")
    out = api.post(f"/campaigns/{campaign.pk}/preview", {"email": "ana@example.com"}).json()
    assert "Thanks for reading, from the shop" in out["html"]
