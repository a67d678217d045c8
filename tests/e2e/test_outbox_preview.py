"""In a real browser: reading a tracked campaign in Outbox → Captured neither loads the open
pixel nor leaves tracked links in the preview, so no open or click is recorded."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from mailwright.campaigns.campaigns import create_campaign
from mailwright.campaigns.templates import save_template
from mailwright.delivery import sending
from mailwright.delivery.models import CapturedMessage
from mailwright.feedback.models import Event
from mailwright.feedback.tracking_writer import writer
from tests.conftest import make_contact, run_worker

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HTML = (
    "<html><body><h1>Hi {{ contact.first_name }}</h1>"
    '<p><a href="https://shop.example.com/spring">Spring sale</a></p>'
    '<p><a href="{{ unsubscribe_url }}">Unsubscribe</a> · '
    '<a href="{{ preferences_url }}">Preferences</a> {{ organisation.address }}</p>'
    "</body></html>"
)


def test_viewing_a_captured_message_records_no_open_or_click(
    page, live_server, settings, admin_user, capture_relay, newsletter
):
    from playwright.sync_api import expect

    settings.BASE_URL = live_server.url  # the pixel and links point at this very server
    make_contact("ana@example.com", newsletter, name="Ana Nowak")
    tpl = save_template(name="tracked", subject="Spring", html=HTML)
    campaign = create_campaign(name="tracked", template_id=tpl.id, topic_keys=["newsletter"])
    sending.start(campaign.id)
    with ThreadPoolExecutor(1) as pool:  # Playwright keeps an event loop in this thread
        assert pool.submit(run_worker, capture_relay).result(timeout=60) == 1
    assert f"{live_server.url}/t/o/" in bytes(CapturedMessage.objects.get().raw).decode()

    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(f"{live_server.url}/login/?next=/outbox/")
    page.get_by_label("Username").fill("owner")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Spring").click()
    frame = page.frame_locator("iframe.mail-frame")
    expect(frame.get_by_role("heading", name="Hi Ana")).to_be_visible()
    page.wait_for_load_state("networkidle")

    assert [url for url in requested if "/t/" in url] == []
    writer.flush()
    assert list(Event.objects.filter(type__in=["opened", "clicked"])) == []
    link = frame.get_by_role("link", name="Spring sale")
    expect(link).to_have_attribute("href", "https://shop.example.com/spring")
