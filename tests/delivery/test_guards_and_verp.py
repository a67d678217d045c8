"""Reputation guards pause a campaign that bounces too much; VERP addresses name their
delivery and cannot be forged."""

from __future__ import annotations

import pytest

from mailwright import tokens
from mailwright.campaigns.models import Campaign
from mailwright.contacts.models import Contact, Subscription
from mailwright.delivery import sending
from mailwright.feedback import guards
from mailwright.feedback.models import Event
from tests.conftest import make_campaign, run_worker


def audience(topic, count: int) -> None:
    Contact.objects.bulk_create([Contact(email=f"g{i}@example.com") for i in range(count)])
    Subscription.objects.bulk_create(
        [
            Subscription(contact=c, topic=topic, state="confirmed", basis="t")
            for c in Contact.objects.all()
        ]
    )


@pytest.mark.django_db(transaction=True)
def test_campaign_pauses_itself_when_hard_bounces_pass_the_threshold(fast_sink, newsletter):
    audience(newsletter, 400)
    bad = {f"g{i}@example.com": "550 5.1.1 no such user" for i in range(0, 400, 10)}  # 10 %
    sink = fast_sink(rcpt_replies=bad)
    campaign = make_campaign(newsletter)
    sending.start(campaign.id)
    run_worker(sink.relay, lanes=1, batch_size=50)
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.PAUSED
    assert "hard-bounce rate" in campaign.paused_reason and "5.0%" in campaign.paused_reason
    counts = sending.delivery_counts(campaign.id)
    assert 200 <= counts["sent"] + counts["bounced"] < 400  # stopped part-way
    assert counts["queued"] > 0
    # Resuming clears the reason (an operator decided to go on).
    sending.resume(campaign.id)
    campaign.refresh_from_db()
    assert campaign.state == "sending" and campaign.paused_reason == ""


@pytest.mark.django_db(transaction=True)
def test_no_pause_below_the_minimum_volume(fast_sink, newsletter):
    audience(newsletter, 100)
    sink = fast_sink(rcpt_replies={f"g{i}@example.com": "550 gone" for i in range(30)})
    campaign = make_campaign(newsletter)
    sending.start(campaign.id)
    run_worker(sink.relay)
    campaign.refresh_from_db()
    assert campaign.state == Campaign.State.SENT  # 30 % bounced, but only 100 deliveries


@pytest.mark.django_db
def test_complaint_rate_guard(newsletter, settings):
    audience(newsletter, 300)
    campaign = make_campaign(newsletter)
    sending.start(campaign.id)
    from mailwright.delivery.models import Delivery

    Delivery.objects.update(state="sent")
    for d in Delivery.objects.all()[:2]:  # 2/300 = 0.67 % complaints
        Event.objects.create(
            type="complained", delivery=d, campaign=campaign, created_at=d.created_at
        )
    assert guards.check([campaign.id]) == [campaign.id]
    campaign.refresh_from_db()
    assert "complaint rate" in campaign.paused_reason


@pytest.mark.parametrize("delivery_id", [1, 35, 123456789, 2**40])
def test_verp_token_round_trip(delivery_id):
    token = tokens.verp_token(delivery_id)
    assert token == token.lower() and len(token) <= 26
    assert tokens.read_verp(token) == delivery_id
    assert tokens.read_verp(token.upper()) == delivery_id  # MTAs may change case


@pytest.mark.parametrize(
    "forged",
    ["", "abc", "1-000000000000", "zz-zzzzzzzzzzzz", "1--x", "../../etc", "1-" + "a" * 500],
)
def test_forged_verp_tokens_are_refused(forged):
    with pytest.raises(tokens.BadToken):
        tokens.read_verp(forged)


def test_verp_token_for_another_delivery_does_not_verify():
    _ref, mac = tokens.verp_token(41).split("-")
    with pytest.raises(tokens.BadToken):
        tokens.read_verp(f"{tokens.verp_token(42).split('-')[0]}-{mac}")
