"""Outbox → Captured: looking at a tracked campaign's HTML preview records no open and no
click. The pixel is gone and tracked links lead straight to their destination."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from mailwright.campaigns.campaigns import create_campaign
from mailwright.campaigns.templates import save_template
from mailwright.delivery import sending
from mailwright.delivery.models import CapturedMessage
from mailwright.feedback.models import Event
from mailwright.feedback.tracking_writer import writer
from mailwright.web.outbox import mailview
from tests.conftest import make_contact, run_worker

pytestmark = pytest.mark.django_db(transaction=True)

HTML = (
    "<html><body><p>Hi {{ contact.first_name }}</p>"
    '<a href="https://shop.example.com/a?x=1&amp;y=2">A</a> '
    "<a href='https://shop.example.com/b'>B</a> "
    '<a href="{{ unsubscribe_url }}">Unsubscribe</a> <a href="{{ preferences_url }}">Prefs</a>'
    "<p>A PIXEL of text. {{ organisation.address }}</p></body></html>"
)
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/126.0 Safari/537.36"


def local_path(url: str) -> str:
    return "/" + url.split("/", 3)[3]


@pytest.fixture
def tracked_capture(capture_relay, newsletter):
    """A tracked campaign sent through the worker to the real capture relay."""
    make_contact("ana@example.com", newsletter, name="Ana Nowak")
    tpl = save_template(name="tracked", subject="Spring", html=HTML)
    campaign = create_campaign(name="tracked", template_id=tpl.id, topic_keys=["newsletter"])
    sending.start(campaign.id)
    assert run_worker(capture_relay) == 1
    return CapturedMessage.objects.get()


def test_the_sent_message_itself_is_tracked(tracked_capture):
    html = mailview.parse(bytes(tracked_capture.raw)).html
    assert len(re.findall(r"/t/c/", html)) == 2
    assert re.search(r'<img src="http://[^"]+/t/o/[^"]+\.gif"', html)


def test_the_preview_has_no_pixel_and_untracked_links(tracked_capture, admin_user):
    staff = Client(HTTP_USER_AGENT=BROWSER)
    staff.force_login(admin_user)
    assert staff.get(f"/outbox/{tracked_capture.id}/").status_code == 200
    response = staff.get(f"/outbox/{tracked_capture.id}/html/")
    assert response.status_code == 200
    preview = response.content.decode()
    assert "Hi Ana" in preview
    assert "/t/o/" not in preview and "/t/c/" not in preview
    assert '<a href="https://shop.example.com/a?x=1&amp;y=2">A</a>' in preview
    assert "<a href='https://shop.example.com/b'>B</a>" in preview
    assert "/u/" in preview and "/p/" in preview  # the footer links are untouched
    assert "A PIXEL of text." in preview
    csp = response["Content-Security-Policy"]
    assert "sandbox" in csp and "script-src" not in csp and "default-src 'none'" in csp

    # Fetch what a browser would: every image and every link of the preview on this host.
    for url in re.findall(r"""(?:src|href)=["']([^"']+)["']""", preview):
        if url.startswith("http://127.0.0.1") or url.startswith("/"):
            staff.get(local_path(url) if url.startswith("http") else url)
    writer.flush()
    assert Event.objects.filter(type__in=["opened", "clicked"]).count() == 0


def test_a_signed_pixel_on_another_host_is_removed_and_look_alikes_elsewhere_stay(
    tracked_capture,
):
    html = mailview.parse(bytes(tracked_capture.raw)).html
    pixel = re.search(r'<img src="http://[^"]+/t/o/([^"]+)"', html).group(1)
    click = re.search(r'href="http://[^"]+/t/c/([^"]+)"', html).group(1)
    moved = (
        f'<img src="https://old.example.org/t/o/{pixel}" alt="">'
        f'<a href="https://old.example.org/t/c/{click}">A</a>'
        '<a href="https://other.example.net/t/c/1.2.3.abcdef012345">someone else</a>'
        f'<div style="background:url(//old.example.org/t/o/{pixel})">x</div>'
    )
    out = mailview.without_tracking(moved)
    assert "/t/o/" not in out and "old.example.org" not in out
    assert '<a href="https://shop.example.com/a?x=1&amp;y=2">A</a>' in out
    assert "https://other.example.net/t/c/1.2.3.abcdef012345" in out
    assert "url(data:image/gif;base64," in out
