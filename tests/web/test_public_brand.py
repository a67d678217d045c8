"""The brand kit on the public pages: logo, colours and fonts as CSS custom properties, and
the brand's own CSS with everything that could leave the style element, load a stylesheet
or fetch from another host taken out. Also the staff pages for topic translations."""

from __future__ import annotations

import os
import re

import pytest
from django.test import Client

from mailwright import tokens
from mailwright.audit.actors import Actor
from mailwright.consent.models import Brand
from mailwright.consent.public_css import public_css_problems, sanitize_public_css
from mailwright.consent.topic_translations import do_save_topic_translation, localize_one
from mailwright.consent.topics import create_topic
from tests.conftest import make_contact
from tests.e2e.conftest import browser, page  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db

HOST = "mail.example.org"


def style_of(html: str) -> str:
    found = re.search(r'<style id="brand">(.*?)</style>', html, re.S)
    assert found, "no brand style on the page"
    return found.group(1)


@pytest.fixture
def brand(db):
    return Brand.objects.create(
        logo_url="https://cdn.example.org/logo.png",
        logo_alt="Green Grocer",
        primary_color="#14532d",
        background_color="#ecfdf5",
        font_family="Georgia, serif",
        public_css=".public-card { border-top: 6px solid var(--mw-primary); }",
    )


def test_without_a_saved_brand_the_pages_keep_their_look(client, newsletter):
    html = client.get("/subscribe/").content.decode()
    assert '<style id="brand">' not in html and "brand-logo" not in html


def test_the_brand_is_on_the_subscribe_and_preference_pages(client, brand, newsletter):
    contact = make_contact("ana@example.com", newsletter)
    for url in ["/subscribe/", f"/p/{tokens.make('preferences', {'c': contact.id})}"]:
        html = client.get(url).content.decode()
        css = style_of(html)
        assert "--mw-primary: #14532d;" in css and "--mw-on-primary: #ffffff;" in css
        assert "--mw-background: #ecfdf5;" in css and "--mw-font: Georgia, serif;" in css
        assert "border-top: 6px solid var(--mw-primary)" in css
        assert '<img class="brand-logo" src="https://cdn.example.org/logo.png"' in html
        assert 'alt="Green Grocer"' in html


HOSTILE = [
    "</style><script>alert(1)</script>",
    "</STYLE ><img src=x onerror=alert(1)>",
    "@import url(https://evil.example/x.css);",
    '@import "https://evil.example/x.css"',
    '@\\69mport "https://evil.example/x.css";',
    '@import/**/"https://evil.example/x.css";',
    "body { background: url(https://evil.example/track.gif) }",
    "body { background: URL( 'https://evil.example/t.gif' ) }",
    "body { background: u\\72l(https://evil.example/t.gif) }",
    "body { background: url(//evil.example/t.gif) }",
    "body { background: url(https://evil.example\\/t.gif) }",
    "body { background: url(https://mail.example.org.evil.example/t.gif) }",
    "body { background: url(data:image/svg+xml,<svg onload=alert(1)>) }",
    "body { background: image-set('https://evil.example/t.png' 1x) }",
    "body { background: -webkit-image-set('https://evil.example/t.png' 1x) }",
    "body { width: expression(alert(1)); behavior: url(x.htc); -moz-binding: url(x) }",
    "a { background: url(https://evil.example/a.gif\x00) }",
]


@pytest.mark.parametrize("css", HOSTILE)
def test_hostile_css_is_neutralised(css):
    safe = sanitize_public_css(css, HOST)
    lowered = safe.lower()
    assert "<" not in safe and "@import" not in lowered and "image-set(" not in lowered
    assert "</style" not in lowered and "<script" not in lowered and "expression(" not in lowered
    assert "behavior:" not in lowered and "-moz-binding" not in lowered
    assert not re.search(r"url\(\s*['\"]?(https?:)?//", lowered)
    assert public_css_problems(css, HOST)


def test_harmless_css_and_this_sites_own_files_are_kept():
    css = (
        "@media (max-width: 30rem) { h1 { font-size: 1.2rem } }\n"
        ".public-card { background: url(/static/web/leaf.png) no-repeat; }\n"
        f"h1::before {{ content: '\\201C'; background: url('https://{HOST}/media/x.png') }}\n"
        "a > b { color: #0a0 }"
    )
    safe = sanitize_public_css(css, HOST)
    assert 'url("/static/web/leaf.png")' in safe and f'url("https://{HOST}/media/x.png")' in safe
    assert "@media (max-width: 30rem)" in safe and "a > b" in safe and "\\201C" in safe
    assert public_css_problems(css, HOST) == []


