"""Bad input to POST /api/v1/messages and /messages/batch: a clear 4xx naming the field,
never a 500, and nothing queued."""

from __future__ import annotations

import base64
import json

import pytest
from django.test import Client

from tests.api.test_messages import DATA, reset_template  # noqa: F401  (fixture)
from tests.api.util import assert_error

pytestmark = pytest.mark.django_db

GOOD = {"template": "password-reset", "to": "a@example.com", "data": DATA}


def post(api, body, path="/messages", key=None, raw=None):
    headers = dict(api.headers)
    if key is not None:
        headers["Idempotency-Key"] = key
    return Client().post(
        f"/api/v1{path}",
        raw if raw is not None else json.dumps(body),
        content_type="application/json",
        headers=headers,
    )


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def attachment(name="a.pdf", content_type="application/pdf", content=None):
    return {"filename": name, "content_type": content_type, "content": content or b64(b"x")}


CASES = [
    ({**GOOD, "template": "no-such"}, 404, "unknown_template", "template"),
    ({**GOOD, "template": ""}, 422, "invalid", "template"),
    ({**GOOD, "data": {"reset_url": DATA["reset_url"]}}, 422, "invalid_data", "data.order_number"),
    (
        {**GOOD, "data": {**DATA, "reset_url": "javascript:alert(1)"}},
        422,
        "invalid_data",
        "data.reset_url",
    ),
    ({**GOOD, "data": [1, 2]}, 422, "invalid_data", "data"),
    ({**GOOD, "to": "not an address"}, 422, "invalid_address", "to"),
    ({**GOOD, "to": "a@example.com\r\nBcc: x@evil.example"}, 422, "invalid_address", "to"),
    ({**GOOD, "to": {"contact": 999999}}, 404, "unknown_contact", "to.contact"),
    ({**GOOD, "to": {"contact": "1"}}, 422, "invalid", "to"),
    ({**GOOD, "to": 5}, 422, "invalid", "to"),
    ({**GOOD, "stream": "marketing"}, 422, "invalid_stream", "stream"),
    ({**GOOD, "language": 7}, 422, "invalid", "language"),
    ({**GOOD, "data": {**DATA, "blob": "x" * 70_000}}, 413, "too_large", "data"),
    ({**GOOD, "extra": 1}, 422, "invalid", "extra"),
    ({"to": "a@example.com"}, 422, "invalid", "template"),
    ({**GOOD, "attachments": [attachment()] * 11}, 422, "too_many_attachments", "attachments"),
    (
        {**GOOD, "attachments": [attachment("setup.exe")]},
        422,
        "forbidden_attachment",
        "attachments[0].filename",
    ),
    (
        {**GOOD, "attachments": [attachment("invoice.pdf.exe")]},
        422,
        "forbidden_attachment",
        "attachments[0].filename",
    ),
    (
        {**GOOD, "attachments": [attachment("x.PS1")]},
        422,
        "forbidden_attachment",
        "attachments[0].filename",
    ),
    (
        {**GOOD, "attachments": [attachment("run.bin", "application/x-msdownload")]},
        422,
        "forbidden_attachment",
        "attachments[0].content_type",
    ),
    (
        {**GOOD, "attachments": [attachment("a.txt", "text/javascript")]},
        422,
        "forbidden_attachment",
        "attachments[0].content_type",
    ),
    (
        {**GOOD, "attachments": [attachment(content="not base64!!")]},
        422,
        "invalid_attachment",
        "attachments[0].content",
    ),
    (
        {**GOOD, "attachments": [attachment(content_type="pdf")]},
        422,
        "invalid_attachment",
        "attachments[0].content_type",
    ),
    (
        {**GOOD, "attachments": [attachment(name="../")]},
        422,
        "invalid_attachment",
        "attachments[0].filename",
    ),
    ({**GOOD, "attachments": [{"filename": "a.pdf"}]}, 422, "invalid_attachment", "attachments[0]"),
    ({**GOOD, "attachments": {"filename": "a.pdf"}}, 422, "invalid_attachment", "attachments"),
]


@pytest.mark.parametrize(("body", "status", "code", "field"), CASES)
def test_bad_message_is_refused_with_the_field(api, reset_template, body, status, code, field):  # noqa: F811
    from mailwright.delivery.models import Delivery
    from mailwright.transactional.models import Message

    error = assert_error(post(api, body), status, code, field)
    assert len(error["message"]) > 10
    assert not Delivery.objects.exists() and not Message.objects.exists()


def test_attachments_over_ten_megabytes_are_refused(api, reset_template, settings):  # noqa: F811
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024
    big = b64(b"\0" * (6 * 1024 * 1024))
    body = {**GOOD, "attachments": [attachment(content=big), attachment("b.pdf", content=big)]}
    error = assert_error(post(api, body), 413, "too_large", "attachments[1]")
    assert "10 MB" in error["message"]


def test_malformed_json_and_wrong_wait(api, reset_template):  # noqa: F811
    assert_error(post(api, None, raw='{"template": "password-reset",'), 400, "bad_request")
    for wait in ("31", "-1"):
        assert_error(post(api, GOOD, path=f"/messages?wait={wait}"), 422, "invalid", "wait")
    assert_error(post(api, GOOD, path="/messages?wait=soon"), 422, "invalid", "wait")


@pytest.mark.parametrize("key", ["k" * 256, "bad\x01key", "with space", "ключ"])
def test_bad_idempotency_key(api, reset_template, key):  # noqa: F811
    error = assert_error(post(api, GOOD, key=key), 400, "invalid_idempotency_key")
    assert error["field"] == "Idempotency-Key"


def test_batch_over_500_is_refused(api, reset_template):  # noqa: F811
    error = assert_error(
        post(api, {"messages": [GOOD] * 501}, "/messages/batch"), 413, "too_many", "messages"
    )
    assert "500" in error["message"]
    assert_error(post(api, {"messages": []}, "/messages/batch"), 422, "invalid", "messages")


def test_batch_accepts_the_good_and_names_the_bad(api, reset_template):  # noqa: F811
    from mailwright.consent.suppression import do_suppress
    from mailwright.delivery.models import Delivery

    do_suppress("blocked@example.com", "complaint", "")
    items = [
        {**GOOD, "idempotency_key": "b-0"},
        {**GOOD, "template": "nope"},
        "not an object",
        {**GOOD, "to": "blocked@example.com"},
        {**GOOD, "to": "b@example.com", "idempotency_key": "b-4"},
        {**GOOD, "data": {}},
    ]
    r = post(api, {"messages": items}, "/messages/batch")
    assert r.status_code == 200, r.content
    out = r.json()
    assert [a["index"] for a in out["accepted"]] == [0, 4]
    assert {a["state"] for a in out["accepted"]} == {"queued"}
    assert [(e["index"], e["code"], e["field"]) for e in out["errors"]] == [
        (1, "unknown_template", "messages[1].template"),
        (2, "invalid", "messages[2]"),
        (3, "suppressed", "messages[3].to"),
        (5, "invalid_data", "messages[5].data.reset_url"),
    ]
    assert Delivery.objects.count() == 2
    # The same batch again: the keyed items are replays, the unkeyed one a new message.
    again = post(api, {"messages": items}, "/messages/batch").json()
    assert [(a["index"], a["replayed"]) for a in again["accepted"]] == [(0, True), (4, True)]
    assert Delivery.objects.count() == 2
