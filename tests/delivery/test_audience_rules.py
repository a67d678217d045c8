"""Coordinated audiences (SPEC §4.5): frequency caps, exclusion groups (other campaigns of the
group and people reached by post or phone), the per-reason counts and the empty-audience
refusal, through delivery.sending.start on the real database."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from mailwright.campaigns.models import Campaign, ExclusionEntry
from mailwright.consent import organisation
from mailwright.consent.suppression import do_suppress
from mailwright.contacts.models import Contact
from mailwright.delivery import sending
from mailwright.delivery.audience import EmptyAudience, exclusion_counts
from mailwright.delivery.models import Delivery
from tests.conftest import make_campaign, make_contact

pytestmark = pytest.mark.django_db


def recipients(campaign) -> set[str]:
    return set(Delivery.objects.filter(campaign=campaign).values_list("email", flat=True))


def grouped(topic, group="spring", hours=24):
    campaign = make_campaign(topic)
    Campaign.objects.filter(pk=campaign.pk).update(
        exclusion_group=group, exclusion_window_hours=hours
    )
    campaign.refresh_from_db()
    return campaign


def past_delivery(contact, when, state="sent", campaign=None):
    Delivery.objects.create(
        campaign=campaign,
        contact=contact,
        email=contact.email,
        stream="marketing",
        state=state,
        next_attempt_at=when,
        created_at=when,
        updated_at=when,
    )


def test_two_simultaneous_campaigns_of_one_group_reach_each_person_once(newsletter):
    people = {make_contact(f"p{i}@example.com", newsletter).email for i in range(4)}
    first, second, third = grouped(newsletter), grouped(newsletter), grouped(newsletter)
    sending.start(first.pk)
    assert recipients(first) == people
    with pytest.raises(EmptyAudience) as caught:  # everyone already got the first one
        sending.start(second.pk)
    assert caught.value.exclusions["exclusion_group"] == 4
    # someone new since: only they get the third
    make_contact("late@example.com", newsletter)
    sending.start(third.pk)
    assert recipients(third) == {"late@example.com"}
    third.refresh_from_db()
    assert third.exclusions == {
        "inactive": 0,
        "suppressed": 0,
        "no_consent": 0,
        "paused": 0,
        "frequency_cap": 0,
        "exclusion_group": 4,
        "eligible": 1,
    }
    # a campaign of another group is not affected by this one
    Contact.objects.update(frequency="every")  # (two mails in a row would hit no cap anyway)
    other = grouped(newsletter, group="autumn")
    sending.start(other.pk)
    assert recipients(other) == people | {"late@example.com"}


def test_a_post_or_phone_entry_excludes_and_the_window_expires(newsletter):
    ana = make_contact("Ana@Example.com", newsletter)
    make_contact("bo@example.com", newsletter)
    now = timezone.now()
    # reached by post 2 h ago, matched by the address's key (different case)
    ExclusionEntry.objects.create(
        group="spring", email="ana@example.com", channel="post", reached_at=now - timedelta(hours=2)
    )
    campaign = grouped(newsletter, hours=24)
    assert exclusion_counts(campaign)["exclusion_group"] == 1
    sending.start(campaign.pk)
    assert recipients(campaign) == {"bo@example.com"}

    # a phone call 30 h ago is outside a 24 h window: no longer excluded
    ExclusionEntry.objects.all().update(reached_at=now - timedelta(hours=30), contact=ana)
    later = grouped(newsletter, group="spring", hours=24)
    Delivery.objects.filter(campaign=campaign).update(created_at=now - timedelta(hours=25))
    sending.start(later.pk)
    assert recipients(later) == {ana.email, "bo@example.com"}


def test_default_cap_three_in_seven_days(newsletter):
    busy = make_contact("busy@example.com", newsletter)
    make_contact("quiet@example.com", newsletter)
    now = timezone.now()
    for days in (1, 2, 3):
        past_delivery(busy, now - timedelta(days=days))
    campaign = make_campaign(newsletter)
    assert exclusion_counts(campaign)["frequency_cap"] == 1
    # a suppressed or failed delivery does not count; an old one neither
    Delivery.objects.filter(contact=busy).order_by("id").first().delete()
    past_delivery(busy, now - timedelta(days=1), state="failed")
    past_delivery(busy, now - timedelta(days=1), state="suppressed")
    past_delivery(busy, now - timedelta(days=8))
    assert exclusion_counts(campaign)["frequency_cap"] == 0
    past_delivery(busy, now - timedelta(hours=1), state="queued")
    sending.start(campaign.pk)
    assert recipients(campaign) == {"quiet@example.com"}


def test_organisation_cap_changes_apply_and_zero_means_no_cap(newsletter):
    busy = make_contact("busy@example.com", newsletter)
    past_delivery(busy, timezone.now() - timedelta(days=1))
    campaign = make_campaign(newsletter)
    assert exclusion_counts(campaign)["frequency_cap"] == 0
    org = organisation.current()
    org.frequency_cap, org.frequency_days = 1, 2
    org.save()
    assert exclusion_counts(campaign)["frequency_cap"] == 1
    org.frequency_cap = 0
    org.save()
    assert exclusion_counts(campaign)["eligible"] == 1


def test_own_choice_weekly_monthly_and_every(newsletter):
    now = timezone.now()
    weekly = make_contact("weekly@example.com", newsletter)
    monthly = make_contact("monthly@example.com", newsletter)
    every = make_contact("every@example.com", newsletter)
    Contact.objects.filter(pk=weekly.pk).update(frequency="weekly")
    Contact.objects.filter(pk=monthly.pk).update(frequency="monthly")
    Contact.objects.filter(pk=every.pk).update(frequency="every")
    past_delivery(weekly, now - timedelta(days=8))  # a week ago: free again
    past_delivery(monthly, now - timedelta(days=20))  # within the month: capped
    for days in range(5):  # five this week, but their own choice is "every mailing"
        past_delivery(every, now - timedelta(days=days, hours=1))
    campaign = make_campaign(newsletter)
    sending.start(campaign.pk)
    assert recipients(campaign) == {"weekly@example.com", "every@example.com"}
    # the weekly one, mailed just now, is capped for the next campaign
    nxt = make_campaign(newsletter)
    counts = exclusion_counts(nxt)
    assert counts["frequency_cap"] == 2 and counts["eligible"] == 1


def test_counts_per_reason_first_reason_wins_and_are_frozen(newsletter):
    make_contact("ok@example.com", newsletter)
    make_contact("pending@example.com", newsletter, state="pending")
    gone = make_contact("gone@example.com", newsletter)
    Contact.objects.filter(pk=gone.pk).update(status="bounced")  # also suppressed below
    make_contact("sup@example.com", newsletter)
    do_suppress("gone@example.com", "hard_bounce")
    do_suppress("sup@example.com", "manual")
    paused = make_contact("paused@example.com", newsletter)
    Contact.objects.filter(pk=paused.pk).update(paused_until=timezone.now() + timedelta(days=9))
    make_contact("stranger@example.com")  # no subscription row: not a candidate
    campaign = make_campaign(newsletter)
    expected = {
        "inactive": 1,
        "suppressed": 1,
        "no_consent": 1,
        "paused": 1,
        "frequency_cap": 0,
        "exclusion_group": 0,
        "eligible": 1,
    }
    assert exclusion_counts(campaign) == expected
    sending.start(campaign.pk)
    campaign.refresh_from_db()
    assert campaign.exclusions == expected
    assert campaign.recipients_total == 1


def test_an_empty_audience_cannot_be_sent(newsletter):
    make_contact("pending@example.com", newsletter, state="pending")
    campaign = make_campaign(newsletter)
    with pytest.raises(EmptyAudience) as caught:
        sending.start(campaign.pk)
    assert caught.value.exclusions["no_consent"] == 1
    assert "1 no_consent" in str(caught.value)
    campaign.refresh_from_db()
    assert campaign.state == "draft" and campaign.exclusions == {}
    assert not Delivery.objects.filter(campaign=campaign).exists()
