"""Every unsubscribe channel goes through the one action: the same subscription state, the
same consent-ledger entry, the same timeline event and the same webhook payload shape."""

from __future__ import annotations

import base64
import json

import pytest
from django.contrib.auth.models import User
from django.test import Client

from mailwright import tokens
from mailwright.audit.models import AuditEntry
from mailwright.consent.models import ConsentEvent
from mailwright.contacts.models import Contact, Subscription
from mailwright.delivery import sending
from mailwright.delivery.models import Delivery
from mailwright.feedback.models import Event, WebhookDelivery
from mailwright.feedback.webhooks import do_create_endpoint
from tests.conftest import make_campaign, make_contact, run_worker
from tests.feedback.test_inbound import DOMAIN, arf, inbound  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db(transaction=True)

CHANNELS = [
    "one_click",
    "unsubscribe_page",
    "preferences",
    "mailto",
    "relay_webhook",
    "complaint",
    "api",
    "admin",
]


@pytest.fixture
def people(smtp_sink, newsletter, inbound, settings):  # noqa: F811 - the inbound fixture
    settings.ANYMAIL = {"WEBHOOK_SECRET": "relay:s3cret"}
    do_create_endpoint("https://hooks.example.com/mailwright", ["unsubscribed"])
    for channel in CHANNELS:
        make_contact(f"{channel.replace('_', '-')}@example.com", newsletter)
    campaign = make_campaign(newsletter)
    sending.start(campaign.id)
    run_worker(smtp_sink.relay)
    return {
        channel: Delivery.objects.get(email=f"{channel.replace('_', '-')}@example.com")
        for channel in CHANNELS
    }


def unsubscribe_by(channel: str, d: Delivery, inbound, api) -> None:  # noqa: F811
    token = tokens.make("unsubscribe", {"c": d.contact_id, "m": d.campaign_id})
    anonymous = Client(enforce_csrf_checks=True)
    if channel == "one_click":
        r = anonymous.post(
            f"/u/{token}",
            "List-Unsubscribe=One-Click",
            content_type="application/x-www-form-urlencoded",
        )
    elif channel == "unsubscribe_page":
        r = Client().post(f"/u/{token}", {"scope": "all"})
    elif channel == "preferences":
        prefs = tokens.make("preferences", {"c": d.contact_id})
        r = Client().post(f"/p/{prefs}", {"action": "unsubscribe_all"})
    elif channel == "mailto":
        raw = f"From: {d.email}\r\nTo: unsubscribe@{DOMAIN}\r\nSubject: unsubscribe {token}\r\n\r\n"
        inbound(f"unsubscribe@{DOMAIN}", raw.encode())
        return
    elif channel == "relay_webhook":
        auth = base64.b64encode(b"relay:s3cret").decode()
        r = Client().post(
            "/webhooks/relay/postmark/tracking/",
            json.dumps(
                {
                    "RecordType": "SubscriptionChange",
                    "MessageID": "a8c1040e-db1c-4e18-ac79-bc5f64c7ce2c",
                    "ServerID": 23,
                    "MessageStream": "broadcast",
                    "ChangedAt": "2026-12-06T10:00:00Z",
                    "Recipient": d.email,
                    "Origin": "Recipient",
                    "SuppressSending": True,
                    "SuppressionReason": "ManualSuppression",
                    "Tag": "",
                    "Metadata": {},
                }
            ),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Basic {auth}",
        )
    elif channel == "complaint":
        inbound(f"fbl@{DOMAIN}", arf(d))
        return
    elif channel == "api":
        r = api.post(f"/contacts/{d.contact_id}/unsubscribe", {})
    elif channel == "admin":
        user = User.objects.create_user("operator", password="a long password 123")
        ui = Client()
        ui.force_login(user)
        r = ui.post(f"/contacts/{d.contact_id}/unsubscribe/")
        assert r.status_code == 302
        return
    assert r.status_code == 200, (channel, r.status_code, r.content[:300])


def test_every_channel_leaves_the_same_trace(people, inbound, api):  # noqa: F811
    for channel, d in people.items():
        unsubscribe_by(channel, d, inbound, api)

    shapes = {}
    for channel, d in people.items():
        contact = Contact.objects.get(pk=d.contact_id)
        # State: no subscription left, and the status says why.
        states = set(Subscription.objects.filter(contact=contact).values_list("state", flat=True))
        assert states == {"unsubscribed"}, channel
        expected = "complained" if channel == "complaint" else "unsubscribed"
        assert contact.status == expected, channel
        # The consent ledger: one unsubscribe entry, through this channel.
        ledger = ConsentEvent.objects.filter(contact_ref=contact.id, action="unsubscribe")
        assert list(ledger.values_list("channel", "topic_key")) == [(channel, "newsletter")], (
            channel
        )
        # The timeline: one `unsubscribed` event naming the channel.
        events = Event.objects.filter(contact=contact, type="unsubscribed")
        assert events.count() == 1, channel
        event = events.get()
        assert event.data["channel"] == channel and event.data["scope"] == "all"
        assert event.data["topics"] == ["newsletter"]
        # The audit log names who did it.
        assert AuditEntry.objects.filter(
            action="contact.unsubscribe", object_id=str(contact.id), channel=channel
        ).exists(), channel
        # The webhook: one delivery, the same payload keys whatever the channel.
        hooks = WebhookDelivery.objects.filter(
            event_type="unsubscribed", payload__data__contact=contact.id
        )
        assert hooks.count() == 1, channel
        payload = hooks.get().payload["data"]
        assert payload["email"] == d.email and payload["channel"] == channel
        shapes[channel] = sorted(payload)
    assert len({tuple(s) for s in shapes.values()}) == 1, shapes
    # Channels that came from the campaign's message are tied to its delivery.
    for channel in ("one_click", "unsubscribe_page", "mailto", "relay_webhook", "complaint"):
        event = Event.objects.get(contact_id=people[channel].contact_id, type="unsubscribed")
        assert event.delivery_id == people[channel].id, channel
        assert event.campaign_id == people[channel].campaign_id, channel
