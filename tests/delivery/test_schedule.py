"""Scheduling: a scheduled campaign stays unsent until due, then starts once even with two
schedulers ticking at once; the local-time window puts each contact's message inside their
own window (two time zones, and an unknown one falling back to UTC)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from mailwright.audit.actors import Actor
from mailwright.audit.models import AuditEntry
from mailwright.campaigns.models import Campaign
from mailwright.contacts.models import Contact
from mailwright.delivery import schedule, sending
from mailwright.delivery.models import Delivery
from mailwright.delivery.windows import next_window
from mailwright.web import scheduler
from tests.conftest import make_campaign, make_contact

pytestmark = pytest.mark.django_db(transaction=True)
ADMIN = Actor.system("tests")


def test_a_scheduled_campaign_waits_then_two_schedulers_start_it_once(newsletter):
    for i in range(30):
        make_contact(f"s{i}@example.com", newsletter)
    campaign = make_campaign(newsletter)
    send_at = timezone.now() + timedelta(hours=2)
    Campaign.objects.filter(pk=campaign.pk).update(send_at=send_at)
    assert schedule.send(campaign.pk, by=ADMIN).state == "scheduled"
    assert scheduler.tick() == {"started": [], "decided": []}
    assert not Delivery.objects.filter(campaign=campaign).exists()

    results, errors = [], []
    barrier = threading.Barrier(2)

    def run():
        try:
            barrier.wait()
            results.append(scheduler.tick(send_at + timedelta(seconds=1))["started"])
        except Exception as exc:  # pragma: no cover - shown by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    assert sorted(results) == [[], [campaign.pk]]
    campaign.refresh_from_db()
    assert (campaign.state, campaign.recipients_total) == ("sending", 30)
    assert Delivery.objects.filter(campaign=campaign).count() == 30
    started = AuditEntry.objects.filter(object_id=str(campaign.pk), action="campaign.sending")
    assert started.count() == 1


def test_a_due_campaign_that_fails_its_preflight_goes_back_to_draft(newsletter, settings):
    make_contact("x@example.com", newsletter)
    campaign = make_campaign(newsletter)
    Campaign.objects.filter(pk=campaign.pk).update(send_at=timezone.now() + timedelta(hours=1))
    schedule.send(campaign.pk, by=ADMIN)
    campaign.template.__class__.objects.filter(pk=campaign.template_id).update(subject="{{ broken")
    assert scheduler.tick(timezone.now() + timedelta(hours=2))["started"] == []
    assert Campaign.objects.get(pk=campaign.pk).state == "draft"
    entry = AuditEntry.objects.filter(object_id=str(campaign.pk), action="campaign.draft").get()
    assert "subject" in entry.after["error"]


@time_machine.travel(datetime(2026, 6, 1, 5, 0, tzinfo=UTC), tick=True)
def test_the_window_puts_each_message_inside_its_contacts_local_window(newsletter):
    paris = make_contact("paris@example.com", newsletter, time_zone="Europe/Paris")
    york = make_contact("york@example.com", newsletter, time_zone="America/New_York")
    lost = make_contact("lost@example.com", newsletter)
    Contact.objects.filter(pk=lost.pk).update(time_zone="Mars/Olympus")
    many = [
        make_contact(f"p{i}@example.com", newsletter, time_zone="Europe/Paris") for i in range(8)
    ]
    campaign = make_campaign(newsletter)
    Campaign.objects.filter(pk=campaign.pk).update(window_start=time(9), window_end=time(11))
    before = timezone.now()
    sending.start(campaign.pk)
    due = dict(
        Delivery.objects.filter(campaign=campaign).values_list("contact_id", "next_attempt_at")
    )
    for contact, zone in [(paris, "Europe/Paris"), (york, "America/New_York"), (lost, "UTC")]:
        local = due[contact.pk].astimezone(ZoneInfo(zone))
        assert time(9) <= local.time() < time(11), (zone, local)
        assert before - timedelta(seconds=1) <= due[contact.pk] <= before + timedelta(days=1)
    # Spread over the window, not all at its start.
    paris_times = {due[c.pk] for c in [paris, *many]}
    assert len(paris_times) == 9
    assert max(paris_times) - min(paris_times) > timedelta(minutes=30)
    # New York's window is six hours after Paris's.
    assert due[york.pk].astimezone(UTC) != due[paris.pk].astimezone(UTC)


def test_a_window_across_midnight_and_one_already_open():
    tz = ZoneInfo("Europe/Paris")
    now = datetime(2026, 3, 10, 22, 30, tzinfo=tz).astimezone(UTC)  # inside 22:00–02:00
    begin, seconds = next_window(tz, time(22), time(2), now)
    assert begin == now and seconds == 3.5 * 3600
    begin, seconds = next_window(tz, time(9), time(11), now)  # tomorrow 09:00
    assert begin == datetime(2026, 3, 11, 9, tzinfo=tz).astimezone(UTC) and seconds == 7200
