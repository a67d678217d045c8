"""The contact list in a real browser: filter, tick two rows, add a tag through the bulk bar and
its confirmation, and see the tag in the list; then edit one contact's typed attributes."""

from __future__ import annotations

import os
import re

import pytest

from mailwright.contacts.models import Contact
from tests.conftest import declare, make_contact

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def shot(page, name: str) -> None:
    """Save a screenshot when MW_SCREENSHOT_DIR is set (for looking at the UI by eye)."""
    directory = os.environ.get("MW_SCREENSHOT_DIR")
    if directory:
        page.screenshot(path=os.path.join(directory, f"{name}.png"), full_page=True)


def test_filter_select_two_rows_and_tag_them(page, live_server, admin_user, newsletter):
    from playwright.sync_api import expect

    make_contact("ana@example.com", newsletter, name="Ana Nowak")
    make_contact("bob@example.com", newsletter, state="pending", name="Bob Brown")
    make_contact("cy@example.com", newsletter, name="Cy Young")
    make_contact("dee@example.org", name="Dee Nobody")
    declare(orders="number", since="date", vip="bool")

    page.goto(f"{live_server.url}/contacts/")
    page.get_by_label("Username").fill("owner")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Contacts", level=1)).to_be_visible()

    # Filter: subscribed to the newsletter.
    page.locator("#f-topic").select_option("newsletter")
    page.get_by_role("button", name="Filter").click()
    rows = page.locator("table.contacts tbody tr")
    expect(rows).to_have_count(3)
    expect(page.get_by_text("all 3 matching this filter")).to_be_visible()

    # Tick two rows and add a tag.
    page.get_by_label("Select ana@example.com").check()
    page.get_by_label("Select cy@example.com").check()
    page.locator("#b-action").select_option("add_tag")
    page.get_by_placeholder("tag", exact=True).fill("fair-2026")
    shot(page, "contacts-list-selected")
    page.get_by_role("button", name="Continue…").click()
    expect(page.get_by_text("Add the tag “fair-2026” to 2 contacts.")).to_be_visible()
    shot(page, "contacts-bulk-confirm")
    page.get_by_role("button", name="Confirm").click()

    expect(page.get_by_text("Add a tag: 2 contacts changed.")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/contacts/\?topic=newsletter$"))
    expect(page.locator('tr[data-email="ana@example.com"] .tag')).to_have_text(["fair-2026"])
    expect(page.locator('tr[data-email="cy@example.com"] .tag')).to_have_text(["fair-2026"])
    expect(page.locator('tr[data-email="bob@example.com"] .tag')).to_have_count(0)
    shot(page, "contacts-list-tagged")

    # The subscribe inputs appear only for that action.
    expect(page.locator("#b-basis")).to_be_hidden()
    page.locator("#b-action").select_option("subscribe")
    expect(page.locator("#b-basis")).to_be_visible()
    expect(page.locator("#b-tag")).to_be_hidden()

    # Edit one contact: typed inputs for the declared attributes.
    page.get_by_role("link", name="ana@example.com").click()
    page.get_by_role("link", name="Edit").click()
    expect(page.get_by_label("orders", exact=True)).to_have_attribute("type", "number")
    expect(page.get_by_label("since", exact=True)).to_have_attribute("type", "date")
    expect(page.get_by_label("vip", exact=True)).to_have_attribute("type", "checkbox")
    expect(page.get_by_label("Tags")).to_have_value("fair-2026")
    page.get_by_label("orders", exact=True).fill("3")
    page.get_by_label("since", exact=True).fill("2024-05-01")
    page.get_by_label("vip", exact=True).check()
    page.get_by_label("Time zone").select_option("Europe/Warsaw")
    page.get_by_label("Birthday").fill("1990-05-01")
    shot(page, "contacts-edit")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_text("Contact ana@example.com updated.")).to_be_visible()
    ana = Contact.objects.get(email="ana@example.com")
    assert ana.attributes == {"orders": 3, "since": "2024-05-01", "vip": True}
    assert (ana.time_zone, ana.birthday.isoformat()) == ("Europe/Warsaw", "1990-05-01")
    assert ana.tags == ["fair-2026"]

    # Settings → Attributes lists them; deleting asks first, naming how many hold a value.
    page.get_by_role("link", name="Settings").click()
    page.get_by_role("link", name="Attributes").click()
    expect(page.locator("tr[data-key]")).to_have_count(3)
    shot(page, "settings-attributes")
    page.locator('tr[data-key="orders"]').get_by_role("link", name="Delete…").click()
    expect(page.get_by_test_id("holders")).to_have_text("1")
    page.get_by_role("button", name="Delete “orders”").click()
    expect(
        page.get_by_text("Attribute “orders” deleted; its value was removed from 1 contact.")
    ).to_be_visible()
    expect(page.locator("tr[data-key]")).to_have_count(2)
    assert "orders" not in Contact.objects.get(email="ana@example.com").attributes
