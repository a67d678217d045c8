"""A marketer's whole campaign journey in a real browser, nothing but the UI (SPEC §4):
build a template in the block editor, read the lint as it is saved, preview it as a contact
on a phone in dark mode, send a test to the seed list, set up an A/B test of two subjects,
schedule it, let the scheduler start it, pick the winner, and read the report with the
variants, the exclusions and the comparison. Screenshots (MW_SCREENSHOT_DIR) feed the
campaign guide (docs/campaigns.md)."""

from __future__ import annotations

import io
import os
import re
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from mailwright.campaigns.models import Campaign
from mailwright.delivery.models import CapturedMessage, Delivery
from tests.conftest import make_contact

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PEOPLE = [
    ("ana@example.com", "Ana Nowak"),
    ("ben@example.com", "Ben Ortiz"),
    ("chi@example.com", "Chi Tran"),
    ("dev@example.com", "Dev Patel"),
    ("eli@example.com", "Eli Kaya"),
    ("fay@example.com", "Fay Lind"),
]


def shot(page, name: str, *, full: bool = True) -> None:
    directory = os.environ.get("MW_SCREENSHOT_DIR")
    if directory:
        page.screenshot(path=os.path.join(directory, f"{name}.png"), full_page=full)


def sign_in(page, base: str, path: str) -> None:
    page.goto(f"{base}/login/?next={path}")
    page.get_by_label("Username").fill("owner")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Sign in").click()


