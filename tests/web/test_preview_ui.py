"""The preview page (as a contact found by email, or stepping through a segment; desktop and
mobile; light, dark and forced dark), the campaign page's "Send test" form, and the seed list
in Settings → Organisation. One browser check: dark mode at mobile width applies the email's
own dark styles."""

from __future__ import annotations

import html as html_lib
import os

import pytest
from django.urls import reverse

from mailwright.consent import organisation
from mailwright.contacts.models import Segment
from mailwright.delivery.models import Delivery
from tests.conftest import make_campaign, make_contact
from tests.e2e.conftest import browser, page  # noqa: F401 - the browser fixtures

DARK_HTML = (
    "<html><head><style>.box{background:#ffffff;color:#111111}"
    "@media (prefers-color-scheme: dark)"
    "{.box{background:#000000 !important;color:#eeeeee !important}}"
    "</style></head>"
    '<body><div class="box">Hi {{ contact.first_name|default("there") }}</div>'
    '<a href="{{ unsubscribe_url }}">Unsubscribe</a></body></html>'
)


@pytest.fixture
def staff(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture
def campaign(newsletter):
    return make_campaign(
        newsletter, subject="Hi {{ contact.first_name|default('you') }}", html=DARK_HTML
    )


@pytest.mark.django_db
def test_preview_as_a_contact_found_by_email(staff, campaign):
    make_contact("ana@example.com", name="Ana Nowak")
    url = reverse("web:campaign_preview", args=[campaign.pk])
    body = staff.get(
        url, {"email": "ana@example.com", "width": "mobile", "mode": "dark"}
    ).content.decode()
    assert "Ana Nowak &lt;ana@example.com&gt;" in body
    assert 'data-testid="preview-subject">Hi Ana<' in body
    assert 'width="375"' in body and "color-scheme: dark" in body
    assert html_lib.escape('<meta name="color-scheme" content="light dark">') in body
    assert "#preview-unsubscribe" in body
    missing = staff.get(url, {"email": "nobody@example.com"}).content.decode()
    assert "no contact with the email" in missing


@pytest.mark.django_db
def test_step_through_a_segment_first_next_random(staff, campaign):
    for name in ("Ala", "Bea"):
        make_contact(f"{name.lower()}@example.com", name=name, tags=["vip"])
    seg = Segment.objects.create(name="VIP", tree={"field": "tag", "op": "eq", "value": "vip"})
    url = reverse("web:campaign_preview", args=[campaign.pk])
    first = staff.get(url, {"segment": seg.pk, "step": "first", "index": 5}).content.decode()
    assert "member 1 of 2" in first and ">Hi Ala<" in first
    after = staff.get(url, {"segment": seg.pk, "step": "next", "index": 0}).content.decode()
    assert "member 2 of 2" in after and ">Hi Bea<" in after
    rnd = staff.get(url, {"segment": seg.pk, "step": "random"}).content.decode()
    assert "of 2" in rnd


@pytest.mark.django_db
def test_campaign_page_and_template_editor_link_to_the_preview(staff, campaign):
    page_html = staff.get(reverse("web:campaign_detail", args=[campaign.pk])).content.decode()
    assert reverse("web:campaign_preview", args=[campaign.pk]) in page_html
    assert "Send test" in page_html
    edit = staff.get(reverse("web:template_edit", args=[campaign.template_id])).content.decode()
    assert reverse("web:template_preview_as", args=[campaign.template_id]) in edit
    as_sample = staff.get(reverse("web:template_preview_as", args=[campaign.template_id]))
    assert "the sample contact" in as_sample.content.decode()


@pytest.mark.django_db
def test_send_test_form_uses_the_seed_list_and_says_where(staff, campaign):
    url = reverse("web:campaign_test_send", args=[campaign.pk])
    response = staff.post(url, {"emails": ""}, follow=True)
    assert "Test not sent: no test addresses" in response.content.decode()
    org = organisation.current()
    org.test_addresses = "qa@example.com"
    org.save()
    response = staff.post(url, {"emails": ""}, follow=True)
    assert "Test message queued to qa@example.com." in response.content.decode()
    assert Delivery.objects.get(email="qa@example.com").content["subject"] == "[Test] Hi Sam"


@pytest.mark.django_db
def test_seed_list_in_organisation_settings(staff):
    url = reverse("web:organisation_settings")
    base = {"name": "Acme", "postal_address": "1 Road", "from_email": "news@example.com"}
    response = staff.post(url, {**base, "test_addresses": "a@example.com\nnot an address"})
    assert "&#x27;not an address&#x27; is not a valid address" in response.content.decode()
    too_many = "\n".join(f"a{i}@example.com" for i in range(21))
    assert (
        "at most 20 test addresses"
        in staff.post(url, {**base, "test_addresses": too_many}).content.decode()
    )
    staff.post(url, {**base, "test_addresses": " qa@example.com \n\nBoss@Example.ORG"})
    assert organisation.current().test_addresses == "qa@example.com\nBoss@example.org"
    assert "qa@example.com" in staff.get(url).content.decode()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_dark_mode_mobile_preview_in_a_browser(page, live_server, admin_user, newsletter):  # noqa: F811
    make_contact("ana@example.com", name="Ana Nowak")
    campaign = make_campaign(newsletter, subject="Hi", html=DARK_HTML)
    page.goto(f"{live_server.url}/login/?next=/")
    page.get_by_label("Username").fill("owner")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/")
    path = reverse("web:campaign_preview", args=[campaign.pk])
    for mode, background in (("light", "rgb(255, 255, 255)"), ("dark", "rgb(0, 0, 0)")):
        page.goto(f"{live_server.url}{path}?email=ana@example.com&width=mobile&mode={mode}")
        frame_el = page.get_by_test_id("preview-frame")
        assert frame_el.bounding_box()["width"] == pytest.approx(375, abs=2)
        frame = frame_el.content_frame
        box = frame.locator(".box")
        assert box.inner_text() == "Hi Ana"
        assert box.evaluate("e => getComputedStyle(e).backgroundColor") == background
        if os.environ.get("MW_SCREENSHOT_DIR"):
            page.screenshot(
                path=os.path.join(os.environ["MW_SCREENSHOT_DIR"], f"preview-{mode}.png"),
                full_page=True,
            )
