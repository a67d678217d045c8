"""The block editor in a real browser: build a template with clicks (select in the canvas, add
a heading, a button, the footer; Chromium's automated drag and drop does not reach into the
canvas iframe), undo once, save, reopen; the saved HTML has the button in the brand's
colour. The page loads without console errors and asks nothing of another origin.
Screenshots go to MW_SCREENSHOT_DIR when it is set."""

from __future__ import annotations

import os
import re

import pytest
from django.test import override_settings

from mailwright.campaigns.models import Template
from tests.e2e.conftest import browser, page  # noqa: F401 - the browser fixtures


def shot(tab, name: str) -> None:
    directory = os.environ.get("MW_SCREENSHOT_DIR")
    if directory:
        tab.screenshot(path=os.path.join(directory, f"{name}.png"))


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_build_undo_save_and_reopen_in_the_block_editor(page, live_server, admin_user):  # noqa: F811
    from playwright.sync_api import expect

    from mailwright.audit.actors import Actor
    from mailwright.consent.brand_store import do_save_brand

    do_save_brand({"primary_color": "#c2410c"}, by=Actor.system("test"))
    origin = live_server.url
    foreign, errors = [], []
    page.on(
        "request",
        lambda r: r.url.startswith(origin) or r.url.startswith("data:") or foreign.append(r.url),
    )
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("pageerror", lambda e: errors.append(str(e)))

    with override_settings(BASE_URL=origin):
        page.goto(f"{origin}/login/?next=/templates/new/blocks/")
        page.get_by_label("Username").fill("owner")
        page.get_by_label("Password").fill("correct horse battery")
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_selector("body[data-editor-ready='1']")
        canvas = page.frame_locator("#gjs iframe.gjs-frame")
        expect(
            canvas.get_by_text("Hello {{ contact.first_name|default('there') }},")
        ).to_be_visible()
        shot(page, "block-editor-new")

        blocks = page.locator("#gjs-blocks")
        canvas.get_by_text("Hello {{ contact.first_name|default('there') }},").click()
        blocks.get_by_role("button", name="Heading").click()
        expect(canvas.get_by_text("A heading")).to_be_visible()
        blocks.get_by_role("button", name="Button").click()
        expect(canvas.get_by_text("Click here")).to_be_visible()
        blocks.get_by_role("button", name="Divider").click()
        expect(canvas.locator("[data-gjs-type='mj-divider']")).to_have_count(1)
        page.get_by_role("button", name="Undo").click()  # the divider goes again
        expect(canvas.locator("[data-gjs-type='mj-divider']")).to_have_count(0)
        blocks.get_by_role("button", name="Footer").click()
        expect(canvas.get_by_text("Unsubscribe")).to_be_visible()

        page.get_by_role("button", name="Mobile (375)").click()
        frame = page.locator("#gjs iframe.gjs-frame")
        page.wait_for_function(
            "() => document.querySelector('#gjs iframe.gjs-frame').offsetWidth === 375"
        )
        shot(page, "block-editor-mobile")
        page.get_by_role("button", name="Desktop (600)").click()
        page.wait_for_function(
            "() => document.querySelector('#gjs iframe.gjs-frame').offsetWidth > 600"
        )
        assert frame.count() == 1

        page.get_by_label("Name").fill("Spring news")
        page.get_by_label("Subject").fill("Spring is here, {{ contact.first_name }}")
        page.get_by_label("Preheader").fill("Three things to try this week")
        page.get_by_role("button", name="Save").click()
        page.wait_for_url(re.compile(r"/templates/\d+/blocks/$"))
        expect(page.locator("#blocks-errors")).to_be_hidden()
        tpl = Template.objects.get(name="Spring news")
        assert tpl.editor == "blocks" and tpl.design
        assert "Click here" in tpl.html and "A heading" in tpl.html
        assert "#c2410c" in tpl.html  # the button in the brand's colour
        assert "{{ unsubscribe_url }}" in tpl.html and "{{ preferences_url }}" in tpl.html
        assert "mj-divider" not in tpl.mjml  # undone
        assert "Three things to try this week" in tpl.html  # the preheader

        page.reload()
        page.wait_for_selector("body[data-editor-ready='1']")
        expect(canvas.get_by_text("Click here")).to_be_visible()
        expect(canvas.get_by_text("A heading")).to_be_visible()
        expect(page.get_by_label("Preheader")).to_have_value("Three things to try this week")
        shot(page, "block-editor")

    assert foreign == [], foreign
    assert errors == [], errors
