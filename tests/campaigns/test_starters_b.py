"""The starter templates of part B (new-sign-in, account-changed, terms-updated, receipt,
support-ticket) say what the recipient needs to read, in their language, and fit a phone
screen; and docs/service-email.md documents every starter with examples that really send.

The templates are the ones migrate installed (starters.library.sync), rendered the way a
message is (service_templates.render_service)."""

from __future__ import annotations

import ast
import importlib.util
import json
import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from mailwright.campaigns.models import Template
from mailwright.campaigns.service_templates import (
    LANGUAGES,
    DataError,
    lint_service,
    render_service,
    validate_data,
)
from mailwright.campaigns.starters import library
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "service-email.md"
PART_B = ("new-sign-in", "account-changed", "terms-updated", "receipt", "support-ticket")
SPEC_STARTERS = (
    "order-confirmation",
    "preorder-confirmation",
    "order-shipped",
    "order-delivered",
    "password-reset",
    *PART_B,
)
CONTACT = {"email": "jana.nowak@example.net"}

_spec = importlib.util.spec_from_file_location(
    "gen_service_docs", ROOT / "tools/gen_service_docs.py"
)
gen_docs = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gen_docs)


def render(key: str, language: str = "en", **changes):
    """The message a recipient gets: the starter's example data with `changes` (a value of
    None drops the field)."""
    tpl = Template.objects.get(key=key)
    data = {**library.get(key).example(), **changes}
    data = {k: v for k, v in data.items() if v is not None}
    return render_service(tpl, language=language, data=validate_data(tpl, data), contact=CONTACT)


