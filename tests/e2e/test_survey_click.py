"""A survey click end to end in a real browser: a campaign with a rating row goes through the
real worker to a real SMTP server; its star link opens the survey page, which records the
rating (by its own POST, or by the visible button without JavaScript), shows the thank-you
page, takes a comment, and the survey report shows the answer and the comment."""

from __future__ import annotations

import os
import re
import time
from email import message_from_bytes, policy

import pytest

from mailwright.delivery import sending
from mailwright.surveys.models import SurveyResponse
from tests.conftest import make_campaign, make_contact
from tests.surveys.helpers import ROW_HTML

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def shot(page, name: str) -> None:
    """Save a screenshot when MW_SCREENSHOT_DIR is set (for looking at the pages by eye)."""
    directory = os.environ.get("MW_SCREENSHOT_DIR")
    if directory:
        page.screenshot(path=os.path.join(directory, f"{name}.png"), full_page=True)


def star_links(sink, timeout: float = 20.0) -> list[str]:
    deadline = time.monotonic() + timeout
    while not sink.messages and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sink.messages, "the campaign did not arrive"
    msg = message_from_bytes(sink.messages[0].data, policy=policy.default)
    html = msg.get_body(("html",)).get_content()
    return re.findall(r'href="(https?://[^"]+/s/[^"]+)"', html)


def test_click_a_star_comment_and_see_it_in_the_report(
    browser, page, live_server, admin_user, smtp_sink, background_worker, newsletter, settings
):
    from playwright.sync_api import expect

    settings.BASE_URL = live_server.url
    make_contact("ana@example.com", newsletter, name="Ana", language="en")
    campaign = make_campaign(newsletter, html=ROW_HTML.replace("SCALE", "stars"))
    background_worker(smtp_sink.relay)
    sending.start(campaign.id)
    links = star_links(smtp_sink)
    assert len(links) == 5

    # On a phone without JavaScript: the page shows the score and a button; nothing is
    # recorded until the button is pressed (a link scanner would stop here).
    phone = browser.new_context(viewport={"width": 390, "height": 844}, java_script_enabled=False)
    mobile = phone.new_page()
    mobile.goto(links[1])
    expect(mobile.get_by_role("heading", name="Your rating")).to_be_visible()
    expect(mobile.get_by_role("button", name="2 of 5")).to_have_attribute("aria-pressed", "true")
    shot(mobile, "survey-page-mobile-nojs")
    assert SurveyResponse.objects.count() == 0
    mobile.get_by_role("button", name="Send my rating").click()
    expect(mobile.get_by_role("heading", name="Thank you for your feedback!")).to_be_visible()
    shot(mobile, "survey-thanks-mobile")
    assert SurveyResponse.objects.get().score == 2
    phone.close()

    # In a desktop browser: one click on the fourth star records it (the page posts itself).
    page.goto(links[3])
    expect(page.get_by_role("heading", name="Thank you for your feedback!")).to_be_visible()
    expect(page.get_by_role("button", name="4 of 5")).to_have_attribute("aria-pressed", "true")
    answer = SurveyResponse.objects.get()  # still one answer: the score changed
    assert answer.score == 4
    page.get_by_label("Anything you would like to add? (optional)").fill("Quick and friendly.")
    page.get_by_role("button", name="Send comment").click()
    expect(page.get_by_text("Thank you, your comment was saved.")).to_be_visible()
    shot(page, "survey-thanks-desktop")

    # The report.
    page.goto(f"{live_server.url}/surveys/")
    page.get_by_label("Username").fill("owner")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Surveys", level=1)).to_be_visible()
    page.get_by_role("link", name="delivery-feedback").click()
    expect(page.locator('[data-metric="count"] .value')).to_have_text("1")
    expect(page.locator('tr[data-score="4"] .count')).to_have_text("1")
    expect(page.get_by_role("cell", name="Quick and friendly.")).to_be_visible()
    shot(page, "survey-report")
