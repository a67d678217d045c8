"""The lint (campaigns.lint): every code fires on a message written to trigger it, and a
realistic clean newsletter gives nothing at all."""

from __future__ import annotations

import pytest

from mailwright.campaigns.lint import lint, spam_phrases
from mailwright.campaigns.lint_phrases import SPAM_PHRASES
from tests.campaigns.lint_samples import (
    BODY,
    CLEAN_HTML,
    CLEAN_MJML,
    CLEAN_SUBJECT,
    CLEAN_TEXT,
    FOOTER,
    PREHEADER,
)

pytestmark = pytest.mark.django_db


def codes(findings) -> list[str]:
    return [f["code"] for f in findings]


def only(result, code):
    found = [f for f in result.errors + result.warnings if f["code"] == code]
    assert found, (code, result.as_dict())
    for f in found:
        assert f["message"] and f["where"] and f["fix"], f
    return found


def page(body: str) -> str:
    return f"<html><body>{PREHEADER}{body}</body></html>"


def test_clean_newsletter_has_no_findings_in_html_and_mjml():
    for source in ({"html": CLEAN_HTML}, {"mjml": CLEAN_MJML}):
        result = lint(CLEAN_SUBJECT, text=CLEAN_TEXT, **source)
        assert result.as_dict() == {"errors": [], "warnings": []}, result.as_dict()


def test_compliance_is_decided_on_the_rendered_output():
    hidden = (
        "<!-- <a href='{{ unsubscribe_url }}'>Unsubscribe</a> -->"
        "{% if false %}<a href='{{ preferences_url }}'>Preferences</a>{% endif %}"
        "<p>unsubscribe preferences</p>"
    )
    result = lint(CLEAN_SUBJECT, html=page(BODY + hidden), text=CLEAN_TEXT)
    assert codes(result.errors) == [
        "missing_unsubscribe",
        "missing_preferences",
        "missing_postal_address",
    ]
    assert [e["where"] for e in result.errors] == ["html"] * 3
    # the same links, printed: satisfied
    assert lint(CLEAN_SUBJECT, html=page(BODY + FOOTER), text=CLEAN_TEXT).errors == []


def test_missing_in_the_text_part_only_names_the_text_part():
    result = lint(CLEAN_SUBJECT, html=CLEAN_HTML, text="Hello {{ contact.first_name }}")
    assert codes(result.errors) == [
        "missing_unsubscribe",
        "missing_preferences",
        "missing_postal_address",
    ]
    assert {e["where"] for e in result.errors} == {"text"}


def test_the_brand_footer_satisfies_compliance():
    result = lint(CLEAN_SUBJECT, html=page(BODY), text="Hi", footer=True)
    assert result.errors == []
    assert lint(CLEAN_SUBJECT, html=page(BODY), text="Hi").errors != []


def test_no_postal_address_at_all_is_an_error_even_with_the_footer(settings):
    settings.ORGANISATION_ADDRESS = ""
    result = lint(CLEAN_SUBJECT, html=CLEAN_HTML, text=CLEAN_TEXT, footer=True)
    [error] = only(result, "missing_postal_address")
    assert "Settings → Organisation" in error["fix"]


@pytest.mark.parametrize(
    "subject",
    [
        "Re: your order",
        "FWD: news",
        "Fw: news",
        "AW: Angebot",
        "WG: Angebot",
        "Odp: spotkanie",
        "PD: oferta",
        "YNT: sipariş",
        "İLT: kampanya",
        "RE: pedido",
        "RV: pedido",
        "TL: đơn hàng",
        "CT: đơn hàng",
        "Trả lời: đơn hàng",
        "Отг: поръчка",
        "Пр: оферта",
        "Re[2]: offer",
    ],
)
def test_deceptive_subjects_in_every_product_language(subject):
    result = lint(subject, html=CLEAN_HTML, text=CLEAN_TEXT)
    assert codes(result.errors) == ["deceptive_subject"]
    assert result.errors[0]["where"] == "subject"
    # not on a reply in a conversation the contact started, nor in the middle of a subject
    assert lint(subject, html=CLEAN_HTML, text=CLEAN_TEXT, first_message=False).errors == []
    assert lint(f"News about {subject}", html=CLEAN_HTML, text=CLEAN_TEXT).errors == []


def test_empty_subject():
    assert codes(lint("  ", html=CLEAN_HTML, text=CLEAN_TEXT).errors) == ["empty_subject"]


def test_html_too_large_says_the_size():
    filler = "<p>" + "The river path is open again after the floods. " * 40 + "</p>"
    result = lint(CLEAN_SUBJECT, html=page(BODY + filler * 60 + FOOTER), text=CLEAN_TEXT)
    [error] = only(result, "html_too_large")
    assert "KB" in error["message"] and "102 KB" in error["message"]