def visible(html: str) -> str:
    """The HTML's text as a reader sees it (tags gone, whitespace collapsed)."""
    body = html.split("<body", 1)[1]
    body = re.sub(r"<style.*?</style>|<!--.*?-->", " ", body, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", body).replace("&nbsp;", " ").split())


# --- the five templates -----------------------------------------------------------------


def test_part_b_starters_are_installed_in_the_six_languages():
    for key in PART_B:
        tpl = Template.objects.get(key=key)
        assert tpl.kind == "service" and tpl.starter
        have = {tpl.language, *tpl.translations.values_list("language", flat=True)}
        assert have == set(LANGUAGES)
        assert lint_service(tpl) == [], key  # no promotion, every data name declared


def test_support_ticket_states_the_promised_response_time():
    default = render("support-ticket", response_hours=None)
    for part in (visible(default.html), default.text):
        assert "We will reply within 24 hours." in part
        assert "48213" in part and "Parcel arrived damaged" in part
    assert "https://support.shop.example.com/tickets/48213" in default.html
    expected = {
        ("en", 1): "We will reply within 1 hour.",
        ("en", 4): "We will reply within 4 hours.",
        ("pl", 1): "Odpowiemy w ciągu 1 godziny.",
        ("pl", 48): "Odpowiemy w ciągu 48 godzin.",
        ("es", 1): "Le responderemos en un plazo máximo de 1 hora.",
        ("bg", 1): "Ще Ви отговорим в рамките на 1 час.",
        ("bg", 24): "Ще Ви отговорим в рамките на 24 часа.",
        ("tr", 8): "Size 8 saat içinde yanıt vereceğiz.",
        ("vi", 12): "Chúng tôi sẽ phản hồi Quý khách trong vòng 12 giờ.",
    }
    for (language, hours), sentence in expected.items():
        out = render("support-ticket", language, response_hours=hours)
        assert sentence in visible(out.html), (language, hours)
        assert sentence in out.text, (language, hours)
    with pytest.raises(DataError, match="response_hours: must be a integer"):
        render("support-ticket", response_hours="a day")


def test_receipt_shows_the_lines_totals_card_and_billing_address():
    out = render("receipt")
    text = visible(out.html)
    for line in ("Merino wool sweater, navy, M 1 €89.00", "Cotton socks, 3-pack 2 €29.80"):
        assert line in text
    assert "Subtotal €123.70 VAT 21% €25.98 Total paid €149.68" in text
    assert "Visa •••• 4242" in text and "Visa •••• 4242" in out.text
    # the billing address keeps its lines
    assert "Jana Nowak\nul. Długa 5/3\n00-238 Warszawa\nPoland" in out.text
    assert "white-space:pre-line" in out.html and "Jana Nowak\nul. Długa 5/3" in out.html
    assert 'href="https://shop.example.com/invoices/INV-2026-001234.pdf"' in out.html

    # only what is required: no subtotal row, the tax called "Tax" in the language, no card
    # digits, no address, no invoice button
    bare = render(
        "receipt",
        "pl",
        subtotal=None,
        tax_label=None,
        card_last4=None,
        billing_address=None,
        invoice_url=None,
    )
    text = visible(bare.html)
    assert "Podatek €25.98 Zapłacono łącznie €149.68" in text
    assert "Suma częściowa" not in text and "••••" not in text
    assert "Dane do faktury" not in text and "Pobierz fakturę" not in text
    assert "Metoda płatności Visa" in text


def test_receipt_refuses_a_line_without_a_whole_quantity_naming_it():
    lines = [{"description": "Socks", "quantity": 2, "amount": "€9.90"}]
    lines.append({"description": "Hat", "quantity": "one", "amount": "€19.00"})
    with pytest.raises(DataError) as err:
        render("receipt", line_items=lines)
    assert err.value.field == "line_items[1].quantity"


def test_new_sign_in_lists_the_sign_in_and_the_way_to_secure_the_account():
    out = render("new-sign-in")
    text = visible(out.html)
    assert "Date and time 6 December 2026, 09:14 CET" in text
    assert "Device Chrome on Windows 11" in text and "IP address 203.0.113.24" in text
    assert "Approximate location Warsaw, Poland" in text
    assert "If this was you, you can ignore this email." in text
    assert re.search(
        r'href="https://shop.example.com/account/security"[^>]*>\s*Secure my', out.html
    )
    # no location: no empty row; data is escaped, never markup
    out = render("new-sign-in", "tr", location=None, device="<b>Chrome</b>")
    assert "Yaklaşık konum" not in out.html and "Yaklaşık konum" not in out.text
    assert "&lt;b&gt;Chrome&lt;/b&gt;" in out.html and "<b>Chrome</b>" not in out.html


def test_account_changed_names_each_changed_detail():
    out = render("account-changed", "es")
    text = visible(out.html)
    assert "Email address j.nowak@example.net" in text
    assert "Password modificado" in text  # a secret is reported, never shown
    assert "- Password: modificado" in out.text
    assert "Safari on iPhone" in text and "198.51.100.7" in text
    assert "https://shop.example.com/account/recover?token=5d1e0c" in out.text
    with pytest.raises(DataError) as err:
        render("account-changed", changes=[{"new_value": "x"}])
    assert err.value.field == "changes[0].field"


def test_terms_updated_is_a_legal_notice_without_promotion():
    tpl = Template.objects.get(key="terms-updated")
    assert "promo(" not in library.get("terms-updated").body
    out = render_service(
        tpl,
        language="bg",
        data=validate_data(tpl, library.get("terms-updated").example()),
        contact=CONTACT,
        marketing_consent=True,  # even for a subscriber: nothing promotional
    )
    text = visible(out.html)
    assert out.subject == "Промени в „Privacy Policy“ от 1 January 2027"
    assert "В сила от: 1 January 2027" in text
    bullets = re.findall(r"<li[^>]*>(.*?)</li>", out.html)
    assert bullets[0].startswith("We now keep order records") and len(bullets) == 3
    assert "privacy@shop.example.com" in text
    assert "а не рекламно съобщение" in text
    without = render("terms-updated", contact_email=None)
    assert "write to us" not in visible(without.html) and "write to us" not in without.text


def test_part_b_starters_fit_a_phone_and_a_desktop_client():
    """At Apple Mail / phone (375 px) and Gmail (600 px) widths nothing scrolls sideways and
    the main button is wholly on screen, in every language."""
    if not CHROMIUM.exists():
        if os.environ.get("MW_REQUIRE_BROWSER") == "1":  # CI: a missing browser is a failure
            pytest.fail(f"MW_REQUIRE_BROWSER=1 but {CHROMIUM} is missing: install chromium")
        pytest.skip("chromium not installed")
    # Rendered before the browser starts: Playwright's event loop would make the ORM open a
    # second SQLite connection, locked out by the test's transaction.
    pages = {(key, lang): render(key, lang).html for key in PART_B for lang in LANGUAGES}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            for width in (375, 600):
                page = browser.new_page(viewport={"width": width, "height": 900})
                page.route("http*://**", lambda route: route.abort())  # no internet here
                for (key, language), html in pages.items():
                    page.set_content(html, wait_until="domcontentloaded")
                    scroll = page.evaluate("document.documentElement.scrollWidth")
                    assert scroll <= width, (width, key, language, scroll)
                    box = page.locator("a[target=_blank]").first.bounding_box()
                    assert box and box["x"] >= 0, (width, key, language)
                    assert box["x"] + box["width"] <= width, (width, key, language)
                page.close()
        finally:
            browser.close()


# --- docs/service-email.md --------------------------------------------------------------


def test_service_email_doc_is_up_to_date():
    page = DOC.read_text(encoding="utf-8")
    assert gen_docs.render(page) == page, "run .venv/bin/python tools/gen_service_docs.py"


def test_the_doc_has_a_section_for_each_starter_named_in_the_spec():
    page = DOC.read_text(encoding="utf-8")
    for key in SPEC_STARTERS:
        assert f"### `{key}` — " in page, key


def _examples(page: str, key: str) -> tuple[dict, dict]:
    """The JSON body of the section's curl example and the `body` of its Python one."""
    section = page.split(f"### `{key}` — ", 1)[1].split("\n### ", 1)[0]
    curl = re.search(r"<<'JSON'\n(.*?)\nJSON\n", section, re.S).group(1)
    python = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    body = python.split("body = ", 1)[1].split("\nrequest = ", 1)[0]
    compile(python, f"{key} example", "exec")  # the whole example is valid Python
    return json.loads(curl), ast.literal_eval(body)


@pytest.mark.parametrize("key", [s.key for s in library.load()])
def test_each_documented_example_is_a_valid_message_for_its_template(key):
    page = DOC.read_text(encoding="utf-8")
    tpl = Template.objects.get(key=key)
    for body in _examples(page, key):
        assert body["template"] == key and body["stream"] == "service"
        data = validate_data(tpl, body["data"])
        out = render_service(tpl, language=body.get("language", "en"), data=data, contact=CONTACT)
        assert out.subject.strip() and out.text.strip()