def test_build_lint_preview_test_schedule_ab_test_and_report(
    page, live_server, admin_user, capture_relay, background_worker
):
    from playwright.sync_api import expect

    from mailwright.consent.topics import create_topic

    news = create_topic(key="news", name="News", consent_text="Send me the news")
    for email, name in PEOPLE:
        make_contact(email, news, name=name)
    base = live_server.url
    page.on("dialog", lambda dialog: dialog.accept())  # the confirm() of a few buttons

    with override_settings(BASE_URL=base):
        # 1. The block editor: a heading, a button and the footer, then save.
        sign_in(page, base, "/templates/new/blocks/")
        page.wait_for_selector("body[data-editor-ready='1']")
        canvas = page.frame_locator("#gjs iframe.gjs-frame")
        blocks = page.locator("#gjs-blocks")
        canvas.get_by_text("Hello {{ contact.first_name|default('there') }},").click()
        blocks.get_by_role("button", name="Heading").click()
        blocks.get_by_role("button", name="Button").click()
        blocks.get_by_role("button", name="Footer").click()
        expect(canvas.get_by_text("Click here")).to_be_visible()
        page.get_by_label("Name").fill("Autumn letter")
        page.get_by_label("Subject").fill("Autumn reading, {{ contact.first_name }}")
        page.get_by_label("Preheader").fill("Five books for long evenings")
        # The lint runs as you type: the checks panel fills in without saving.
        expect(page.locator("#blocks-lint")).to_contain_text("warning", timeout=10_000)
        shot(page, "journey-1-block-editor", full=False)
        page.get_by_role("button", name="Save").click()
        page.wait_for_url(re.compile(r"/templates/\d+/blocks/$"))
        template_id = int(re.search(r"/templates/(\d+)/", page.url).group(1))

        # 2. The saved template's preview shows the lint: no errors, the footer is there.
        page.get_by_role("link", name="Preview", exact=True).click()
        page.wait_for_url(re.compile(rf"/templates/{template_id}/preview/$"))
        lint = page.locator("#lint")
        expect(lint).to_be_visible()
        expect(lint).not_to_contain_text("error")
        shot(page, "journey-2-template-lint")

        # 3. The seed list for test sends (Settings → Organisation).
        page.get_by_role("link", name="Settings").click()
        page.get_by_label("Test addresses (seed list)").fill("qa@example.com\nboss@example.com")
        page.get_by_role("button", name="Save").click()
        expect(page.get_by_label("Test addresses (seed list)")).to_have_value(
            "qa@example.com\nboss@example.com"
        )

        # 4. A campaign with an A/B test of two subjects.
        page.get_by_role("link", name="Campaigns", exact=True).click()
        page.get_by_role("link", name="New campaign").click()
        page.get_by_label("Name", exact=True).fill("Autumn letter")
        page.get_by_label("Template", exact=True).select_option(label="Autumn letter")
        page.get_by_label("News").check()
        page.get_by_label("Run an A/B test").check()
        page.get_by_label("Subject variants").fill(
            "Autumn reading, {{ contact.first_name }}\nFive books for long evenings"
        )
        page.get_by_label("Sample (% of the audience)").fill("50")
        page.get_by_label("Wait before choosing (minutes)").fill("60")
        tomorrow = (timezone.now() + timedelta(days=1)).strftime("%Y-%m-%dT09:00")
        page.get_by_label(re.compile(r"^Send at")).fill(tomorrow)
        shot(page, "journey-3-campaign-form")
        page.get_by_role("button", name="Create draft").click()
        expect(page.get_by_test_id("campaign-state")).to_have_text("draft")
        campaign = Campaign.objects.get(name="Autumn letter")
        assert campaign.ab_test["sample_percent"] == 50 and campaign.send_at is not None

        # 5. Preview as Ben, on a phone, in dark mode.
        page.get_by_role("link", name="Preview as a contact").click()
        page.get_by_label("Preview as contact (email)").fill("ben@example.com")
        page.get_by_role("button", name="Show").click()
        page.get_by_role("link", name="Mobile (375 px)").click()
        page.get_by_role("link", name=re.compile(r"^Dark")).first.click()
        expect(page.get_by_test_id("preview-contact")).to_contain_text("ben@example.com")
        frame = page.get_by_test_id("preview-frame")
        expect(frame).to_have_attribute("width", "375")
        expect(
            page.frame_locator("[data-testid=preview-frame]").get_by_text("Ben")
        ).not_to_have_count(0)
        shot(page, "journey-4-preview-dark-mobile")

        # 6. A test send to the seed list, read in Outbox → Captured.
        page.goto(f"{base}/campaigns/{campaign.pk}/")
        page.get_by_role("button", name="Send test").click()
        expect(page.get_by_text(re.compile(r"test", re.I)).first).to_be_visible()
        background_worker(capture_relay)
        for _ in range(100):
            if CapturedMessage.objects.count() >= 2:
                break
            page.wait_for_timeout(200)
        subjects = sorted(m.subject for m in CapturedMessage.objects.all())
        assert subjects == ["[Test] Autumn reading, Sam"] * 2, subjects
        assert not Delivery.objects.filter(campaign=campaign).exists()  # not in the report

        # 7. Schedule it for tomorrow; then let "tomorrow" come and the scheduler start it.
        page.get_by_role("link", name="Schedule…").click()
        expect(page.get_by_test_id("send-when")).to_be_visible()
        shot(page, "journey-5-schedule")
        page.get_by_role("button", name="Schedule").click()
        expect(page.get_by_test_id("campaign-state")).to_have_text("scheduled")
        Campaign.objects.filter(pk=campaign.pk).update(send_at=timezone.now() - timedelta(1))
        call_command("campaigns", "tick", stdout=io.StringIO())
        page.reload()
        expect(page.get_by_test_id("campaign-state")).to_have_text("sending")
        sample_ids = list(Delivery.objects.filter(campaign=campaign).values_list("pk", flat=True))
        sample = Delivery.objects.filter(pk__in=sample_ids)
        assert len(sample_ids) == 3  # half of six, split between the two subjects
        assert sorted(sample.values_list("variant", flat=True)) in ([0, 0, 1], [0, 1, 1])
        for _ in range(150):
            if not sample.exclude(state=Delivery.State.SENT).exists():
                break
            page.wait_for_timeout(200)
        page.reload()
        shot(page, "journey-6-ab-waiting")

        # 8. Pick variant 2 now, rather than wait an hour; everyone else gets it.
        page.get_by_role("button", name="Pick as winner").nth(1).click()
        for _ in range(150):
            campaign.refresh_from_db()
            if campaign.state == Campaign.State.SENT:
                break
            page.wait_for_timeout(200)
        assert campaign.ab_winner == 1 and campaign.state == Campaign.State.SENT
        rest = Delivery.objects.filter(campaign=campaign).exclude(pk__in=sample_ids)
        received = {
            m.subject
            for m in CapturedMessage.objects.filter(subject="Five books for long evenings")
        }
        assert rest.count() == 3 and received == {"Five books for long evenings"}

        # 9. The report: both variants, the winner marked, exclusions, the comparison.
        page.goto(f"{base}/campaigns/{campaign.pk}/report/")
        expect(page.get_by_text("Five books for long evenings").first).to_be_visible()
        expect(page.locator("tr.winner")).to_have_count(1)
        expect(page.locator("tr.winner")).to_contain_text("Five books for long evenings")
        shot(page, "journey-7-report")
