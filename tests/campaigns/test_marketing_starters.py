"""The five marketing starters: they compile with the brand, render for a contact, carry a
preheader, alt texts and the compliance footer, request nothing from third parties except the
operator's own logo, and are copied into ordinary templates (UI and API)."""

from __future__ import annotations

import re

import pytest
from django.conf import settings

from mailwright.campaigns import marketing_starters
from mailwright.campaigns.models import Template
from mailwright.campaigns.rendering import compile_template, recipient_context
from mailwright.consent.brand_store import do_save_brand
from tests.conftest import ADMIN, make_contact

STARTERS = list(marketing_starters.STARTERS)


@pytest.mark.parametrize("key", STARTERS)
@pytest.mark.django_db
def test_a_starter_compiles_and_renders_for_a_contact(key):
    do_save_brand({"logo_url": "https://shop.example/logo.png", "logo_alt": "Shop"}, by=ADMIN)
    tpl = marketing_starters.create_from_starter(key)
    assert tpl.kind == "marketing" and not tpl.starter and tpl.editor == "blocks"
    contact = make_contact("ana@example.com", name="Ana Nowak")
    subject, html, _text = compile_template(tpl.subject, tpl.html, tpl.text).render(
        recipient_context(contact, None)
    )
    assert subject
    ctx = recipient_context(contact, None)
    assert ctx["unsubscribe_url"] in html and ctx["preferences_url"] in html
    assert (
        settings.ORGANISATION_ADDRESS.splitlines()[0] in html
        or ctx["organisation"]["address"].splitlines()[0] in html
    )
    assert re.search(r"<mj-preview>.+</mj-preview>", tpl.mjml)  # a preheader
    assert all(alt for alt in re.findall(r'<img[^>]*alt="([^"]*)"', html))  # alt texts
    fetched = re.findall(r'<(?:img|link|script)[^>]+(?:src|href)="([^"]+)"', html)
    fetched += re.findall(r"url\(([^)]+)\)", html)
    foreign = [
        u for u in fetched if not u.startswith((settings.BASE_URL, "https://shop.example/logo.png"))
    ]
    assert foreign == []
    assert "https://shop.example/logo.png" in html  # the operator's own logo


@pytest.mark.django_db
def test_starters_over_the_api(api):
    listed = api.get("/templates/starters").json()
    assert [s["key"] for s in listed] == STARTERS
    made = api.post("/templates/from-starter", {"starter": "offer", "name": "Spring offer"})
    assert made.status_code == 201, made.content
    tpl = Template.objects.get(pk=made.json()["id"])
    assert tpl.name == "Spring offer" and "20% off" in tpl.html
    bad = api.post("/templates/from-starter", {"starter": "nope"})
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "starter"


@pytest.mark.django_db
def test_start_from_a_starter_in_the_ui(client, admin_user):
    client.force_login(admin_user)
    page = client.get("/templates/starters/")
    assert b"Event invitation" in page.content
    response = client.post("/templates/starters/newsletter/", {"name": "May news"})
    tpl = Template.objects.get(name="May news")
    assert response.status_code == 302 and response["Location"] == f"/templates/{tpl.pk}/blocks/"
    editor = client.get(response["Location"])
    assert editor.status_code == 200 and b"What is new this month" in editor.content


@pytest.mark.parametrize("key", STARTERS)
@pytest.mark.django_db
def test_a_starter_passes_the_lint_without_the_brand_footer(key, organisation_address):
    """Each starter shows the unsubscribe and preferences links and the postal address
    itself, and has nothing the lint would warn about except the generated text part."""
    from mailwright.campaigns.lint import lint

    tpl = marketing_starters.create_from_starter(key)
    found = lint(tpl.subject, html=tpl.html, text=tpl.text, footer=False)
    assert found.errors == []
    assert {w["code"] for w in found.warnings} <= {"no_text_part"}


@pytest.mark.django_db
def test_the_generated_text_part_leaves_out_the_hidden_preheader():
    """The preheader is hidden in the HTML (mj-preview): a text-only reader must not get it
    as the message's first line."""
    from mailwright.campaigns.rendering import html_to_text

    tpl = marketing_starters.create_from_starter("newsletter")
    preheader = re.search(r"<mj-preview>(.+?)</mj-preview>", tpl.mjml).group(1).strip()
    assert preheader in tpl.html
    assert preheader not in html_to_text(tpl.html)
