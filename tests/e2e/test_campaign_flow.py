"""End to end in a real browser: sign in, create a topic, a contact, a template and a
campaign through the forms, send it, watch the live counts, and read it in Outbox → Captured."""

from __future__ import annotations

import os
import re

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HTML = (
    "<h1>Hi {{ contact.first_name|default('there') }}</h1>\n"
    "<p>Fresh news from {{ organisation.name }}.</p>\n"
    '<p><a href="{{ unsubscribe_url }}">Unsubscribe</a> · '
    '<a href="{{ preferences_url }}">Preferences</a></p>'
)


def shot(page, name: str) -> None:
    """Save a screenshot when MW_SCREENSHOT_DIR is set (for looking at the UI by eye)."""
    directory = os.environ.get("MW_SCREENSHOT_DIR")
    if directory:
        page.screenshot(path=os.path.join(directory, f"{name}.png"), full_page=True)


def test_send_a_campaign_and_read_it_in_the_outbox(
    page, live_server, admin_user, capture_relay, background_worker
):
    from playwright.sync_api import expect

    base = live_server.url

    # Sign in.
    page.goto(f"{base}/campaigns/")
    expect(page).to_have_url(re.compile(r"/login/\?next=/campaigns/"))
    page.get_by_label("Username").fill("owner")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Campaigns", level=1)).to_be_visible()

    # A topic.
    page.get_by_role("link", name="Topics").click()
    page.get_by_label("Key").fill("news")
    page.get_by_label("Name", exact=True).fill("News")
    page.get_by_label("Consent text").fill("Send me the news")
    page.get_by_role("button", name="Create topic").click()
    expect(page.get_by_text("Topic “News” created.")).to_be_visible()

    # A contact confirmed on it.
    page.get_by_role("link", name="Contacts").click()
    page.get_by_role("link", name="Add contact").click()
    page.get_by_label("Email").fill("ana@example.com")
    page.get_by_label("Name", exact=True).fill("Ana Nowak")
    page.get_by_label("News").check()
    page.get_by_label("Consent basis").fill("asked in person at the fair")
    page.get_by_role("button", name="Add contact").click()
    expect(page.get_by_role("heading", name="ana@example.com")).to_be_visible()
    expect(page.get_by_role("cell", name="asked in person at the fair", exact=True)).to_be_visible()

    # A template.
    page.get_by_role("link", name="Templates").click()
    page.get_by_role("link", name="New template").click()
    page.get_by_label("Name", exact=True).fill("Spring")
    page.get_by_label("Subject").fill("Spring news for {{ contact.first_name }}")
    page.get_by_label("HTML", exact=True).check()
    page.get_by_label("Source", exact=True).fill(HTML)
    page.get_by_role("button", name="Save and preview").click()
    expect(page.get_by_text("Spring news for Sam")).to_be_visible()
    expect(page.frame_locator("iframe.mail-frame").get_by_text("Hi Sam")).to_be_visible()

    # A campaign, sent.
    page.get_by_role("link", name="Campaigns").click()
    page.get_by_role("link", name="New campaign").click()
    page.get_by_label("Name", exact=True).fill("Spring campaign")
    page.get_by_label("Template").select_option(label="Spring")
    page.get_by_label("News").check()
    page.get_by_role("button", name="Create draft").click()
    expect(page.get_by_test_id("campaign-state")).to_have_text("draft")
    page.get_by_role("link", name="Send…").click()
    expect(page.get_by_test_id("audience")).to_have_text("1")
    page.get_by_role("button", name="Send now").click()
    expect(page.get_by_test_id("campaign-state")).to_have_text("sending")
    expect(page.locator('[data-state="queued"] dd')).to_have_text("1")

    # Only now start the delivery worker: the page must learn of the result by polling
    # (htmx, every 2 s), without a reload.
    page.evaluate("window.notReloaded = true")
    background_worker(capture_relay)
    expect(page.locator('[data-state="sent"] dd')).to_have_text("1", timeout=30_000)
    expect(page.get_by_test_id("campaign-state")).to_have_text("sent")
    expect(page.get_by_text("1 of 1 finished (100%)")).to_be_visible()
    assert page.evaluate("window.notReloaded") is True
    shot(page, "campaign-detail")

    # Outbox → Captured.
    page.get_by_role("link", name="Outbox → Captured").click()
    page.get_by_role("link", name="Spring news for Ana").click()
    expect(page.get_by_role("heading", name="Spring news for Ana", level=1)).to_be_visible()
    frame = page.frame_locator("iframe.mail-frame")
    expect(frame.get_by_role("heading", name="Hi Ana")).to_be_visible()
    expect(frame.get_by_text("Fresh news from")).to_be_visible()
    shot(page, "captured-message")

    page.get_by_role("link", name="Text", exact=True).click()
    expect(page.get_by_test_id("text-part")).to_contain_text("Hi Ana")
    expect(page.get_by_test_id("text-part")).to_contain_text("Unsubscribe")

    page.get_by_role("link", name="Source", exact=True).click()
    expect(page.locator("pre.mail-source")).to_contain_text("List-Unsubscribe:")
