"""The delivery engine against a real SMTP server on 127.0.0.1."""

from __future__ import annotations

from datetime import timedelta
from email import message_from_bytes, policy

import pytest
from django.utils import timezone

from mailwright.campaigns.models import Campaign
from mailwright.conf import RelayConfig
from mailwright.consent.models import Suppression
from mailwright.contacts.models import Contact
from mailwright.delivery import sending
from mailwright.delivery.models import Delivery
from mailwright.feedback.models import Event
from tests.conftest import make_campaign, make_contact, run_worker

pytestmark = pytest.mark.django_db(transaction=True)


def test_campaign_is_delivered_personalised_to_confirmed_contacts_only(smtp_sink, newsletter):
    make_contact("ana@example.com", newsletter, name="Ana Nowak")
    make_contact("bob@example.com", newsletter, name="Bob Stone")
    make_contact("pending@example.com", newsletter, state="pending")
    make_contact("no-topic@example.com")
    campaign = make_campaign(newsletter)

    started = sending.start(campaign.id)
    assert started.recipients_total == 2
    assert run_worker(smtp_sink.relay) == 2

    assert sorted(smtp_sink.handler.recipients()) == ["ana@example.com", "bob@example.com"]
    by_rcpt = {
        m.rcpt_tos[0]: message_from_bytes(m.data, policy=policy.default) for m in smtp_sink.messages
    }
    assert by_rcpt["ana@example.com"]["Subject"] == "Hello Ana"
    html = by_rcpt["ana@example.com"].get_body(("html",)).get_content()
    assert "Hi Ana" in html and "/u/" in html and "/p/" in html
    counts = sending.delivery_counts(campaign.id)
    assert counts["sent"] == 2 and counts["queued"] == 0
    assert Campaign.objects.get(pk=campaign.id).state == Campaign.State.SENT
    assert Event.objects.filter(type="sent", campaign=campaign).count() == 2


def test_4xx_reply_defers_with_backoff_and_loses_nothing(smtp_sink, newsletter):
    make_contact("busy@example.com", newsletter)
    campaign = make_campaign(newsletter)
    sending.start(campaign.id)
    smtp_sink.handler.rcpt_replies["busy@example.com"] = "451 4.7.1 Try again later"

    run_worker(smtp_sink.relay)

    d = Delivery.objects.get(campaign=campaign)
    assert d.state == Delivery.State.DEFERRED
    assert d.last_code == 451 and "Try again later" in d.last_reply
    assert d.next_attempt_at > timezone.now() + timedelta(seconds=30)
    assert not Suppression.objects.exists()
    assert smtp_sink.messages == []

    # "Try again later" is a rate-limit answer: the receiving domain is backed off.
    from mailwright.delivery.models import RelayState

    state = RelayState.objects.get(key="domain:example.com")
    assert state.throttled_until > timezone.now() and "Try again later" in state.last_error

    # When it is due again, the back-off is over and the receiver accepts, it is sent.
    smtp_sink.handler.rcpt_replies.clear()
    RelayState.objects.update(throttled_until=timezone.now())
    Delivery.objects.filter(pk=d.pk).update(next_attempt_at=timezone.now())
    run_worker(smtp_sink.relay)
    d.refresh_from_db()
    assert d.state == Delivery.State.SENT and d.attempts == 2
    assert smtp_sink.handler.recipients() == ["busy@example.com"]


