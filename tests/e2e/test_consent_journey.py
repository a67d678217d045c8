"""The subscriber's whole journey in a real browser, in two languages: subscribe on the
hosted form → the opt-in email arrives at a real SMTP server → follow its link → confirm →
a campaign arrives → open its preference center → change frequency → one-click unsubscribe."""

from __future__ import annotations

import re
from email import message_from_bytes, policy

import pytest

from mailwright.consent.topics import create_topic
from mailwright.contacts.models import Contact, Subscription
from mailwright.delivery import sending
from tests.conftest import make_campaign

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# What each language's pages say (from the committed catalogs).
WORDS = {
    "pl": {"subscribe": "Subskrybuj", "check": "Sprawdź skrzynkę", "confirm": "Tak, zapisz mnie"},
    "es": {
        "subscribe": "Suscribirme",
        "check": "Revise su bandeja de entrada",
        "confirm": "Sí, suscribirme",
    },
}


def wait_for_mail(sink, count: int, timeout: float = 20.0):
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if len(sink.messages) >= count:
            return [message_from_bytes(m.data, policy=policy.default) for m in sink.messages]
        time.sleep(0.05)
    raise AssertionError(f"expected {count} messages, got {len(sink.messages)}")


def link_in(msg, pattern: str) -> str:
    text = msg.get_body(("plain",)).get_content()
    return re.search(pattern, text).group(0)


@pytest.mark.parametrize("lang", ["pl", "es"])
def test_subscribe_confirm_manage_and_unsubscribe(
    lang, page, live_server, smtp_sink, background_worker, settings
):
    from playwright.sync_api import expect

    settings.BASE_URL = live_server.url
    base = live_server.url
    words = WORDS[lang]
    create_topic(key="news", name="News", consent_text="Monthly news")
    background_worker(smtp_sink.relay)

    # 1. Subscribe on the hosted form, in the visitor's language.
    page.goto(f"{base}/subscribe/?lang={lang}")
    expect(page.locator("html")).to_have_attribute("lang", lang)
    page.locator("#email").fill(f"{lang}-reader@example.com")
    page.locator("#name").fill("Zoë Łukasz-Ñúñez")
    page.locator("#topic-news").check()
    page.get_by_role("button", name=words["subscribe"]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(words["check"])
    contact = Contact.objects.get(email=f"{lang}-reader@example.com")
    assert Subscription.objects.get(contact=contact).state == "pending"

    # 2. The opt-in email arrives, in that language, with a confirmation link.
    [optin] = wait_for_mail(smtp_sink, 1)
    confirm_url = link_in(optin, rf"{re.escape(base)}/confirm/[^\s)]+")

    # 3. Following the link shows a button; only pressing it confirms.
    page.goto(confirm_url)
    assert Subscription.objects.get(contact=contact).state == "pending"
    page.get_by_role("button", name=words["confirm"]).click()
    expect(page.locator("ul li")).to_have_text(["News"])
    assert Subscription.objects.get(contact=contact).state == "confirmed"

    # 4. A campaign arrives; its preference link opens the preference center.
    campaign = make_campaign(contact.subscriptions.get().topic)
    sending.start(campaign.id)
    mails = wait_for_mail(smtp_sink, 2)
    newsletter = mails[1]
    prefs_url = link_in(newsletter, rf"{re.escape(base)}/p/[^\s)]+")
    page.goto(prefs_url)
    expect(page.locator("html")).to_have_attribute("lang", lang)
    page.locator("#freq-monthly").check()
    page.locator("form").first.locator("button[type=submit]").click()
    expect(page.locator("[role=status]")).to_be_visible()
    contact.refresh_from_db()
    assert contact.frequency == "monthly"

    # 5. The mail client's one-click unsubscribe (RFC 8058): a bare POST, no cookies.
    header = newsletter["List-Unsubscribe"]
    one_click = re.search(r"<(https?://[^>]+)>", header).group(1)
    response = page.request.post(
        one_click,
        data="List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status == 200
    assert Subscription.objects.get(contact=contact).state == "unsubscribed"