def test_syntax_error_points_at_line_and_column():
    html = page("<p>Hello</p>\n<p>  {{ contact.first_name }</p>\n" + FOOTER)
    result = lint(CLEAN_SUBJECT, html=html, text=CLEAN_TEXT)
    [error] = result.errors
    assert error["code"] == "syntax_error"
    assert error["where"] == "html line 2 column 6"


def test_mjml_errors_are_syntax_errors():
    [error] = lint(CLEAN_SUBJECT, mjml="<mjml><mj-body><mj-section>", text="x").errors
    assert error["code"] == "syntax_error" and error["where"].startswith("mjml")


def test_ssti_payload_is_a_sandbox_finding():
    html = page("<p>{{ ''.__class__.__mro__[1].__subclasses__() }}</p>" + FOOTER)
    [error] = lint(CLEAN_SUBJECT, html=html, text=CLEAN_TEXT).errors
    assert error["code"] == "render_error"
    assert "not allowed" in error["message"]


def test_subject_warnings():
    result = lint("WIN BIG TODAY AT THE CLUB!!", html=CLEAN_HTML, text=CLEAN_TEXT)
    assert codes(result.warnings) == ["subject_exclamation", "subject_all_caps"]
    assert lint("Welcome to the club, NASA fans!", html=CLEAN_HTML, text=CLEAN_TEXT).warnings == []


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("en", "Act NOW: click   here for a free gift"),
        ("pl", "Tylko dziś: kliknij tutaj"),
        ("tr", "KAÇIRMAYIN, sınırlı süre"),
        ("es", "Oferta por tiempo limitado, haga clic aquí"),
        ("vi", "Miễn phí cho bạn, bấm vào đây"),
        ("bg", "Само днес: кликнете тук"),
    ],
)
def test_spam_phrases_in_each_language(language, text):
    result = lint(CLEAN_SUBJECT, html=page(BODY + f"<p>{text}</p>" + FOOTER), text=CLEAN_TEXT)
    found = only(result, "spam_phrase")
    assert {f["where"] for f in found} == {"html"}
    assert len(found) >= 1
    assert all(len(SPAM_PHRASES[lang]) >= 30 for lang in SPAM_PHRASES)


def test_spam_phrases_match_whole_words_only():
    assert spam_phrases("The winner of the walk") == ["winner"]
    assert spam_phrases("The winners' walk and a spinner") == []
    assert spam_phrases("GRATIS en el subject") == ["gratis"]


def test_spam_phrase_in_subject_and_text_part():
    result = lint("Free money for members", html=CLEAN_HTML, text=CLEAN_TEXT + "\nAct now\n")
    assert [(f["code"], f["where"]) for f in result.warnings] == [
        ("spam_phrase", "subject"),
        ("spam_phrase", "text"),
    ]


def test_image_warnings():
    images = "".join(f'<img src="https://example.org/i/{n}.png">' for n in range(3))
    result = lint(CLEAN_SUBJECT, html=page(images + FOOTER), text=CLEAN_TEXT)
    alt = only(result, "image_missing_alt")
    assert [f["where"] for f in alt] == ["image 0.png", "image 1.png", "image 2.png"]
    only(result, "image_only")


def test_no_text_part():
    [warning] = lint(CLEAN_SUBJECT, html=CLEAN_HTML).warnings
    assert warning["code"] == "no_text_part" and "generated" in warning["message"]


def test_insecure_links_and_shorteners():
    links = (
        '<p><a href="http://example.org/old">old</a> <a href="https://bit.ly/x">short</a>'
        ' <a href="https://www.tinyurl.com/y">tiny</a></p>'
    )
    result = lint(CLEAN_SUBJECT, html=page(BODY + links + FOOTER), text=CLEAN_TEXT)
    assert [(f["code"], f["where"]) for f in result.warnings] == [
        ("insecure_link", "link http://example.org/old"),
        ("url_shortener", "link https://bit.ly/x"),
        ("url_shortener", "link https://www.tinyurl.com/y"),
    ]


def test_missing_preheader():
    result = lint(CLEAN_SUBJECT, html=f"<html><body>{BODY}{FOOTER}</body></html>", text="x")
    assert "missing_preheader" in codes(result.warnings)
    mjml = CLEAN_MJML.replace(
        "<mj-preview>Three new trails and the autumn timetable</mj-preview>", ""
    )
    [warning] = lint(CLEAN_SUBJECT, mjml=mjml, text=CLEAN_TEXT).warnings
    assert warning["code"] == "missing_preheader" and "mj-preview" in warning["fix"]


def test_data_the_sample_contact_lacks_is_a_warning_not_an_error():
    html = page(BODY + "<p>{{ contact.attributes.plan.upper() }}</p>" + FOOTER)
    result = lint(CLEAN_SUBJECT, html=html, text=CLEAN_TEXT)
    assert result.errors == []
    [warning] = result.warnings
    assert warning["code"] == "undefined_variable" and "default" in warning["fix"]
