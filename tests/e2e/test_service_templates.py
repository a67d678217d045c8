"""Service → Templates in a real browser: copy a starter, edit the Polish subject and watch
the live preview follow (htmx, as you type), save it, see the mobile width. Screenshots go
to MW_SCREENSHOT_DIR when it is set."""

from __future__ import annotations

import os

import pytest

from mailwright.feedback.models import Event
from tests.e2e.conftest import browser, page  # noqa: F401 - the browser fixtures
from tests.web.test_service_ui import make_message, make_starter


def shot(tab, name: str) -> None:
    directory = os.environ.get("MW_SCREENSHOT_DIR")
    if directory:
        tab.screenshot(path=os.path.join(directory, f"{name}.png"), full_page=True)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_copy_a_starter_edit_the_polish_subject_and_see_the_preview(page, live_server, admin_user):  # noqa: F811
    from playwright.sync_api import expect

    page.goto(f"{live_server.url}/login/?next=/service/templates/")
    page.get_by_label("Username").fill("owner")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Sign in").click()
    shot(page, "service-template-list")
    # The library's starter, synced into the database on migrate.
    page.get_by_role("link", name="password-reset", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("password-reset")
    expect(page.get_by_label("Subject")).to_be_disabled()  # starters are read-only
    shot(page, "service-template-starter")

    page.get_by_role("link", name="Copy to edit").first.click()
    expect(page.get_by_label("Key")).to_have_value("password-reset-copy")
    page.get_by_role("button", name="Copy").click()
    expect(page.get_by_text("this copy is yours to edit")).to_be_visible()

    page.get_by_role("link", name="pl · Polski").click()
    subject = page.get_by_test_id("preview-subject")
    expect(subject).to_have_text("Resetowanie hasła")
    frame = page.frame_locator("iframe.service-frame")
    expect(frame.get_by_text("Ustaw nowe hasło")).to_be_visible()
    page.get_by_label("Subject").fill("Nowe hasło dla {{ contact.email }}")
    expect(subject).to_have_text("Nowe hasło dla sample@example.com")  # not saved yet
    shot(page, "service-template-editing-pl")

    page.get_by_label("Subject").fill("Nowe hasło {{ data.reset_url")
    expect(page.get_by_test_id("preview-error")).to_contain_text("subject, line 1")
    page.get_by_label("Subject").fill("Nowe hasło ({{ data.expires_minutes }} min)")
    expect(subject).to_have_text("Nowe hasło (30 min)")
    page.get_by_role("button", name="Save Polski").click()
    expect(page.get_by_text("Polski version saved.")).to_be_visible()
    expect(subject).to_have_text("Nowe hasło (30 min)")
    expect(page.get_by_label("Subject")).to_have_value(
        "Nowe hasło ({{ data.expires_minutes }} min)"
    )

    page.get_by_label("Mobile (375 px)").check()
    box = page.locator("iframe.service-frame").bounding_box()
    assert box is not None and abs(box["width"] - 375) < 2
    shot(page, "service-template-mobile")

    demo = make_starter()  # en and pl only
    page.goto(f"{live_server.url}/service/templates/{demo.pk}/?lang=tr")
    expect(page.get_by_test_id("missing-language")).to_contain_text(
        "Not translated yet: sends in English"
    )
    expect(subject).to_have_text("Reset your password")
    shot(page, "service-template-missing-tr")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_messages_list_a_message_page_and_the_dashboard_tile(page, live_server, admin_user):  # noqa: F811
    from playwright.sync_api import expect

    starter = make_starter()
    for i, state in enumerate(["sent", "sent", "bounced", "queued", "refused"]):
        make_message(f"buyer{i}@example.com", starter, state, latency=i + 1)
    bounced = make_message("ana@example.com", starter, "bounced")
    Event.objects.create(type="queued", delivery=bounced.delivery, created_at=bounced.created_at)
    Event.objects.create(
        type="bounced",
        delivery=bounced.delivery,
        data={"reason": "5.1.1 user unknown"},
        created_at=bounced.created_at,
    )
    page.goto(f"{live_server.url}/login/?next=/")
    page.get_by_label("Username").fill("owner")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_test_id("service-today")).to_have_text("6")
    shot(page, "service-dashboard")

    page.get_by_role("link", name="Service", exact=True).click()
    page.get_by_label("State").select_option("bounced")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("table.service-messages tbody tr")).to_have_count(2)
    shot(page, "service-messages")
    page.get_by_role("link", name="ana@example.com").click()
    expect(page.get_by_test_id("message-state")).to_have_text("bounced")
    expect(page.get_by_test_id("events")).to_contain_text("5.1.1 user unknown")
    expect(page.frame_locator("iframe.mail-frame").locator("p")).to_have_text("Hi ana@example.com")
    shot(page, "service-message")
