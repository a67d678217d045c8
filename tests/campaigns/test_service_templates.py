"""Service templates: data validation naming the field path, the promotional block that
shows only with marketing consent, the lint, saving a service template."""

from __future__ import annotations

import pytest

from mailwright.campaigns.models import Template
from mailwright.campaigns.rendering import TemplateError
from mailwright.campaigns.service_templates import (
    MAX_DATA_BYTES,
    DataError,
    lint_service,
    render_service,
    save_service_template,
    validate_data,
)

pytestmark = pytest.mark.django_db

FIELDS = {
    "order_number": {"type": "string", "required": True, "max_length": 20},
    "order_url": {"type": "url"},
    "items": {
        "type": "list",
        "required": True,
        "max_items": 3,
        "items": {
            "name": {"type": "string", "required": True},
            "quantity": {"type": "integer", "required": True},
        },
    },
    "address": {"type": "object", "fields": {"city": {"type": "string", "required": True}}},
    "promo": {
        "type": "object",
        "fields": {"title": {"type": "string", "required": True}, "url": {"type": "url"}},
    },
}
HTML = (
    "<p>Order {{ data.order_number }}</p>"
    "{% for item in data['items'] %}<p>{{ item.quantity }} × {{ item.name }}</p>{% endfor %}"
    "{% if data.promo %}{% call promo() %}<div class=promo>{{ data.promo.title }}</div>"
    "{% endcall %}{% endif %}"
)
GOOD = {"order_number": "A-1", "items": [{"name": "Mug", "quantity": 2}]}


@pytest.fixture
def tpl():
    template, _ = save_service_template(
        key="order-test", name="Order", subject="Order {{ data.order_number }}", html=HTML,
        fields=FIELDS,
    )  # fmt: skip
    return template


@pytest.mark.parametrize(
    "data, field, reason",
    [
        ({"items": []}, "order_number", "is required"),
        ({**GOOD, "order_number": "x" * 21}, "order_number", "at most 20"),
        ({**GOOD, "items": "mug"}, "items", "must be a list"),
        ({**GOOD, "items": []}, "items", "must not be empty"),
        ({**GOOD, "items": [{"name": "a", "quantity": 1}] * 4}, "items", "at most 3"),
        ({**GOOD, "items": [GOOD["items"][0], {"name": "b"}]}, "items[1].quantity", "required"),
        (
            {**GOOD, "items": [{"name": "a", "quantity": 1.5}]},
            "items[0].quantity",
            "whole number",
        ),
        ({**GOOD, "address": {"city": ["x"]}}, "address.city", "must be a string"),
        ({**GOOD, "address": {}}, "address.city", "required"),
        ({**GOOD, "order_url": "javascript:alert(1)"}, "order_url", "http(s) URL"),
        ({**GOOD, "notes": "x" * MAX_DATA_BYTES}, "data", "at most 65,536"),
    ],
)
def test_bad_data_names_the_field(tpl, data, field, reason):
    with pytest.raises(DataError) as err:
        validate_data(tpl, data)
    assert err.value.field == field
    assert reason in str(err.value)
    assert str(err.value).startswith(f"{field}: ")


def test_promo_block_renders_only_with_marketing_consent(tpl):
    data = validate_data(tpl, {**GOOD, "promo": {"title": "20% off mugs"}})
    without = render_service(tpl, language="en", data=data, contact={"email": "a@example.com"})
    with_consent = render_service(
        tpl, language="en", data=data, contact={"email": "a@example.com"}, marketing_consent=True
    )
    assert "20% off mugs" not in without.html and "20% off mugs" not in without.text
    assert "20% off mugs" in with_consent.html
    assert "2 × Mug" in without.html and "2 × Mug" in with_consent.html


def test_lint_warns_a_promotional_block_makes_the_message_commercial(tpl):
    codes = {(w["code"], w["where"]) for w in lint_service(tpl)}
    assert ("promotional_content", "html (en)") in codes
    _, warnings = save_service_template(
        key="plain", name="Plain", subject="Hi", html="<p>{{ data.x }}</p>", fields={}
    )
    assert [w["code"] for w in warnings] == ["undeclared_field"]
    assert "data.x" in warnings[0]["message"]


@pytest.mark.parametrize(
    "kwargs, part",
    [
        ({"key": "Bad Key"}, "key"),
        ({"key": "order-test"}, "key"),
        ({"language": "de"}, "language"),
        ({"fields": {"x": {"type": "money"}}}, "fields"),
        ({"fields": {"x": {"type": "list", "items": {"y": {"max_length": 0}}}}}, "fields"),
        ({"html": "<p>{% for x in %}</p>"}, "html"),
        ({"html": "<p>{{ data.order_number.__class__ }}</p>"}, "html"),
    ],
)
def test_saving_a_bad_service_template_names_the_problem(tpl, kwargs, part):
    args = {"key": "other", "name": "Other", "subject": "S", "html": "<p>x</p>", **kwargs}
    with pytest.raises(TemplateError) as err:
        save_service_template(**args)
    assert err.value.part == part


