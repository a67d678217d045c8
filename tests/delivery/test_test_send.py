"""A campaign's test send (POST /campaigns/{id}/test): rendered as the chosen contact, to the
seed list or the addresses given, "[Test] " in the subject, delivered by the real worker to a
real SMTP server, as service mail that leaves the campaign's report untouched."""

from __future__ import annotations

import email
import email.policy

import pytest

from mailwright.campaigns.models import Campaign
from mailwright.consent import organisation
from mailwright.consent.models import Organisation
from mailwright.delivery import preview, sending
from mailwright.delivery.models import Delivery
from tests.api.util import assert_error
from tests.conftest import make_campaign, make_contact, run_worker

HTML = (
    "<p>Hi {{ contact.first_name|default('there') }}, since"
    " {{ contact.created_at|date('long') }}</p>"
    '<p><a href="{{ unsubscribe_url }}">Unsubscribe</a></p>'
)


def parse(data: bytes):
    return email.message_from_bytes(data, policy=email.policy.default)


@pytest.mark.django_db(transaction=True)
def test_test_send_reaches_the_seed_list_rendered_as_the_contact(api, newsletter, smtp_sink):
    organisation.current()
    Organisation.objects.update(test_addresses="qa@example.com\n\nboss@example.org\n")
    campaign = make_campaign(newsletter, subject="Hello {{ contact.first_name }}", html=HTML)
    Campaign.objects.filter(pk=campaign.pk).update(from_email="news@example.com")
    ana = make_contact("ana@example.com", newsletter, name="Ana Nowak", language="pl")

    response = api.post(f"/campaigns/{campaign.id}/test", {"contact": ana.id})
    assert response.status_code == 202, response.content
    assert response.json()["emails"] == ["qa@example.com", "boss@example.org"]
    assert run_worker(smtp_sink.relay) == 2

    got = {m.rcpt_tos[0]: parse(m.data) for m in smtp_sink.messages}
    assert sorted(got) == ["boss@example.org", "qa@example.com"]  # never ana herself
    msg = got["qa@example.com"]
    assert msg["Subject"] == "[Test] Hello Ana"
    assert "news@example.com" in msg["From"]
    html = msg.get_body(("html",)).get_content()
    assert "Hi Ana, since" in html and "#preview-unsubscribe" in html and "/u/" not in html
    assert "List-Unsubscribe" not in msg  # not marketing mail: nothing to unsubscribe from
    # the campaign itself: still a draft, nothing in its ledger, and it can still be sent
    assert not Delivery.objects.filter(campaign=campaign).exists()
    assert sending.delivery_counts(campaign.id)["sent"] == 0
    assert Campaign.objects.get(pk=campaign.pk).state == Campaign.State.DRAFT


@pytest.mark.django_db
def test_addresses_given_override_the_seed_list_and_are_checked(api, newsletter):
    campaign = make_campaign(newsletter)
    out = api.post(f"/campaigns/{campaign.id}/test", {"emails": ["me@example.com"]})
    assert out.status_code == 202 and out.json()["queued"] == 1
    d = Delivery.objects.get(email="me@example.com")
    assert d.campaign_id is None and d.stream == "service"
    assert d.content["subject"].startswith("[Test] Hello")

    error = assert_error(
        api.post(f"/campaigns/{campaign.id}/test", {"emails": ["not-an-address"]}), 422
    )
    assert (
        "'not-an-address' is not a valid address" in error["message"] and error["field"] == "emails"
    )
    many = [f"a{i}@example.com" for i in range(21)]
    error = assert_error(api.post(f"/campaigns/{campaign.id}/test", {"emails": many}), 422)
    assert "at most 20 test addresses" in error["message"]
    error = assert_error(api.post(f"/campaigns/{campaign.id}/test", {}), 422)
    assert "set the seed list in Settings" in error["message"]  # no seed list yet


@pytest.mark.django_db
def test_test_sends_are_rate_limited_per_campaign(api, newsletter):
    campaign = make_campaign(newsletter)
    other = make_campaign(newsletter)
    for _ in range(preview.TEST_SENDS_PER_MINUTE):
        assert (
            api.post(
                f"/campaigns/{campaign.id}/test", {"emails": ["a@example.com", "b@example.com"]}
            ).status_code
            == 202
        )
    error = assert_error(
        api.post(f"/campaigns/{campaign.id}/test", {"emails": ["a@example.com"]}),
        429,
        "rate_limited",
    )
    assert "at most 10 test sends a minute" in error["message"]
    assert api.post(f"/campaigns/{other.id}/test", {"emails": ["a@example.com"]}).status_code == 202
