"""Templates cannot exhaust the web process: every kind of runaway render is refused with a
clear 422 (API) or form error (template editor), quickly, and the save check renders for
real contacts, so work that depends on their data is caught before anything is sent."""

from __future__ import annotations

import time

import pytest
from django.urls import reverse

from mailwright.campaigns.models import Template
from mailwright.contacts.models import Contact
from tests.api.util import assert_error
from tests.conftest import make_contact

pytestmark = pytest.mark.django_db


def post_html(api, html: str):
    started = time.monotonic()
    response = api.post("/templates", {"name": "T", "subject": "Hi", "html": html})
    return response, time.monotonic() - started


@pytest.mark.parametrize(
    ("html", "says"),
    [
        ("<p>{{ 10**(10**7) }}</p>", "numbers are limited to 4,096 bits"),
        ("<p>{{ 'a'*10**8 }}</p>", "100,000,000 characters long; at most 2,000,000"),
        ("<p>{{ 'a'|center(10**9) }}</p>", "1,000,000,000 is too large"),
        ("<p>{{ '%0999999999d'|format(1) }}</p>", "format widths are limited"),
        ("<p>{{ '{:>999999999}'.format(1) }}</p>", "format widths are limited"),
        ("<p>{{ (['x'*1000000]*1000)|join }}</p>", "at most 2,000,000"),
        (
            "{% set ns = namespace(s='x') %}{% for i in range(40) %}"
            "{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s|length }}",
            "at most 2,000,000",
        ),
        (
            "{% for a in range(1000) %}{% for b in range(1000) %}{% endfor %}{% endfor %}",
            "loops run more than 50,000 times",
        ),
        ("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}", "nest too deeply"),
    ],
    ids=[
        "power",
        "repeat",
        "center",
        "percent",
        "format",
        "join",
        "doubling",
        "nested-loops",
        "recursion",
    ],
)
def test_runaway_template_is_refused_quickly_with_a_clear_message(api, html, says):
    response, took = post_html(api, html)
    error = assert_error(response, 422, "template_error", "html")
    assert says in error["message"] and "template limit" in error["message"], error
    assert took < 10, took  # before: 30 s and a 500, or the process ran out of memory
    assert not Template.objects.filter(kind="marketing").exists()


def test_slow_template_stops_at_the_render_deadline(api, settings):
    settings.TEMPLATE_RENDER_SECONDS = 0.3
    response, took = post_html(api, "{% for i in range(5000) %}{{ range(100000)|sum }}{% endfor %}")
    error = assert_error(response, 422, "template_error", "html")
    assert "longer than 0.3 s (MW_TEMPLATE_RENDER_SECONDS)" in error["message"]
    assert took < 10, took


def test_work_only_for_real_contacts_is_caught_at_save(api, settings):
    """The old check rendered for one sample contact with id 0, so `{% if contact.id %}`
    hid the work until the worker sent to real people."""
    settings.TEMPLATE_RENDER_SECONDS = 0.3
    make_contact("ana@example.com", name="Ana")
    html = (
        "{% if contact.id %}{% for i in range(5000) %}{{ range(100000)|sum }}"
        "{% endfor %}{% endif %}<p>Hi</p>"
    )
    error = assert_error(post_html(api, html)[0], 422, "template_error", "html")
    assert "MW_TEMPLATE_RENDER_SECONDS" in error["message"]


def test_save_check_renders_contacts_of_every_attribute_shape(api):
    make_contact("plain@example.com", name="Plain", attributes={"score": 3})
    # stored before attributes were typed (every write path now refuses it)
    odd = make_contact("odd@example.com")
    Contact.objects.filter(pk=odd.pk).update(attributes={"score": "high"})
    for i in range(5):
        make_contact(f"more{i}@example.com", name="More", attributes={"score": i})
    error = assert_error(
        post_html(api, "<p>{{ contact.attributes.score + 1 }}</p>")[0],
        422,
        "template_error",
        "html",
    )
    assert "TypeError" in error["message"]


def test_every_attribute_key_is_present_in_the_synthetic_contact(api):
    """A template that needs a key only some contacts have fails on the contact that has
    it with the wrong type, here the synthetic one (keys from any contact, non-zero id)."""
    make_contact("a@example.com", attributes={"city": "Kraków"})
    make_contact("b@example.com", attributes={"plan": "pro"})
    response, _ = post_html(
        api,
        "{% if contact.id and contact.attributes.city and contact.attributes.plan %}"
        "{{ 1 // 0 }}{% endif %}",
    )
    assert "ZeroDivisionError" in assert_error(response, 422, "template_error")["message"]


def test_ordinary_templates_still_save_and_render(api):
    ana = make_contact("ana@example.com", name="Ana Nowak")
    # a list: stored before attributes were typed (no write path takes one now)
    Contact.objects.filter(pk=ana.pk).update(attributes={"products": ["a", "b"]})
    html = (
        "<h1>Hi {{ contact.first_name|default('there') }}</h1>"
        "{% for item in contact.attributes.products|default([]) %}<li>{{ item|upper }}</li>"
        "{% endfor %}<p>{{ '%5.2f'|format(3.14159) }} {{ '{:,}'.format(1234567) }}"
        " {{ [1, 2, 3]|join(',') }} {{ 2**64 }} {{ 'ab' * 3 }}</p>"
    )
    response, _ = post_html(api, html)
    assert response.status_code == 201, response.content


def test_template_editor_shows_the_limit_as_a_form_error(client, admin_user):
    client.force_login(admin_user)
    response = client.post(
        reverse("web:template_new"),
        {
            "name": "Big",
            "subject": "Hi",
            "source_format": "html",
            "source": "<p>{{ 10**(10**7) }}</p>",
            "text": "",
        },
    )
    assert response.status_code == 200
    assert "numbers are limited to 4,096 bits" in response.content.decode()
    assert not Template.objects.filter(kind="marketing").exists()
