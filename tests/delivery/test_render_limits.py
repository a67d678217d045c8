"""In the worker, a message whose render breaks a template limit fails that delivery
permanently, with the reason, and the rest of the batch is sent without waiting on it."""

from __future__ import annotations

import time

import pytest

from mailwright.contacts.models import Contact
from mailwright.delivery import sending
from mailwright.delivery.models import Delivery
from tests.conftest import make_campaign, make_contact, run_worker

pytestmark = pytest.mark.django_db(transaction=True)


def start_then_change(newsletter, html: str, trigger: dict):
    """A campaign that passed the checks at save and start; then one contact's data changes
    so that its render breaks a limit (data is not frozen when a campaign starts)."""
    for i in range(4):
        make_contact(f"ok{i}@example.com", newsletter)
    slow = make_contact("trigger@example.com", newsletter)
    campaign = make_campaign(newsletter, html=html)
    sending.start(campaign.id)
    Contact.objects.filter(pk=slow.pk).update(attributes=trigger)
    return campaign


def test_oversized_render_fails_only_that_delivery(smtp_sink, newsletter):
    start_then_change(
        newsletter,
        "<p>Hi</p>{% if contact.attributes.big %}{{ 'x' * 10**7 }}{% endif %}",
        {"big": True},
    )
    run_worker(smtp_sink.relay)

    failed = Delivery.objects.get(email="trigger@example.com")
    assert failed.state == Delivery.State.FAILED
    assert "template limit" in failed.last_reply and "at most 2,000,000" in failed.last_reply
    assert sorted(smtp_sink.handler.recipients()) == [f"ok{i}@example.com" for i in range(4)]


def test_slow_render_stops_at_the_deadline_and_the_batch_goes_on(smtp_sink, newsletter, settings):
    settings.TEMPLATE_RENDER_SECONDS = 0.3
    start_then_change(
        newsletter,
        "<p>Hi</p>{% if contact.attributes.slow %}{% for i in range(20000) %}"
        "{{ range(100000)|sum }}{% endfor %}{% endif %}",
        {"slow": True},
    )
    started = time.monotonic()
    run_worker(smtp_sink.relay, lanes=1, batch_size=10)
    took = time.monotonic() - started

    failed = Delivery.objects.get(email="trigger@example.com")
    assert failed.state == Delivery.State.FAILED
    assert "longer than 0.3 s (MW_TEMPLATE_RENDER_SECONDS)" in failed.last_reply
    assert len(smtp_sink.handler.recipients()) == 4
    assert took < 15, took  # before: ~40 s on this one message, the others waiting
