"""Contacts → Segments in a real browser: build a nested segment in the builder, watch the live
count change as it is edited, see a bad value named next to its condition, save it, and pick
it in a campaign whose page then shows the segment and its audience. Plus the pages' server
side through the test client (the preview endpoint is CSRF-protected, saving names the node)."""

from __future__ import annotations

import json
import os
import re

import pytest

from mailwright.campaigns.campaigns import create_campaign
from mailwright.campaigns.models import Campaign
from mailwright.campaigns.templates import save_template
from mailwright.contacts.models import AttributeDefinition, Contact, Segment
from tests.conftest import make_contact
from tests.e2e.conftest import browser, page  # noqa: F401 - the browser fixtures

PEOPLE = {
    # email: (tags, orders)
    "ana@example.com": (["vip"], 1),
    "ben@example.com": ([], 5),
    "cem@example.com": ([], 0),
    "dan@example.com": (["vip"], 7),
}


@pytest.fixture
def audience(newsletter):
    AttributeDefinition.objects.create(key="orders", label="Orders", type="number")
    for address, (tags, orders) in PEOPLE.items():
        contact = make_contact(address, newsletter, name=address.split("@")[0].title())
        Contact.objects.filter(pk=contact.pk).update(tags=tags, attributes={"orders": orders})
    make_contact("pending@example.com", newsletter, state="pending")
    save_template(name="Hello", subject="Hi", html='<p>Hi</p><a href="{{ unsubscribe_url }}">u</a>')


def shot(tab, name: str) -> None:
    """Save a screenshot when MW_SCREENSHOT_DIR is set (for looking at the UI by eye)."""
    directory = os.environ.get("MW_SCREENSHOT_DIR")
    if directory:
        tab.screenshot(path=os.path.join(directory, f"{name}.png"), full_page=True)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_build_a_nested_segment_and_pick_it_in_a_campaign(page, live_server, admin_user, audience):  # noqa: F811
    from playwright.sync_api import expect

    base = live_server.url
    page.goto(f"{base}/login/?next=/contacts/")
    page.get_by_label("Username").fill("owner")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Segments").click()
    expect(page.get_by_text("No segments yet.")).to_be_visible()
    page.get_by_role("link", name="New segment").click()

    count = page.get_by_test_id("live-count")
    expect(count).to_have_text("5")  # no conditions yet: every contact
    shot(page, "segment-empty")

    # Root: all of [Newsletter is confirmed, any of [tag vip, orders >= 3]]
    page.get_by_role("button", name="+ Condition").click()
    page.get_by_label("Field").select_option(label="Newsletter")
    expect(page.get_by_label("State")).to_have_value("confirmed")
    expect(count).to_have_text("4")

    page.get_by_role("button", name="+ Group").click()
    nested = page.locator(".group.nested")
    nested.get_by_label("Match").select_option("or")
    nested.get_by_label("Value").fill("vip")
    expect(count).to_have_text("2")  # confirmed AND tagged vip
    nested.get_by_role("button", name="+ Condition").click()
    second = nested.locator(".cond").nth(1)
    second.get_by_label("Field").select_option(label="Orders (number)")
    second.get_by_label("Operator").select_option("gte")
    second.get_by_label("Value").fill("3")
    expect(count).to_have_text("3")  # ... OR orders >= 3: ana, ben, dan
    expect(page.get_by_test_id("sample").get_by_role("link")).to_have_count(3)
    expect(page.get_by_role("link", name="ben@example.com")).to_have_attribute(
        "href", re.compile(r"^/contacts/\d+/$")
    )
    tree = json.loads(page.locator("#id_tree").input_value())
    assert tree == {
        "and": [
            {"field": "subscription", "topic": "newsletter", "op": "eq", "value": "confirmed"},
            {
                "or": [
                    {"field": "tag", "op": "eq", "value": "vip"},
                    {"field": "attributes.orders", "op": "gte", "value": 3},
                ]
            },
        ]
    }
    page.get_by_label("Name").fill("Keen customers")
    shot(page, "segment-nested")

    # A bad value is named next to its condition, and saving is refused the same way.
    second.get_by_label("Value").fill("")
    expect(second.locator(".node-error")).to_contain_text("orders is a number attribute")
    expect(count).to_have_text("—")
    page.get_by_role("button", name="Save segment").click()
    expect(page.get_by_test_id("save-error")).to_contain_text("tree.and[1].or[1].value:")
    expect(page.locator(".group.nested .cond").nth(1).locator(".node-error")).to_be_visible()
    shot(page, "segment-invalid")
    page.locator(".group.nested .cond").nth(1).get_by_label("Value").fill("3")
    expect(count).to_have_text("3")
    page.get_by_role("button", name="Save segment").click()
    expect(page.get_by_text("Segment “Keen customers” saved.")).to_be_visible()
    assert Segment.objects.get(name="Keen customers").tree == tree

    # A campaign picks it; its page shows the segment and who it would reach now.
    page.goto(f"{base}/campaigns/new/")
    page.get_by_label("Name", exact=True).fill("Spring offer")
    page.get_by_label("Newsletter").check()
    page.get_by_label("Segment").select_option(label="Keen customers")
    page.get_by_role("button", name="Create draft").click()
    expect(page.get_by_test_id("campaign-segment")).to_have_text("Keen customers")
    expect(page.get_by_test_id("audience-now")).to_have_text("3")
    shot(page, "campaign-with-segment")
    assert Campaign.objects.get(name="Spring offer").saved_segment.name == "Keen customers"


# --- the server side, through the test client --------------------------------------------------


@pytest.fixture
def staff(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.mark.django_db
def test_preview_counts_samples_and_names_bad_nodes(staff, audience):
    vip = {"field": "tag", "value": "vip"}
    r = staff.post("/contacts/segments/preview/", {"tree": vip}, content_type="application/json")
    assert r.status_code == 200
    data = r.json()
    assert data["count"] == 2
    assert sorted(c["email"] for c in data["sample"]) == ["ana@example.com", "dan@example.com"]
    bad = {"or": [vip, {"field": "attributes.orders", "op": "gte", "value": "x"}]}
    r = staff.post("/contacts/segments/preview/", {"tree": bad}, content_type="application/json")
    assert r.status_code == 422
    assert r.json()["error"]["node"] == "tree.or[1]"
    assert r.json()["error"]["path"] == "tree.or[1].value"


@pytest.mark.django_db
def test_preview_needs_the_csrf_token(admin_user, audience):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)
    r = client.post("/contacts/segments/preview/", {"tree": None}, content_type="application/json")
    assert r.status_code == 403


@pytest.mark.django_db
def test_list_shows_counts_and_delete_is_refused_while_a_draft_uses_it(staff, audience):
    segment = Segment.objects.create(name="VIPs", tree={"field": "tag", "value": "vip"})
    html = staff.get("/contacts/segments/").content.decode()
    assert "VIPs" in html and re.search(r'data-testid="segment-count">2<', html)
    tpl_id = save_template(name="T2", subject="S", html="<p>x</p>").id
    create_campaign(
        name="Draft", template_id=tpl_id, topic_keys=["newsletter"], segment_id=segment.pk
    )
    r = staff.post(f"/contacts/segments/{segment.pk}/delete/", follow=True)
    assert "Not deleted: draft campaign &#x27;Draft&#x27; (id" in r.content.decode()
    assert Segment.objects.filter(pk=segment.pk).exists()
