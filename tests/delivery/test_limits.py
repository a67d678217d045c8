"""Relay and domain limits hold across several workers: daily caps exactly, rates by
schedule, connection slots, domain hourly caps with warm-up, and back-off after 421/451."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from mailwright.conf import RelayConfig
from mailwright.contacts.models import Contact, Subscription
from mailwright.delivery import limits, sending
from mailwright.delivery.engine import Engine
from mailwright.delivery.models import Delivery, DomainPolicy, Relay, RelayState, UsageCounter
from mailwright.delivery.relays import RelayChoice
from tests.conftest import make_campaign

pytestmark = pytest.mark.django_db(transaction=True)


def audience(topic, count: int, domain: str = "example.com", start: int = 0) -> None:
    Contact.objects.bulk_create(
        [Contact(email=f"u{i}@{domain}") for i in range(start, start + count)]
    )
    Subscription.objects.bulk_create(
        [
            Subscription(contact=c, topic=topic, state="confirmed", basis="test")
            for c in Contact.objects.filter(email__endswith=f"@{domain}").exclude(
                subscriptions__topic=topic
            )
        ]
    )


def send_campaign(topic) -> int:
    campaign = make_campaign(topic)
    sending.start(campaign.id)
    return campaign.id


def run_engines(relays, count: int = 2, **kwargs) -> int:
    """Several engines at once, as separate workers would be (each has its own DB thread)."""

    async def main():
        engines = [
            Engine(
                relays,
                worker_id=f"w{i}",
                idle_seconds=0,
                **{"lanes": 2, "batch_size": 10, **kwargs},
            )
            for i in range(count)
        ]
        await asyncio.gather(*(e.run(until_idle=True) for e in engines))
        return sum(e.sent for e in engines)

    return asyncio.run(main())


def relay(sink, query: str = "", key: str = "main") -> list[RelayChoice]:
    return [RelayChoice(key=key, config=RelayConfig(sink.relay_url(query)))]


def test_daily_cap_is_exact_across_workers_and_the_rest_waits(fast_sink, newsletter):
    sink = fast_sink()
    audience(newsletter, 120)
    cid = send_campaign(newsletter)
    assert run_engines(relay(sink, "?daily=50"), count=3) == 50
    assert sink.count == 50
    assert sending.delivery_counts(cid)["queued"] == 70
    assert UsageCounter.objects.get(scope="relay-day:main").used == 50
    with time_machine.travel(timezone.now() + timedelta(days=1)):
        assert run_engines(relay(sink, "?daily=50"), count=3) == 50
    assert sink.count == 100 and len(set(sink.recipients())) == 100


def test_rate_is_booked_so_batches_never_overlap(fast_sink, newsletter):
    sink = fast_sink()
    audience(newsletter, 30)
    send_campaign(newsletter)
    before = timezone.now()
    run_engines(relay(sink, "?rate=10/s"), count=2)
    assert sink.count == 30
    booked_until = RelayState.objects.get(key="main").next_send_at
    # 30 messages at 10 per second were booked over at least 3 seconds of schedule.
    assert (booked_until - before).total_seconds() >= 3


def test_schedule_bookings_are_consecutive():
    first = limits.schedule("r", rate=100, count=50)
    second = limits.schedule("r", rate=100, count=50)
    assert (second - first).total_seconds() == pytest.approx(0.5, abs=0.01)


def test_connection_slots_cap_concurrency_across_workers(fast_sink, newsletter):
    sink = fast_sink(reply_delay=0.002)
    audience(newsletter, 80)
    send_campaign(newsletter)
    run_engines(relay(sink, "?concurrency=2"), count=3, lanes=3, batch_size=5)
    assert sink.count == 80
    assert sink.max_live <= 2


def test_domain_hourly_cap_and_warmup(fast_sink, newsletter):
    sink = fast_sink()
    audience(newsletter, 30, domain="gmail.com")
    audience(newsletter, 5, domain="example.org", start=100)
    DomainPolicy.objects.create(domain="gmail.com", hourly_cap=10)
    cid = send_campaign(newsletter)
    run_engines(relay(sink), count=2)
    got = sink.recipients()
    assert sum(r.endswith("@gmail.com") for r in got) == 10
    assert sum(r.endswith("@example.org") for r in got) == 5
    assert sending.delivery_counts(cid)["queued"] == 20
    with time_machine.travel(timezone.now() + timedelta(hours=1)):
        run_engines(relay(sink), count=2)
    assert sum(r.endswith("@gmail.com") for r in sink.recipients()) == 20


def test_warmup_schedule_grows_daily_up_to_the_cap():
    policy = DomainPolicy(
        domain="gmail.com",
        hourly_cap=500,
        warmup_start=50,
        warmup_growth=2.0,
        warmup_started_at=timezone.now() - timedelta(days=2, hours=1),
    )
    assert limits.hourly_cap(policy) == 200
    policy.warmup_started_at = timezone.now() - timedelta(days=10)
    assert limits.hourly_cap(policy) == 500


def test_421_backs_off_the_relay_and_another_relay_takes_over(fast_sink, newsletter):
    busy = fast_sink(mail_reply="421 4.7.0 Too many connections, slow down")
    calm = fast_sink()
    audience(newsletter, 40)
    send_campaign(newsletter)
    relays = relay(busy, "?weight=1000", key="busy") + relay(calm, key="calm")
    run_engines(relays, count=1)
    state = RelayState.objects.get(key="busy")
    assert state.throttled_until > timezone.now() and state.backoff_seconds == 30
    # Everything deferred by the busy relay is retried later; the rest went through calm.
    delivered = Delivery.objects.filter(state="sent").count()
    assert delivered == calm.count and busy.count == 0
    Delivery.objects.filter(state="deferred").update(next_attempt_at=timezone.now())
    run_engines(relays, count=1)  # busy is still backed off: only calm is used
    assert calm.count == 40 and busy.count == 0


def test_relays_from_the_ui_with_streams_and_weights(fast_sink, newsletter):
    from mailwright.consent import subscribing
    from mailwright.delivery.relays import configured

    marketing_sink, service_sink = fast_sink(), fast_sink()
    Relay.objects.create(name="bulk", url=marketing_sink.relay_url(), stream="marketing", weight=3)
    Relay.objects.create(name="tx", url=service_sink.relay_url(), stream="service")
    audience(newsletter, 10)
    send_campaign(newsletter)
    subscribing.queue_optin_email(Contact.objects.first(), ["newsletter"])
    run_engines(configured(), count=1)
    assert marketing_sink.count == 10
    assert service_sink.count == 1
    assert Delivery.objects.get(stream="service").relay == "tx"


def test_relay_url_limits_parse_and_bad_values_are_refused():
    from django.core.exceptions import ImproperlyConfigured

    r = RelayConfig("smtp://h:25?rate=600/m&concurrency=4&daily=500&weight=2&name=gmail")
    assert (r.rate, r.concurrency, r.daily, r.weight, r.name) == (10.0, 4, 500, 2, "gmail")
    for bad in ("rate=fast", "rate=0/s", "daily=-1", "concurrency=0", "rate=5/week"):
        with pytest.raises(ImproperlyConfigured):
            RelayConfig(f"smtp://h:25?{bad}")