def test_hostile_brand_values_cannot_break_out_of_the_page(client, newsletter):
    Brand.objects.create(
        logo_url="javascript:alert(1)",
        primary_color="red;}x{",
        font_family="Arial; } body { background: url(https://evil.example/x) } <",
        public_css="</style><script>alert('x')</script>" + "a{}" * 10_000,
    )
    html = client.get("/subscribe/").content.decode()
    css = style_of(html)
    assert "<script>" not in html and "javascript:" not in html and "url(" not in css
    assert "--mw-primary: #1d4ed8;" in css and "brand-logo" not in html
    # The font list keeps only letters, spaces, commas, dots and quotes: no rule can start.
    assert "--mw-font: Arial  body  background urlhttpsevil.examplex" in css
    assert len(css) < 21_000


# --- the staff pages for translations -------------------------------------------------------


@pytest.fixture
def staff(client, admin_user):
    client.force_login(admin_user)
    return client


def test_staff_add_a_polish_translation_and_the_topics_list_shows_it(staff):
    topic = create_topic(key="news", name="Newsletter", consent_text="Send me news.")
    edit = staff.get(f"/topics/{topic.id}/edit/").content.decode()
    assert f'href="/topics/{topic.id}/translations/pl/"' in edit and "Not translated" in edit
    response = staff.post(
        f"/topics/{topic.id}/translations/pl/",
        {"name": "Biuletyn", "description": "", "consent_text": "Wysyłajcie mi wiadomości."},
        follow=True,
    )
    html = response.content.decode()
    version = localize_one(topic, "pl").consent_version
    assert f"its consent text is version {version}" in html and "Biuletyn" in html
    listing = staff.get("/topics/").content.decode()
    assert re.search(r'data-testid="translated-news">.*?>pl</span>', listing)
    assert "Wysyłajcie mi wiadomości." in Client().get("/subscribe/?lang=pl").content.decode()
    bad = staff.post(f"/topics/{topic.id}/translations/pl/", {"name": "", "consent_text": ""})
    assert bad.status_code == 200 and "This field is required" in bad.content.decode()
    assert staff.get(f"/topics/{topic.id}/translations/de/").status_code == 404
    staff.post(f"/topics/{topic.id}/translations/pl/", {"action": "delete"})
    assert "Send me news." in Client().get("/subscribe/?lang=pl").content.decode()


# --- in a browser -------------------------------------------------------------------------

LOGO = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="220" height="56">'
    '<circle cx="28" cy="28" r="24" fill="#14532d"/>'
    '<text x="62" y="37" font-family="Georgia" font-size="24" fill="#14532d">Green Grocer</text>'
    "</svg>"
)


def shot(tab, name: str) -> None:
    """Save a screenshot when MW_SCREENSHOT_DIR is set (for looking at the pages by eye)."""
    directory = os.environ.get("MW_SCREENSHOT_DIR")
    if directory:
        tab.screenshot(path=os.path.join(directory, f"{name}.png"), full_page=True)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_branded_polish_subscribe_and_preference_page_in_a_browser(page, live_server):  # noqa: F811
    from playwright.sync_api import expect

    Brand.objects.create(
        logo_url="https://cdn.example.org/logo.png",
        logo_alt="Green Grocer",
        primary_color="#14532d",
        link_color="#166534",
        background_color="#ecfdf5",
        font_family="Georgia, 'Times New Roman', serif",
        public_css=".public-card { border-top: 6px solid var(--mw-primary); }",
    )
    topic = create_topic(
        key="news", name="Newsletter", description="Monthly", consent_text="Send me news."
    )
    do_save_topic_translation(
        topic,
        "pl",
        "Biuletyn",
        "Co miesiąc nowości z warzywniaka",
        "Chcę otrzymywać biuletyn. Mogę zrezygnować w każdej chwili.",
        by=Actor.system("test"),
    )
    contact = make_contact("ola@example.com", topic, language="pl")
    # No internet here: the logo's host answers from the test.
    page.route(
        "https://cdn.example.org/logo.png",
        lambda route: route.fulfill(content_type="image/svg+xml", body=LOGO),
    )
    page.goto(f"{live_server.url}/subscribe/?lang=pl")
    expect(page.get_by_role("img", name="Green Grocer")).to_be_visible()
    expect(page.get_by_text("Chcę otrzymywać biuletyn.")).to_be_visible()
    button = page.get_by_role("button", name="Subskrybuj")
    assert button.evaluate("b => getComputedStyle(b).backgroundColor") == "rgb(20, 83, 45)"
    assert "Georgia" in page.evaluate("getComputedStyle(document.body).fontFamily")
    shot(page, "public-subscribe-branded-pl")
    page.goto(f"{live_server.url}/p/{tokens.make('preferences', {'c': contact.id})}")
    expect(page.get_by_label(re.compile("^Biuletyn"))).to_be_checked()
    card = page.locator(".public-card")
    assert card.evaluate("c => getComputedStyle(c).borderTopColor") == "rgb(20, 83, 45)"
    shot(page, "public-preferences-branded-pl")