def test_a_starter_is_read_only():
    starter = Template.objects.get(key="password-reset")
    with pytest.raises(TemplateError, match="read-only"):
        save_service_template(
            key="password-reset", name="x", subject="x", html="<p>x</p>", instance=starter
        )


# --- the API ------------------------------------------------------------------------------


def test_api_lists_service_templates_by_key(api):
    marketing = api.post("/templates", {"name": "News", "subject": "Hi", "html": "<p>x</p>"})
    assert marketing.status_code == 201
    listed = api.get("/templates", kind="service").json()
    keys = [t["key"] for t in listed]
    assert keys == sorted(keys) and "password-reset" in keys
    reset = next(t for t in listed if t["key"] == "password-reset")
    assert reset["starter"] is True and reset["kind"] == "service"
    assert reset["languages"] == ["en", "bg", "es", "pl", "tr", "vi"]
    assert reset["fields"]["reset_url"]["type"] == "url"
    assert reset["description"]
    # the default list is the marketing templates, as before the service kind existed
    assert [t["id"] for t in api.get("/templates").json()] == [marketing.json()["id"]]


def test_api_service_template_details_give_each_languages_subject(api):
    body = api.get("/templates/service/password-reset").json()
    subjects = {row["language"]: row["subject"] for row in body["languages"]}
    assert subjects["en"] == "Reset your password"
    assert subjects["pl"] == "Resetowanie hasła"
    assert set(subjects) == {"en", "pl", "tr", "es", "vi", "bg"}
    assert body["example"]["expires_minutes"] == 30
    assert api.get("/templates/service/no-such-template").status_code == 404


def test_api_creates_a_service_template_and_returns_its_lint(api):
    response = api.post(
        "/templates",
        {
            "kind": "service",
            "key": "welcome-back",
            "name": "Welcome back",
            "subject": "Welcome back, {{ data.name }}",
            "html": "<p>Hi {{ data.name }}</p>{% call promo() %}<p>10% off</p>{% endcall %}",
            "fields": {"name": {"type": "string", "required": True, "example": "Ana"}},
            "language": "pl",
        },
    )
    assert response.status_code == 201, response.json()
    created = response.json()
    assert (created["kind"], created["key"], created["language"]) == (
        "service",
        "welcome-back",
        "pl",
    )
    assert [w["code"] for w in created["lint"]] == ["promotional_content"]
    again = api.get(f"/templates/{created['id']}").json()
    assert again["fields"] == {"name": {"type": "string", "required": True, "example": "Ana"}}
    assert again["lint"][0]["where"] == "html (pl)"


@pytest.mark.parametrize(
    "body, field",
    [
        ({"kind": "service"}, "key"),
        ({"kind": "service", "key": "password-reset"}, "key"),
        ({"kind": "service", "key": "x", "fields": {"a": {"type": "money"}}}, "fields"),
        ({"kind": "service", "key": "x", "language": "xx"}, "language"),
        ({"key": "x"}, "key"),
    ],
)
def test_api_bad_service_template_is_a_4xx_naming_the_field(api, body, field):
    response = api.post("/templates", {"name": "T", "subject": "S", "html": "<p>x</p>", **body})
    assert response.status_code == 422, response.json()
    assert response.json()["error"]["field"] == field


def test_api_starter_is_read_only(api):
    starter = api.get("/templates/service/password-reset").json()
    response = api.put(
        f"/templates/{starter['id']}",
        {
            "kind": "service",
            "key": "password-reset",
            "name": "x",
            "subject": "x",
            "html": "<p>x</p>",
        },
    )
    assert response.status_code == 422
    assert "read-only" in response.json()["error"]["message"]


def test_a_campaign_cannot_use_a_service_template(api, newsletter, admin_user):
    from django.test import Client

    admin_client = Client()
    admin_client.force_login(admin_user)
    starter = Template.objects.get(key="password-reset")
    r = api.post("/campaigns", {"name": "Oops", "template": starter.id, "topics": ["newsletter"]})
    assert r.status_code == 422 and "service template" in r.json()["error"]["message"]
    # The marketing editor sends a service template to its own page.
    page = admin_client.get(f"/templates/{starter.id}/edit/")
    assert page.status_code == 302 and page["Location"].endswith(
        f"/service/templates/{starter.id}/"
    )


def test_an_edit_is_rendered_at_once_though_compiled_templates_are_kept():
    from mailwright.campaigns.service_templates import render_service

    tpl = Template.objects.create(
        kind="service", key="cache-check", name="C", subject="One", html="<p>first</p>"
    )
    assert render_service(tpl, language="en", data={}, contact={}).html == "<p>first</p>"
    tpl.html, tpl.subject = "<p>second</p>", "Two"
    tpl.save()
    again = render_service(tpl, language="en", data={}, contact={})
    assert (again.subject, again.html) == ("Two", "<p>second</p>")
