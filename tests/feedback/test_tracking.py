"""Open pixel and click redirect: signed tokens, no open redirect, machines told apart,
tracking off per campaign, events written in batches."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta
from email import message_from_bytes, policy

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from mailwright.campaigns.campaigns import create_campaign
from mailwright.campaigns.models import Campaign
from mailwright.campaigns.templates import save_template
from mailwright.delivery import sending, tracked_links
from mailwright.delivery.models import Delivery
from mailwright.feedback.models import Event
from mailwright.feedback.tracking_writer import writer
from tests.conftest import make_contact, run_worker

pytestmark = pytest.mark.django_db(transaction=True)

HTML = (
    "<html><body><p>Hi {{ contact.first_name }}</p>"
    '<a href="https://shop.example.com/a?x=1&amp;y=2">A</a> '
    '<a href="https://shop.example.com/b">B</a> '
    '<a href="https://shop.example.com/c">C</a> '
    '<a href="mailto:help@example.com">mail</a> '
    '<a href="{{ unsubscribe_url }}">Unsubscribe</a> <a href="{{ preferences_url }}">Prefs</a>'
    "<p>{{ organisation.address }}</p></body></html>"
)


@pytest.fixture
def mailed(smtp_sink, newsletter):
    """One contact who received a tracked campaign; returns (html part, delivery)."""
    make_contact("t@example.com", newsletter, name="Tara")
    tpl = save_template(name="tracked", subject="Hi", html=HTML)
    campaign = create_campaign(name="tracked", template_id=tpl.id, topic_keys=["newsletter"])
    sending.start(campaign.id)
    run_worker(smtp_sink.relay)
    msg = message_from_bytes(smtp_sink.messages[0].data, policy=policy.default)
    return msg.get_body(("html",)).get_content(), Delivery.objects.get(campaign=campaign)


def path(url: str) -> str:
    return "/" + url.split("/", 3)[3]


def flushed() -> list[Event]:
    writer.flush()
    return list(Event.objects.filter(type__in=["opened", "clicked"]).order_by("id"))


def test_links_are_rewritten_except_personal_and_non_http_ones(mailed):
    html, _ = mailed
    tracked = re.findall(r'href="(http://[^"]+/t/c/[^"]+)"', html)
    assert len(tracked) == 3
    assert 'href="mailto:help@example.com"' in html
    assert "/u/" in html and "/p/" in html  # unsubscribe/preferences stay direct
    assert re.search(r'<img src="http://[^"]+/t/o/[^"]+\.gif"', html)


def test_click_redirects_to_the_original_url_and_is_recorded(mailed):
    html, delivery = mailed
    Delivery.objects.filter(pk=delivery.pk).update(sent_at=timezone.now() - timedelta(minutes=5))
    first = re.findall(r'href="(http://[^"]+/t/c/[^"]+)"', html)[0]
    response = Client(HTTP_USER_AGENT="Mozilla/5.0 (Macintosh) Safari/605").get(path(first))
    assert response.status_code == 302
    assert response["Location"] == "https://shop.example.com/a?x=1&y=2"
    [event] = flushed()
    assert event.type == "clicked" and not event.machine
    assert event.delivery_id == delivery.id and event.contact_id == delivery.contact_id


def test_open_pixel(mailed):
    html, _ = mailed
    pixel = re.search(r'<img src="(http://[^"]+/t/o/[^"]+\.gif)"', html).group(1)
    response = Client(HTTP_USER_AGENT="Mozilla/5.0 (Windows NT 10.0) Chrome/120").get(path(pixel))
    assert response.status_code == 200 and response["Content-Type"] == "image/gif"
    assert "no-store" in response["Cache-Control"]
    [event] = flushed()
    assert event.type == "opened" and not event.machine


@pytest.mark.parametrize(
    ("method", "ip", "ua", "why"),
    [
        ("HEAD", "203.0.113.9", "Mozilla/5.0 (X11) Firefox/120", "HEAD"),
        ("GET", "17.58.1.2", "Mozilla/5.0", "Apple"),
        ("GET", "203.0.113.9", "Mozilla/5.0", "prefetcher"),
        ("GET", "203.0.113.9", "Barracuda Sentinel (EE)", "scanner"),
    ],
)
def test_machine_opens_are_kept_but_marked(mailed, method, ip, ua, why):
    html, _ = mailed
    pixel = path(re.search(r'<img src="(http://[^"]+\.gif)"', html).group(1))
    client = Client(REMOTE_ADDR=ip, HTTP_USER_AGENT=ua)
    response = client.head(pixel) if method == "HEAD" else client.get(pixel)
    assert response.status_code == 200
    [event] = flushed()
    assert event.machine and why.lower() in event.data["machine_reason"].lower()


def test_scanner_clicks_soon_after_delivery_or_every_link_at_once(mailed):
    html, delivery = mailed
    links = [path(u) for u in re.findall(r'href="(http://[^"]+/t/c/[^"]+)"', html)]
    client = Client(HTTP_USER_AGENT="Mozilla/5.0 (Windows NT 10.0) Chrome/120")
    client.get(links[0])  # seconds after delivery
    assert flushed()[0].data["machine_reason"].startswith("clicked within seconds")
    Delivery.objects.filter(pk=delivery.pk).update(sent_at=timezone.now() - timedelta(hours=1))
    # Every link in the same instant. The clock stands still (a loaded machine must not
    # spread three requests over the 2-second burst window), and the background flush waits
    # until all three are in (it runs every 0.2 s: on a loaded machine it could write the
    # first click alone, and a burst is told from the batch it arrives in).
    with time_machine.travel(timezone.now(), tick=False), writer._flushing:
        for link in links:
            client.get(link)
    burst = flushed()[1:]
    assert len(burst) == 3 and all(e.machine for e in burst)


@pytest.mark.parametrize("tamper", ["swap_link", "swap_delivery", "garbage", "long"])
def test_tampered_click_tokens_never_redirect(mailed, tamper):
    html, _delivery = mailed
    token = re.findall(r"/t/c/([^\"]+)", html)[0]
    d, c, i, mac = token.split(".")
    forged = {
        "swap_link": f"{d}.{c}.{'2' if i != '2' else '1'}.{mac}",
        "swap_delivery": f"{'zz' + d}.{c}.{i}.{mac}",
        "garbage": "https%3A%2F%2Fevil.example",
        "long": "a." * 300,
    }[tamper]
    response = Client().get(f"/t/c/{forged}")
    assert response.status_code == 404 and "Location" not in response
    assert Client().get("/t/o/forged.gif").status_code == 404
    assert flushed() == []


def test_a_valid_token_for_an_index_without_a_link_is_404(mailed):
    _, delivery = mailed
    token = tracked_links.click_token(delivery.id, delivery.campaign_id, 99)
    assert Client().get(f"/t/c/{token}").status_code == 404


def test_tracking_can_be_turned_off_per_campaign(smtp_sink, newsletter):
    make_contact("off@example.com", newsletter)
    tpl = save_template(name="plain", subject="Hi", html=HTML)
    campaign = create_campaign(name="plain", template_id=tpl.id, topic_keys=["newsletter"])
    Campaign.objects.filter(pk=campaign.id).update(track_opens=False, track_clicks=False)
    sending.start(campaign.id)
    run_worker(smtp_sink.relay)
    html = (
        message_from_bytes(smtp_sink.messages[0].data, policy=policy.default)
        .get_body(("html",))
        .get_content()
    )
    assert "/t/c/" not in html and "/t/o/" not in html
    assert 'href="https://shop.example.com/b"' in html


def test_the_asgi_fast_path_answers_without_django(mailed):
    from mailwright.feedback.tracking_views import TrackingFastPath

    html, delivery = mailed
    Delivery.objects.filter(pk=delivery.pk).update(sent_at=timezone.now() - timedelta(minutes=5))
    link = path(re.findall(r'href="(http://[^"]+/t/c/[^"]+)"', html)[1])

    async def django_app(scope, receive, send):  # must not be reached
        raise AssertionError("tracking request fell through to Django")

    async def call(path: str, method: str = "GET"):
        sent = []

        async def send(message):
            sent.append(message)

        scope = {
            "type": "http",
            "method": method,
            "path": path,
            "headers": [(b"user-agent", b"Mozilla/5.0 (X11; Linux) Firefox/121")],
            "client": ("198.51.100.7", 5555),
        }
        await TrackingFastPath(django_app)(scope, None, send)
        return sent

    start = asyncio.run(call(link))[0]
    assert start["status"] == 302
    assert dict(start["headers"])[b"location"] == b"https://shop.example.com/b"
    assert asyncio.run(call("/t/c/bad.token"))[0]["status"] == 404
    [event] = flushed()
    assert event.type == "clicked" and event.data["link"] == 1
