"""Helpers shared by the API tests."""

from __future__ import annotations

import json

ERROR_KEYS = {"code", "message", "field"}


def assert_error(response, status: int, code: str | None = None, field=...) -> dict:
    """Assert `response` is a 4xx with the one error shape; return the inner error object.

    `field=...` (the default) skips the field check; pass None to require a null field.
    """
    assert response.status_code == status, (response.status_code, response.content[:500])
    assert 400 <= response.status_code < 500
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    payload = json.loads(response.content)
    assert set(payload) == {"error"}, payload
    error = payload["error"]
    assert set(error) == ERROR_KEYS, error
    assert isinstance(error["code"], str) and error["code"]
    assert isinstance(error["message"], str) and error["message"]
    assert error["field"] is None or isinstance(error["field"], str)
    if code is not None:
        assert error["code"] == code, error
    if field is not ...:
        assert error["field"] == field, error
    return error


def subscribe(topic: str = "newsletter", state: str = "confirmed", basis: str = "web form"):
    return {"topic": topic, "state": state, "basis": basis}


SIMPLE_HTML = (
    "<h1>Hi {{ contact.first_name|default('there') }}</h1>"
    '<p><a href="{{ unsubscribe_url }}">Unsubscribe</a></p>'
)

MJML = (
    "<mjml><mj-body><mj-section><mj-column>"
    "<mj-text>Hello {{ contact.first_name }}</mj-text>"
    "</mj-column></mj-section></mj-body></mjml>"
)