def test_5xx_reply_is_a_hard_bounce_and_suppresses_the_address(smtp_sink, newsletter):
    make_contact("gone@example.com", newsletter)
    make_contact("fine@example.com", newsletter)
    campaign = make_campaign(newsletter)
    sending.start(campaign.id)
    smtp_sink.handler.rcpt_replies["gone@example.com"] = "550 5.1.1 No such user"

    run_worker(smtp_sink.relay)

    gone = Delivery.objects.get(email="gone@example.com")
    assert gone.state == Delivery.State.BOUNCED and gone.last_code == 550
    entry = Suppression.objects.get(email="gone@example.com")
    assert entry.reason == Suppression.Reason.HARD_BOUNCE and "No such user" in entry.detail
    assert Contact.objects.get(email="gone@example.com").status == Contact.Status.BOUNCED
    from mailwright.consent.models import ConsentEvent

    event = ConsentEvent.objects.get(action="suppressed:hard_bounce")
    assert event.channel == "bounce" and event.email == "gone@example.com"
    assert smtp_sink.handler.recipients() == ["fine@example.com"]

    # A later campaign does not include the suppressed address at all.
    second = make_campaign(newsletter)
    assert sending.start(second.id).recipients_total == 1


def test_data_stage_4xx_defers(smtp_sink, newsletter):
    make_contact("a@example.com", newsletter)
    campaign = make_campaign(newsletter)
    sending.start(campaign.id)
    smtp_sink.handler.data_reply = "452 4.3.1 Insufficient system storage"
    run_worker(smtp_sink.relay)
    assert Delivery.objects.get().state == Delivery.State.DEFERRED


def test_relay_down_defers_everything_then_delivers_when_it_returns(smtp_sink, newsletter):
    for i in range(5):
        make_contact(f"r{i}@example.com", newsletter)
    campaign = make_campaign(newsletter)
    sending.start(campaign.id)

    # Nothing listens on this port: every attempt is a connection failure.
    run_worker(RelayConfig("smtp://127.0.0.1:9"))
    assert sending.delivery_counts(campaign.id)["deferred"] == 5
    assert Delivery.objects.filter(last_reply__startswith="connection failed").count() == 5

    Delivery.objects.update(next_attempt_at=timezone.now())
    run_worker(smtp_sink.relay)
    assert sending.delivery_counts(campaign.id)["sent"] == 5
    assert len(smtp_sink.messages) == 5


def test_expired_lease_is_claimed_again(smtp_sink, newsletter):
    make_contact("lost@example.com", newsletter)
    campaign = make_campaign(newsletter)
    sending.start(campaign.id)
    # A worker claimed the row and died: the row is "sending" with a lease in the past.
    Delivery.objects.update(
        state=Delivery.State.SENDING,
        lease_owner="dead-worker:1",
        lease_expires_at=timezone.now() - timedelta(seconds=1),
        attempts=1,
    )
    run_worker(smtp_sink.relay)
    d = Delivery.objects.get()
    assert d.state == Delivery.State.SENT and d.attempts == 2
    assert smtp_sink.handler.recipients() == ["lost@example.com"]


def test_live_lease_is_not_taken_over(smtp_sink, newsletter):
    make_contact("busy@example.com", newsletter)
    campaign = make_campaign(newsletter)
    sending.start(campaign.id)
    Delivery.objects.update(
        state=Delivery.State.SENDING,
        lease_owner="other-worker:1",
        lease_expires_at=timezone.now() + timedelta(minutes=5),
    )
    run_worker(smtp_sink.relay)
    assert smtp_sink.messages == []
    assert Delivery.objects.get().lease_owner == "other-worker:1"


def test_paused_campaign_is_not_sent_until_resumed(smtp_sink, newsletter):
    make_contact("p@example.com", newsletter)
    campaign = make_campaign(newsletter)
    sending.start(campaign.id)
    sending.pause(campaign.id)
    run_worker(smtp_sink.relay)
    assert smtp_sink.messages == []
    sending.resume(campaign.id)
    run_worker(smtp_sink.relay)
    assert len(smtp_sink.messages) == 1


def test_address_suppressed_after_queueing_is_not_sent(smtp_sink, newsletter):
    from mailwright.consent.suppression import do_suppress

    make_contact("late@example.com", newsletter)
    campaign = make_campaign(newsletter)
    sending.start(campaign.id)
    do_suppress("late@example.com", Suppression.Reason.MANUAL, "asked by phone")
    run_worker(smtp_sink.relay)
    assert smtp_sink.messages == []
    assert Delivery.objects.get().state == Delivery.State.SUPPRESSED


