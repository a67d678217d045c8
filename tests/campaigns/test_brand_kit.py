"""The brand kit: validated and audited on save, applied to marketing MJML at compile time and
recompiled when it changes, in the render context as `brand`, and in the added footer."""

from __future__ import annotations

import pytest

from mailwright.audit.models import AuditEntry
from mailwright.campaigns.models import Template
from mailwright.campaigns.rendering import compile_template, sample_context
from mailwright.campaigns.templates import save_template
from mailwright.consent.brand import brand_context, current_brand
from mailwright.consent.brand_store import BrandError, do_save_brand
from mailwright.delivery.compose import add_footer
from tests.conftest import ADMIN

MJML = """<mjml><mj-body><mj-section><mj-column>
<mj-text>Hi {{ contact.first_name }} from {{ organisation.name }}</mj-text>
<mj-button href="https://example.com/">Shop</mj-button>
<mj-text>{{ brand.footer_text }} <a href="{{ unsubscribe_url }}">Unsubscribe</a>
<a href="{{ preferences_url }}">Preferences</a> {{ organisation.address }}</mj-text>
</mj-column></mj-section></mj-body></mjml>"""


def render(tpl: Template) -> str:
    return compile_template(tpl.subject, tpl.html, tpl.text).render(sample_context())[1]


@pytest.mark.django_db
def test_changing_the_brand_changes_a_saved_marketing_template():
    tpl = save_template(name="News", subject="News", mjml_source=MJML)
    assert "#2563eb" in render(tpl)  # the default button colour
    do_save_brand(
        {
            "primary_color": "#C2410C",
            "link_color": "#9a3412",
            "font_family": "Georgia",
            "footer_text": "Made in Kraków",
        },
        by=ADMIN,
    )
    html = render(Template.objects.get(pk=tpl.pk))
    assert "#c2410c" in html and "#2563eb" not in html  # recompiled with the new brand
    assert "Georgia, 'Times New Roman', serif" in html.replace("&#39;", "'")
    assert "Made in Kraków" in html  # the `brand` in the render context
    entry = AuditEntry.objects.get(action="settings.brand")
    assert entry.after["primary_color"] == "#c2410c"


@pytest.mark.django_db
def test_a_template_that_sets_its_own_colour_keeps_it():
    own = MJML.replace(
        '<mj-button href="https://example.com/">',
        '<mj-button href="https://example.com/" background-color="#123456">',
    )
    tpl = save_template(name="Own", subject="Own", mjml_source=own)
    do_save_brand({"primary_color": "#c2410c"}, by=ADMIN)
    html = Template.objects.get(pk=tpl.pk).html
    assert "#123456" in html


@pytest.mark.parametrize(
    "values, field",
    [
        ({"primary_color": "red"}, "primary_color"),
        ({"link_color": "#12345"}, "link_color"),
        ({"logo_url": "http://cdn.example.com/logo.png"}, "logo_url"),
        ({"logo_url": "javascript:alert(1)"}, "logo_url"),
        ({"logo_url": "/static/../settings.py"}, "logo_url"),
        ({"font_family": "Arial; } body { background: url(x)"}, "font_family"),
        ({"font_family": "Arial<script>"}, "font_family"),
        ({"public_css": "</style><script>alert(1)</script>"}, "public_css"),
        ({"public_css": "@import url(https://evil.example/x.css);"}, "public_css"),
    ],
)
@pytest.mark.django_db
def test_bad_brand_input_is_refused_and_nothing_changes(values, field):
    with pytest.raises(BrandError) as caught:
        do_save_brand(values, by=ADMIN)
    assert caught.value.field == field
    assert not AuditEntry.objects.filter(action="settings.brand").exists()
    assert current_brand().primary_color == "#2563eb"


@pytest.mark.django_db
def test_good_logo_urls_are_accepted():
    assert do_save_brand({"logo_url": "https://shop.example/logo.png"}, by=ADMIN).logo_url
    assert do_save_brand({"logo_url": "/static/web/editor/hero.png"}, by=ADMIN).logo_url


@pytest.mark.django_db
def test_the_added_footer_is_branded_only_when_the_template_asks():
    do_save_brand({"link_color": "#0f766e", "footer_text": "Thanks for reading"}, by=ADMIN)
    ctx = sample_context()
    branded, text = add_footer(
        "<html><body><p>x</p></body></html>", "x", ctx, None, "en", branded=True
    )
    plain, _ = add_footer("<html><body><p>x</p></body></html>", "x", ctx, None, "en", branded=False)
    assert "color:#0f766e" in branded and "Thanks for reading" in branded
    assert "Thanks for reading" in text
    assert "#0f766e" not in plain and "Thanks for reading" not in plain
    for html in (branded, plain):  # the compliance links are there either way
        assert ctx["unsubscribe_url"] in html and ctx["preferences_url"] in html


@pytest.mark.django_db
def test_brand_api_reads_changes_and_refuses_bad_input(api):
    assert api.get("/brand").json()["primary_color"] == "#2563eb"
    response = api.put("/brand", {"primary_color": "#0F766E", "footer_text": "Hi"})
    assert response.status_code == 200, response.content
    assert response.json()["primary_color"] == "#0f766e"
    bad = api.put("/brand", {"logo_url": "http://tracker.example/pixel.gif"})
    assert bad.status_code == 422
    assert bad.json()["error"]["field"] == "logo_url"
    assert brand_context()["primary_color"] == "#0f766e"
