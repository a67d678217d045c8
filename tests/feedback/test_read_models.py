"""One definition of each rate: a campaign sent through the worker to a real SMTP sink, with
bounces refused at once, a DSN and an ARF report through the inbound server, and opens and
clicks through the tracking endpoints, has the same rates in the reputation guard, the report
page, the reputation panel, the stream analytics page and the API. The API's report,
reputation and timeline shapes, and the contact timeline's order and content."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from email import message_from_bytes, policy

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from mailwright import tokens
from mailwright.campaigns.campaigns import create_campaign
from mailwright.campaigns.templates import save_template
from mailwright.consent import privacy, subscribing
from mailwright.consent.ledger import Actor
from mailwright.contacts.models import Contact
from mailwright.delivery import sending
from mailwright.delivery.models import Delivery
from mailwright.feedback import guards, rates
from mailwright.feedback.rates import Counts
from mailwright.feedback.tracking_writer import writer
from tests.api.util import assert_error
from tests.conftest import ADMIN, make_contact, run_worker
from tests.feedback import test_inbound
from tests.feedback.test_inbound import DOMAIN, arf, dsn
from tests.web.test_feedback_ui import make_reported

inbound = test_inbound.inbound  # the real inbound SMTP server, as a fixture here too

HTML = (
    "<html><body><p>Hi {{ contact.first_name }}</p>"
    '<a href="https://shop.example.com/a">A</a> <a href="https://shop.example.com/b">B</a> '
    '<a href="{{ unsubscribe_url }}">Unsubscribe</a>'
    "<p>{{ organisation.address }}</p></body></html>"
)
HUMAN = {"HTTP_USER_AGENT": "Mozilla/5.0 (Windows NT 10.0) Chrome/120", "REMOTE_ADDR": "2.3.4.5"}
APPLE = {"HTTP_USER_AGENT": "Mozilla/5.0", "REMOTE_ADDR": "17.58.1.2"}
SCANNER = {"HTTP_USER_AGENT": "Barracuda Sentinel (EE)", "REMOTE_ADDR": "203.0.113.9"}


def path(url: str) -> str:
    return "/" + url.split("/", 3)[3]


def tracking_urls(raw: bytes) -> tuple[str, list[str]]:
    """(open pixel path, tracked link paths) of one received message."""
    html = message_from_bytes(raw, policy=policy.default).get_body(("html",)).get_content()
    pixel = re.search(r'<img src="(http://[^"]+/t/o/[^"]+\.gif)"', html).group(1)
    return path(pixel), [path(u) for u in re.findall(r'href="(http://[^"]+/t/c/[^"]+)"', html)]


def staff_client(admin_user) -> Client:
    client = Client()
    client.force_login(admin_user)
    return client


def campaign_with_links(topic, name="Spring sale"):
    tpl = save_template(name=name, subject="Hi", html=HTML)
    return create_campaign(name=name, template_id=tpl.id, topic_keys=[topic.key])


# --- the rates, everywhere ------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_campaigns_rates_are_the_same_in_guard_report_reputation_and_api(
    smtp_sink,
    newsletter,
    inbound,
    admin_user,
    api,
):
    for i in range(10):
        make_contact(f"r{i}@example.com", newsletter)
    refused = {"r8@example.com", "r9@example.com"}
    smtp_sink.handler.rcpt_replies = {a: "550 5.1.1 no such user" for a in refused}
    campaign = campaign_with_links(newsletter)
    sending.start(campaign.id)
    run_worker(smtp_sink.relay)
    by_email = {d.email: d for d in Delivery.objects.filter(campaign=campaign)}
    received = {m.rcpt_tos[0]: m.data for m in smtp_sink.messages}
    assert set(received) == {f"r{i}@example.com" for i in range(8)}

    # An hour later (a click seconds after delivery is a scanner's): bounces, a complaint,
    # opens and clicks come back through the real paths.
    with time_machine.travel(timezone.now() + timedelta(hours=1), tick=True):
        r7, r6 = by_email["r7@example.com"], by_email["r6@example.com"]
        inbound(f"bounce+{tokens.verp_token(r7.id)}@{DOMAIN}", dsn(r7, "5.1.1", "550 5.1.1 gone"))
        inbound(f"fbl@{DOMAIN}", arf(r6))
        urls = {email: tracking_urls(raw) for email, raw in received.items()}
        for email, headers in [
            ("r0@example.com", HUMAN),
            ("r0@example.com", HUMAN),  # twice: still one unique open
            ("r1@example.com", HUMAN),
            ("r2@example.com", HUMAN),
            ("r3@example.com", APPLE),  # Apple Mail Privacy Protection
        ]:
            assert Client(**headers).get(urls[email][0]).status_code == 200
        for email, headers in [
            ("r0@example.com", HUMAN),
            ("r1@example.com", HUMAN),
            ("r2@example.com", SCANNER),
        ]:
            assert Client(**headers).get(urls[email][1][0]).status_code == 302
        writer.flush()

        expected = {
            "bounce_rate": 3 / 10,  # r8, r9 refused at once; r7 bounced later
            "complaint_rate": 1 / 10,  # over attempts, as the guard counts
            "open_rate": 3 / 7,  # unique human opens over delivered
            "click_rate": 2 / 7,
        }
        # The guard (the cheap counts it runs while sending).
        attempted, bounce, complaint = guards.rates(campaign.id)
        assert (attempted, bounce, complaint) == (10, expected["bounce_rate"], 0.1)

        staff = staff_client(admin_user)
        report = staff.get(f"/campaigns/{campaign.id}/report/").context["report"]
        assert report.counts == Counts(
            attempted=10,
            bounced=3,
            bounced_later=1,
            complaints=1,
            opens_human=3,
            opens_machine=1,
            clicks_human=2,
            clicks_machine=1,
            unsubscribed=1,  # the complaint unsubscribed r6, through the one unsubscribe action
        )
        assert {k: report.rates[k].value for k in expected} == expected

        panel = staff.get("/delivery/reputation/").context["reports"]
        marketing = next(r for r in panel if r.stream == "marketing")
        assert (marketing.bounce_rate, marketing.complaint_rate) == (bounce, complaint)

        streams = staff.get("/delivery/analytics/").context["streams"]
        figures = next(s for s in streams if s.stream == "marketing")
        assert {k: figures.rates[k].value for k in expected} == expected

        body = api.get(f"/campaigns/{campaign.id}/report").json()
        assert {k: body["rates"][k] for k in expected} == expected
        assert body["counts"]["delivered"] == 7 and body["counts"]["accepted"] == 8
        assert body["rates"]["machine_open_rate"] == 1 / 7
        assert body["rates"]["click_to_open_rate"] == 2 / 3
        reputation = api.get("/streams/marketing/reputation").json()
        assert reputation["rates"] == {"bounce_rate": bounce, "complaint_rate": complaint}
        assert reputation["counts"] == {
            "attempted": 10,
            "delivered": 7,
            "bounced": 3,
            "complaints": 1,
        }


# --- the pure functions -----------------------------------------------------------------------


def test_rates_over_nothing_are_none_and_denominators_are_the_documented_ones():
    assert all(r.value is None for r in rates.all_rates(Counts()).values())
    assert rates.bounce_rate(Counts()).text == "—"
    c = Counts(attempted=200, bounced=20, complaints=2, opens_human=45, clicks_human=9)
    assert c.delivered == 180
    assert rates.bounce_rate(c).value == 0.1
    assert rates.complaint_rate(c).value == 0.01
    assert rates.open_rate(c).value == 0.25
    assert rates.click_rate(c).value == 0.05
    assert rates.click_to_open_rate(c).value == 0.2
    assert rates.open_rate(c).text == "25 %"


# --- API shapes -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_report_api_of_a_draft_and_unknown_ids(api, newsletter):
    campaign = campaign_with_links(newsletter)
    response = api.get(f"/campaigns/{campaign.id}/report")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {
        *("campaign", "counts", "rates", "links", "domains", "start", "timeline"),
        *("variants", "exclusions", "compared_with", "comparison"),
    }
    assert body["campaign"] == {
        "id": campaign.id,
        "name": "Spring sale",
        "state": "draft",
        "started_at": None,
        "finished_at": None,
    }
    assert set(body["counts"].values()) == {0}
    assert set(body["rates"]) == set(rates.RATES) and set(body["rates"].values()) == {None}
    assert body["links"] == [] and body["domains"] == [] and body["timeline"] == []
    assert_error(api.get("/campaigns/999999/report"), 404, "not_found", None)
    assert_error(api.get("/campaigns/abc/report"), 422, "invalid")


@pytest.mark.django_db
def test_report_api_links_domains_and_hours(api, newsletter):
    campaign = make_reported(newsletter)
    body = api.get(f"/campaigns/{campaign.id}/report").json()
    assert body["links"][0] == {
        "index": 0,
        "url": "https://shop.example/a",
        "human_unique": 1,
        "human_total": 2,
        "machine_unique": 0,
        "machine_total": 0,
    }
    assert body["links"][-1]["index"] is None
    assert body["domains"][0] == {
        "domain": "gmail.com",
        "attempted": 3,
        "accepted": 3,
        "delivered": 2,
        "bounced": 1,
        "complaints": 0,
        "opens_human": 1,
        "clicks_human": 1,
        "bounce_rate": 1 / 3,
        "complaint_rate": 0.0,
        "open_rate": 0.5,
        "click_rate": 0.5,
    }
    assert len(body["timeline"]) == 72
    assert body["timeline"][1] == {
        "at": "2025-03-01T11:00:00Z",
        "opens_human": 2,
        "opens_machine": 0,
        "clicks_human": 2,
        "clicks_machine": 0,
    }


@pytest.mark.django_db
def test_stream_reputation_api(api):
    body = api.get("/streams/service/reputation").json()
    assert body["stream"] == "service" and body["status"] == "ok"
    assert body["rates"] == {"bounce_rate": None, "complaint_rate": None}
    assert [f["reference"] for f in body["figures"]] == [
        "Amazon SES",
        "Amazon SES",
        "Gmail spam-rate guidance",
    ]
    assert body["figures"][0]["lines"][0] == {
        "source": "Amazon SES",
        "name": "review",
        "rate": 0.05,
        "meaning": "account put under review",
        "status": "ok",
    }
    error = assert_error(api.get("/streams/transactional/reputation"), 404, "not_found", None)
    assert "marketing, service" in error["message"]


@pytest.mark.django_db
def test_timeline_api_refuses_unknown_contacts_and_bad_parameters(api):
    assert_error(api.get("/contacts/999999/timeline"), 404, "not_found", None)
    contact = make_contact("p@example.com")
    assert api.get(f"/contacts/{contact.id}/timeline").json() == []
    assert_error(api.get(f"/contacts/{contact.id}/timeline", order="sideways"), 422, "invalid")
    assert_error(api.get(f"/contacts/{contact.id}/timeline", limit=0), 422, "invalid", "limit")


# --- the contact timeline -----------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_timeline_merges_consent_and_events_in_time_order(
    smtp_sink,
    newsletter,
    inbound,
    admin_user,
    api,
):
    """Subscribe (double opt-in), confirm, receive a campaign, open it, click, unsubscribe
    with one click, complain, be erased: each step is on the timeline, in order, the same in
    the API and on the contact page."""
    web = Actor(channel="form", actor="subscription form")
    subscribing.subscribe(email="Pat@Example.com", topic_keys=["newsletter"], by=web)
    run_worker(smtp_sink.relay)  # the opt-in email
    optin = message_from_bytes(smtp_sink.messages[0].data, policy=policy.default)
    token = re.search(r"/confirm/(\S+)", optin.get_body(("plain",)).get_content()).group(1)
    subscribing.confirm(token, by=web)
    campaign = campaign_with_links(newsletter)
    sending.start(campaign.id)
    run_worker(smtp_sink.relay)
    pixel, links = tracking_urls(smtp_sink.messages[1].data)
    mail = message_from_bytes(smtp_sink.messages[1].data, policy=policy.default)
    one_click_url = re.search(r"<(http[^>]+/u/[^>]+)>", str(mail["List-Unsubscribe"])).group(1)
    contact = Contact.objects.get()
    delivery = Delivery.objects.get(campaign=campaign)
    with time_machine.travel(timezone.now() + timedelta(hours=1), tick=True):
        Client(**HUMAN).get(pixel)
        Client(**HUMAN).get(links[1])
        writer.flush()
        one_click = Client().post(path(one_click_url), {"List-Unsubscribe": "One-Click"})
        assert one_click.status_code == 200
        inbound(f"fbl@{DOMAIN}", arf(delivery))
    with time_machine.travel(timezone.now() + timedelta(hours=2), tick=True):
        privacy.erase(contact, by=ADMIN)

        response = api.get(f"/contacts/{contact.id}/timeline")
    assert response.status_code == 200
    entries = response.json()
    assert [(e["type"], e["source"]) for e in entries] == [
        ("subscribed", "consent"),
        ("sent", "event"),  # the opt-in email
        ("confirmed", "consent"),
        ("sent", "event"),  # the campaign
        ("opened", "event"),
        ("clicked", "event"),
        ("unsubscribed", "consent"),  # the ledger: newsletter → unsubscribed
        ("unsubscribed", "event"),  # the campaign's unsubscribe
        ("complained", "event"),
        ("suppressed", "consent"),
        ("erased", "privacy"),
    ]
    assert [e["at"] for e in entries] == sorted(e["at"] for e in entries)
    confirmed, opened = entries[2], entries[4]
    assert confirmed["data"]["topic"] == "newsletter"
    assert (confirmed["data"]["state_from"], confirmed["data"]["state_to"]) == (
        "pending",
        "confirmed",
    )
    assert confirmed["data"]["channel"] == "form" and confirmed["campaign"] is None
    assert opened["campaign"] == campaign.id and opened["machine"] is False
    assert entries[6]["data"]["channel"] == "one_click"
    assert set(entries[0]) == {"type", "at", "source", "campaign", "machine", "data"}
    # Erasure blanked the events' data; the types and times remain.
    assert entries[5]["data"] == {}

    newest = api.get(f"/contacts/{contact.id}/timeline", order="newest", limit=3)
    assert [e["type"] for e in newest.json()] == ["erased", "suppressed", "complained"]
    assert newest["X-Total-Count"] == "11" and "offset=3" in newest["Link"]

    # The contact page shows the same timeline, newest first.
    page = staff_client(admin_user).get(f"/contacts/{contact.id}/").content.decode()
    shown = re.findall(r'data-event="([a-z_]+)" data-source="([a-z]+)"', page)
    assert shown == [(e["type"], e["source"]) for e in reversed(entries)]
    assert json.loads(json.dumps(entries))  # plain JSON all the way