def test_deferred_past_max_age_gives_up(smtp_sink, newsletter, settings):
    make_contact("old@example.com", newsletter)
    campaign = make_campaign(newsletter)
    sending.start(campaign.id)
    Delivery.objects.update(created_at=timezone.now() - timedelta(days=4))
    smtp_sink.handler.rcpt_replies["old@example.com"] = "421 4.4.2 Timeout"
    run_worker(smtp_sink.relay)
    d = Delivery.objects.get()
    assert d.state == Delivery.State.FAILED and "gave up" in d.last_reply


def test_template_failure_for_one_contact_fails_only_that_delivery(smtp_sink, newsletter):
    make_contact("ok@example.com", newsletter, attributes={"n": 2})
    bad = make_contact("bad@example.com", newsletter, attributes={"n": 1})
    campaign = make_campaign(newsletter, html="<p>{{ 10 // contact.attributes.n }}</p>")
    sending.start(campaign.id)
    # The data changes after the checks at save and start (which render for real contacts).
    Contact.objects.filter(pk=bad.pk).update(attributes={"n": 0})
    run_worker(smtp_sink.relay)
    assert Delivery.objects.get(email="ok@example.com").state == Delivery.State.SENT
    bad = Delivery.objects.get(email="bad@example.com")
    assert bad.state == Delivery.State.FAILED and "ZeroDivisionError" in bad.last_reply


def test_two_engines_never_send_the_same_delivery_twice(smtp_sink, newsletter):
    import asyncio

    from mailwright.delivery.engine import Engine

    for i in range(120):
        make_contact(f"n{i}@example.com", newsletter)
    campaign = make_campaign(newsletter)
    sending.start(campaign.id)

    async def both():
        engines = [
            Engine(smtp_sink.relay, lanes=2, batch_size=7, idle_seconds=0, worker_id=f"w{i}")
            for i in range(2)
        ]
        await asyncio.gather(*(e.run(until_idle=True) for e in engines))
        return [e.sent for e in engines]

    sent = asyncio.run(both())
    rcpts = smtp_sink.handler.recipients()
    assert len(rcpts) == len(set(rcpts)) == 120
    assert sum(sent) == 120


def test_internationalized_address_fails_cleanly_when_relay_lacks_smtputf8(smtp_sink, newsletter):
    make_contact("şükrü@example.com", newsletter, name="Şükrü")
    make_contact("plain@example.com", newsletter)
    campaign = make_campaign(newsletter)
    sending.start(campaign.id)
    run_worker(smtp_sink.relay)  # the test sink does not offer SMTPUTF8
    failed = Delivery.objects.get(email="şükrü@example.com")
    assert failed.state == Delivery.State.FAILED and "SMTPUTF8" in failed.last_reply
    assert not Suppression.objects.exists(), "the relay's limit is not the address's fault"
    assert smtp_sink.handler.recipients() == ["plain@example.com"]


def test_envelope_sender_uses_the_bounce_domain(smtp_sink, newsletter, settings):
    settings.BOUNCE_DOMAIN = "bounces.example.net"
    make_contact("e@example.com", newsletter)
    campaign = make_campaign(newsletter)
    sending.start(campaign.id)
    run_worker(smtp_sink.relay)
    received = smtp_sink.messages[0]
    from mailwright import tokens

    local, _, domain = received.mail_from.partition("@")
    assert domain == "bounces.example.net" and local.startswith("bounce+")
    delivery = Delivery.objects.get()
    assert tokens.read_verp(local.removeprefix("bounce+")) == delivery.id
    parsed = message_from_bytes(received.data, policy=policy.default)
    assert parsed["From"].addresses[0].addr_spec == "news@example.com"
