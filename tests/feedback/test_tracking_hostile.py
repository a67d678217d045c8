"""Attacks on the tracking endpoints, through a real uvicorn server with the fast path in front
of Django (MW_TRACKING_FAST_PATH=1) and without it (=0): a non-ASCII tracking token is a 404,
not a 500; a campaign link carrying CR LF (as HTML entities) never injects a header nor drops
the connection."""

from __future__ import annotations

import re
from datetime import timedelta
from email import message_from_bytes, policy

import pytest
from django.test import Client
from django.utils import timezone

from mailwright.campaigns.campaigns import create_campaign
from mailwright.campaigns.templates import save_template
from mailwright.delivery import sending
from mailwright.delivery.models import Delivery
from mailwright.feedback.models import Event
from mailwright.feedback.tracking_writer import writer
from tests.conftest import make_contact, run_worker
from tests.web_server import WebServer

pytestmark = pytest.mark.django_db(transaction=True)

INJECTED = "https://shop.example.com/offer&#13;&#10;Set-Cookie: session=stolen&#13;&#10;X-Evil: 1"
HTML = (
    "<html><body><p>Hi</p>"
    f'<a href="{INJECTED}">offer</a> '
    '<a href="https://shop.example.com/caf&#233;?q=a b">café</a> '
    '<a href="https://shop.example.com/plain">plain</a>'
    '<a href="{{ unsubscribe_url }}">Unsubscribe</a>'
    "<p>{{ organisation.address }}</p></body></html>"
)


@pytest.fixture(params=[True, False], ids=["fast_path", "django"])
def server(request, transactional_db):
    srv = WebServer(fast_path=request.param).start()
    yield srv
    srv.stop()
    writer.flush()  # while this test's database is still there


@pytest.fixture
def links(smtp_sink, newsletter):
    """The tracked click paths and the open-pixel path of one delivered campaign."""
    make_contact("h@example.com", newsletter)
    tpl = save_template(name="hostile", subject="Hi", html=HTML)
    campaign = create_campaign(name="hostile", template_id=tpl.id, topic_keys=["newsletter"])
    sending.start(campaign.id)
    run_worker(smtp_sink.relay)
    Delivery.objects.update(sent_at=timezone.now() - timedelta(minutes=5))
    msg = message_from_bytes(smtp_sink.messages[0].data, policy=policy.default)
    html = msg.get_body(("html",)).get_content()
    clicks = [u.split("/", 3)[3] for u in re.findall(r'href="(http://[^"]+/t/c/[^"]+)"', html)]
    pixel = re.search(r'<img src="http://[^/"]+(/t/o/[^"]+\.gif)"', html).group(1)
    return ["/" + c for c in clicks], pixel


def recorded() -> list[Event]:
    writer.flush()
    return list(Event.objects.filter(type__in=["opened", "clicked"]).order_by("id"))


@pytest.mark.parametrize(
    "target",
    [
        "/t/c/1.1.1.%C3%A9",  # é where the MAC goes
        "/t/o/1.1.%C3%A9.gif",
        "/t/c/1.1.1.%FF",  # not UTF-8 once percent-decoded
        "/t/o/1.1.%FF%FE.gif",
        "/t/c/%EF%BC%91.1.1.abcdefabcdef",  # a fullwidth digit in an id
        "/t/c/1.1.1.%F0%9D%90%9A",  # a mathematical letter
        "/t/o/1.1.%00.gif",
    ],
)
def test_non_ascii_tracking_tokens_are_404_not_500(server, links, target):
    answer = server.request("GET", target)
    assert answer.status == 404
    assert "location" not in answer.headers
    assert recorded() == []


def test_non_ascii_in_a_real_token_is_refused_and_the_real_token_still_works(server, links):
    clicks, pixel = links
    assert server.request("GET", clicks[2] + "%C3%A9").status == 404
    assert server.request("GET", pixel.replace(".gif", "%C3%A9.gif")).status == 404
    assert server.request("GET", pixel).status == 200
    assert [e.type for e in recorded()] == ["opened"]


def test_cr_lf_in_a_campaign_link_never_reaches_the_location_header(server, links):
    clicks, _ = links
    answer = server.request("GET", clicks[0], headers={"User-Agent": "Mozilla/5.0 (X11) Firefox"})
    assert not answer.dropped
    assert answer.status == 302
    # What a browser does with that href: tabs and line breaks are removed, and the
    # space is percent-encoded. No header was injected.
    assert answer.headers["location"] == (
        "https://shop.example.com/offerSet-Cookie:%20session=stolenX-Evil:%201"
    )
    assert "set-cookie" not in answer.headers and "x-evil" not in answer.headers
    [event] = recorded()
    assert event.type == "clicked" and "\r" not in event.data["url"]


def test_non_ascii_and_spaces_in_a_link_are_percent_encoded(server, links):
    clicks, _ = links
    answer = server.request("GET", clicks[1])
    assert answer.status == 302
    assert answer.headers["location"] == "https://shop.example.com/caf%C3%A9?q=a%20b"
    assert server.request("GET", clicks[2]).headers["location"] == (
        "https://shop.example.com/plain"
    )


def test_django_test_client_click_with_cr_lf_link(links):
    """The Django view on its own (WSGI, the test client) answers the same."""
    clicks, _ = links
    response = Client().get(clicks[0])
    assert response.status_code == 302
    assert response["Location"] == (
        "https://shop.example.com/offerSet-Cookie:%20session=stolenX-Evil:%201"
    )
