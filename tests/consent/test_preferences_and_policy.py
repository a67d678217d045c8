"""The preference center takes effect at once; the consent policy decides who gets mail."""

from __future__ import annotations

from datetime import timedelta
from email import message_from_bytes, policy

import pytest
from django.test import Client
from django.utils import timezone

from mailwright import tokens
from mailwright.campaigns.campaigns import create_campaign
from mailwright.campaigns.templates import save_template
from mailwright.consent import ledger
from mailwright.consent.models import ConsentEvent
from mailwright.consent.topics import create_topic
from mailwright.contacts.models import Contact, Subscription
from mailwright.delivery import sending
from mailwright.delivery.models import Delivery
from tests.conftest import make_campaign, make_contact, run_worker

pytestmark = pytest.mark.django_db


@pytest.fixture
def offers(db):
    return create_topic(key="offers", name="Offers", consent_text="Discounts")


def prefs_url(contact):
    return f"/p/{tokens.make('preferences', {'c': contact.id})}"


def post_prefs(contact, **data):
    client = Client()
    client.get(prefs_url(contact))  # sets the CSRF cookie like a browser
    token = client.cookies["csrftoken"].value
    return client.post(prefs_url(contact), {"csrfmiddlewaretoken": token, **data})


def test_preference_page_is_accessible_without_javascript(client, newsletter):
    contact = make_contact("p@example.com", newsletter)
    html = client.get(prefs_url(contact)).content.decode()
    assert "<script" not in html
    for control in ('id="topic-newsletter"', 'id="freq-weekly"', 'id="pause-30"', 'id="language"'):
        assert control in html
        assert f'for="{control.split(chr(34))[1]}"' in html  # every control has a label


def test_frequency_pause_language_are_saved_and_in_the_ledger(newsletter):
    contact = make_contact("p@example.com", newsletter)
    response = post_prefs(
        contact, topic=["newsletter"], frequency="weekly", pause="30", language="bg"
    )
    assert response.status_code == 200
    contact.refresh_from_db()
    assert contact.frequency == "weekly" and contact.language == "bg"
    assert contact.paused_until > timezone.now() + timedelta(days=29)
    actions = set(
        ConsentEvent.objects.filter(channel="preferences").values_list("action", flat=True)
    )
    assert {"frequency", "pause", "language"} <= actions
    assert 'lang="bg"' in response.content.decode()
    assert ledger.verify().ok


def test_preference_post_without_csrf_is_refused(newsletter):
    contact = make_contact("p@example.com", newsletter)
    strict = Client(enforce_csrf_checks=True)
    assert strict.post(prefs_url(contact), {"frequency": "monthly"}).status_code == 403
    contact.refresh_from_db()
    assert contact.frequency == "default"


def test_unsubscribe_from_everything(newsletter, offers):
    contact = make_contact("p@example.com", newsletter)
    post_prefs(contact, action="unsubscribe_all")
    contact.refresh_from_db()
    assert contact.status == "unsubscribed"
    assert set(contact.subscriptions.values_list("state", flat=True)) == {"unsubscribed"}


def test_ticking_a_topic_in_the_preference_center_subscribes(newsletter, offers):
    contact = make_contact("p@example.com", newsletter)
    post_prefs(contact, topic=["newsletter", "offers"], frequency="every")
    assert Subscription.objects.get(contact=contact, topic=offers).state == "confirmed"
    event = ConsentEvent.objects.get(topic_key="offers")
    assert event.channel == "preferences" and "preference center" in event.basis


def test_paused_and_over_frequency_contacts_are_left_out_of_the_audience(newsletter):
    make_contact("normal@example.com", newsletter)
    paused = make_contact("paused@example.com", newsletter)
    weekly = make_contact("weekly@example.com", newsletter)
    Contact.objects.filter(pk=paused.pk).update(paused_until=timezone.now() + timedelta(days=30))
    Contact.objects.filter(pk=weekly.pk).update(frequency="weekly")
    first = make_campaign(newsletter)
    assert sending.start(first.id).recipients_total == 2  # paused left out
    second = make_campaign(newsletter)
    # weekly already has a marketing mail this week
    assert sending.start(second.id).recipients_total == 1


def test_unsubscribe_after_freeze_is_honoured_at_send_time(smtp_sink, newsletter, transactional_db):
    from mailwright.consent import actions

    stay = make_contact("stay@example.com", newsletter)
    leave = make_contact("leave@example.com", newsletter)
    campaign = make_campaign(newsletter)
    sending.start(campaign.id)
    actions.do_unsubscribe(leave, by=ledger.Actor(channel="one_click"))
    run_worker(smtp_sink.relay)
    assert smtp_sink.handler.recipients() == [stay.email]
    skipped = Delivery.objects.get(contact=leave)
    assert skipped.state == "suppressed" and "no longer consents" in skipped.last_reply


def test_sending_needs_a_postal_address(newsletter, settings):
    from mailwright.consent.models import Organisation
    from mailwright.delivery.sending import CampaignStateError

    make_contact("a@example.com", newsletter)
    campaign = make_campaign(newsletter)
    Organisation.objects.update_or_create(
        id=1, defaults={"name": "X", "postal_address": "", "from_email": "n@example.com"}
    )
    with pytest.raises(CampaignStateError, match="postal address"):
        sending.start(campaign.id)


def test_every_marketing_mail_carries_the_required_elements(
    smtp_sink, newsletter, transactional_db
):
    make_contact("m@example.com", newsletter, name="Maria")
    bare = save_template(
        name="bare", subject="Hi", html="<html><body><p>Only content</p></body></html>"
    )
    campaign = create_campaign(name="bare", template_id=bare.id, topic_keys=["newsletter"])
    sending.start(campaign.id)
    run_worker(smtp_sink.relay)
    msg = message_from_bytes(smtp_sink.messages[0].data, policy=policy.default)
    lu = msg["List-Unsubscribe"]
    assert "<http" in lu and "/u/" in lu and "<mailto:unsubscribe@" in lu
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    html = msg.get_body(("html",)).get_content()
    text = msg.get_body(("plain",)).get_content()
    for part in (html, text):
        assert "/u/" in part and "/p/" in part and "1 Test Street" in part
    assert html.index("Only content") < html.index("/u/") < html.index("</body>")

    # The one-click URL from the header unsubscribes with a bare POST.
    url = lu.split("<", 1)[1].split(">", 1)[0]
    path = "/" + url.split("/", 3)[3]
    Client(enforce_csrf_checks=True).post(
        path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert Subscription.objects.get().state == "unsubscribed"


def test_service_mail_ignores_consent_but_not_suppression(smtp_sink, newsletter, transactional_db):
    from mailwright.consent import subscribing
    from mailwright.consent.suppression import do_suppress

    nobody = make_contact("no-consent@example.com")  # no marketing consent at all
    subscribing.queue_optin_email(nobody, ["newsletter"])
    bounced = make_contact("bounced@example.com")
    subscribing.queue_optin_email(bounced, ["newsletter"])
    do_suppress("bounced@example.com", "hard_bounce", "550 no such user")
    run_worker(smtp_sink.relay)
    assert smtp_sink.handler.recipients() == ["no-consent@example.com"]
    assert Delivery.objects.get(contact=bounced).state == "suppressed"
