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
