"""SPEC §11 for the API: every kind of bad input gets a 4xx with the one error shape, never a
500, and says which field is wrong."""

from __future__ import annotations

import json

import pytest

from tests.api.util import MJML, SIMPLE_HTML, assert_error, subscribe

pytestmark = pytest.mark.django_db

HEADER_INJECTION = "a@b.com\r\nBcc: x@y.com"


@pytest.fixture
def template_id(api):
    return api.post("/templates", {"name": "T", "subject": "Hi", "html": SIMPLE_HTML}).json()["id"]


@pytest.fixture
def contact_id(api, newsletter):
    return api.post("/contacts", {"email": "known@example.com"}).json()["id"]


@pytest.fixture
def campaign_id(api, newsletter, template_id):
    return api.post(
        "/campaigns", {"name": "C", "template": template_id, "topics": ["newsletter"]}
    ).json()["id"]


# --- bodies that are not JSON objects ----------------------------------------------------------

BODY_ENDPOINTS = [
    ("post", "/topics"),
    ("post", "/contacts"),
    ("post", "/contacts/batch"),
    ("post", "/templates"),
    ("post", "/campaigns"),
]


@pytest.mark.parametrize(("method", "path"), BODY_ENDPOINTS)
@pytest.mark.parametrize(
    "raw",
    ['{"email": ', "not json", "{'single': 'quotes'}", '{"a": NaN}', '{"a": 1e999}', "[" * 5000],
    ids=["truncated", "text", "single-quotes", "nan", "infinity", "deep"],
)
def test_malformed_json(api, method, path, raw):
    error = assert_error(api.post(path, raw=raw), 400, "bad_request", None)
    assert "JSON" in error["message"] or "nested" in error["message"]


@pytest.mark.parametrize(("method", "path"), BODY_ENDPOINTS)
def test_empty_body(api, method, path):
    error = assert_error(api.post(path, raw=""), 422, "invalid", None)
    assert "body" in error["message"]


@pytest.mark.parametrize(("method", "path"), BODY_ENDPOINTS)
@pytest.mark.parametrize("raw", ["[]", "null", "42", '"text"', "true"])
def test_body_not_an_object(api, method, path, raw):
    error = assert_error(api.post(path, raw=raw), 422, "invalid", None)
    assert "JSON object" in error["message"]


def test_body_not_utf8(api):
    assert_error(api.post("/contacts", raw=b'{"email": "\xff@b.com"}'), 400, "bad_request")


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"email": "nul\u0000@example.com"}, "email"),
        ({"email": "a@example.com", "name": "Nul\u0000"}, "name"),
        ({"email": "a@example.com", "attributes": {"k": ["ok", "bad\u0000"]}}, "attributes.k[1]"),
    ],
)
def test_text_no_database_can_store(api, payload, field):
    assert_error(api.post("/contacts", payload), 422, "invalid", field)


def test_lone_surrogate(api):
    raw = '{"email": "a@example.com", "name": "\\ud800"}'
    assert_error(api.post("/contacts", raw=raw), 422, "invalid", "name")


def test_oversized_body(api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    error = assert_error(
        api.post("/contacts", {"email": "a@example.com", "name": "x" * 20_000}), 413, "too_large"
    )
    assert "10000" in error["message"]


# --- topics ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": "No key"}, "key"),
        ({"key": "k"}, "name"),
        ({"key": "Not A Slug", "name": "x"}, "key"),
        ({"key": "k" * 65, "name": "x"}, "key"),
        ({"key": "k", "name": ""}, "name"),
        ({"key": "k", "name": "x" * 201}, "name"),
        ({"key": 5, "name": "x"}, "key"),
        ({"key": "k", "name": "x", "colour": "red"}, "colour"),
    ],
)
def test_topic_bad_input(api, payload, field):
    assert_error(api.post("/topics", payload), 422, "invalid", field)


def test_topic_duplicate_key(api, newsletter):
    assert_error(
        api.post("/topics", {"key": "newsletter", "name": "Again"}), 409, "conflict", "key"
    )
    # the failed insert did not break the request's transaction
    assert api.get("/topics").status_code == 200


def test_topic_unknown_id(api):
    assert_error(api.get("/topics/999999"), 404, "not_found")
    assert_error(api.get("/topics/abc"), 422, "invalid", "topic_id")


# --- contacts --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "status", "code", "field"),
    [
        ({}, 422, "invalid", "email"),
        ({"name": "No email"}, 422, "invalid", "email"),
        ({"email": 42}, 422, "invalid", "email"),
        ({"email": ""}, 422, "invalid", "email"),
        ({"email": "no-at-sign"}, 422, "invalid", "email"),
        ({"email": "two@@example.com"}, 422, "invalid", "email"),
        ({"email": "a@b"}, 422, "invalid", "email"),
        ({"email": HEADER_INJECTION}, 422, "invalid", "email"),
        ({"email": "a@b.com\nBcc: x@y.com"}, 422, "invalid", "email"),
        ({"email": "a@b.com, c@d.com"}, 422, "invalid", "email"),
        ({"email": "Name <a@b.com>"}, 422, "invalid", "email"),
        ({"email": "x" * 400 + "@example.com"}, 422, "invalid", "email"),
        ({"email": "a@example.com", "name": "x" * 201}, 422, "invalid", "name"),
        ({"email": "a@example.com", "name": 5}, 422, "invalid", "name"),
        ({"email": "a@example.com", "language": "klingon"}, 422, "invalid", "language"),
        ({"email": "a@example.com", "attributes": "x"}, 422, "invalid", "attributes"),
        ({"email": "a@example.com", "attributes": [1, 2]}, 422, "invalid", "attributes"),
        (
            {"email": "a@example.com", "attributes": {"big": "x" * 20_000}},
            422,
            "invalid",
            "attributes",
        ),
        ({"email": "a@example.com", "tags": "x"}, 422, "invalid", "tags"),
        ({"email": "a@example.com", "subscriptions": "x"}, 422, "invalid", "subscriptions"),
        ({"email": "a@example.com", "subscriptions": [None]}, 422, "invalid", "subscriptions[0]"),
        (
            {"email": "a@example.com", "subscriptions": [{"state": "pending"}]},
            422,
            "invalid",
            "subscriptions[0].topic",
        ),
        (
            {"email": "a@example.com", "subscriptions": [subscribe(state="unsubscribed")]},
            422,
            "invalid",
            "subscriptions[0].state",
        ),
        (
            {"email": "a@example.com", "subscriptions": [subscribe(topic="nope")]},
            422,
            "unknown_topic",
            "subscriptions[0].topic",
        ),
        (
            {"email": "a@example.com", "subscriptions": [subscribe(basis="")]},
            422,
            "invalid",
            "subscriptions[0].basis",
        ),
        (
            {"email": "a@example.com", "subscriptions": [subscribe(basis="   ")]},
            422,
            "invalid",
            "subscriptions[0].basis",
        ),
        (
            {
                "email": "a@example.com",
                "subscriptions": [{"topic": "newsletter", "state": "confirmed"}],
            },
            422,
            "invalid",
            "subscriptions[0].basis",
        ),
        (
            {"email": "a@example.com", "subscriptions": [subscribe() | {"when": "now"}]},
            422,
            "invalid",
            "subscriptions[0].when",
        ),
        (
            {"email": "a@example.com", "subscriptions": [subscribe(basis="x" * 301)]},
            422,
            "invalid",
            "subscriptions[0].basis",
        ),
        (
            {"email": "a@example.com", "subscriptions": [subscribe()] * 101},
            422,
            "invalid",
            "subscriptions",
        ),
    ],
)
def test_contact_bad_input(api, newsletter, payload, status, code, field):
    from mailwright.contacts.models import Contact

    assert_error(api.post("/contacts", payload), status, code, field)
    assert Contact.objects.count() == 0  # nothing half-created


def test_confirmed_without_basis_message_says_what_is_missing(api, newsletter):
    error = assert_error(
        api.post("/contacts", {"email": "a@example.com", "subscriptions": [subscribe(basis="")]}),
        422,
    )
    assert "basis" in error["message"]


def test_contact_unknown_id(api):
    assert_error(api.get("/contacts/999999"), 404, "not_found")
    assert_error(api.get("/contacts/99999999999999999999999"), 404, "not_found")
    assert_error(api.patch("/contacts/999999", {"name": "x"}), 404, "not_found")
    assert_error(api.get("/contacts/abc"), 422, "invalid", "contact_id")


@pytest.mark.parametrize(
    ("payload", "code", "field"),
    [
        ({"email": "new@example.com"}, "invalid", "email"),  # the address is not patchable
        ({"name": ["x"]}, "invalid", "name"),
        ({"language": "xx"}, "invalid", "language"),
        ({"subscriptions": [subscribe(topic="nope")]}, "unknown_topic", "subscriptions[0].topic"),
        ({"subscriptions": [subscribe(basis="")]}, "invalid", "subscriptions[0].basis"),
        ({"id": 5}, "invalid", "id"),
    ],
)
def test_patch_contact_bad_input(api, contact_id, payload, code, field):
    assert_error(api.patch(f"/contacts/{contact_id}", payload), 422, code, field)
    assert api.get(f"/contacts/{contact_id}").json()["email"] == "known@example.com"


@pytest.mark.parametrize(
    ("params", "field"),
    [({"email": "not-an-address"}, "email"), ({"q": "a\u0000b"}, "q")],
)
def test_contact_list_bad_filters(api, params, field):
    assert_error(api.get("/contacts", **params), 422, "invalid", field)


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "contacts"),
        ({"contacts": "x"}, "contacts"),
        ({"contacts": []}, "contacts"),
        ({"contacts": [{"email": "a@example.com"}], "mode": "replace"}, "mode"),
    ],
)
def test_batch_bad_envelope(api, payload, field):
    assert_error(api.post("/contacts/batch", payload), 422, "invalid", field)


def test_batch_rows_report_field_and_reason(api, newsletter):
    r = api.post(
        "/contacts/batch",
        {
            "contacts": [
                {"email": HEADER_INJECTION},
                {"email": "ok@example.com", "subscriptions": [subscribe(basis="")]},
                {"email": "ok2@example.com", "subscriptions": [{"topic": "newsletter"}]},
                {"name": "no email"},
                None,
            ]
        },
    )
    assert r.status_code == 200
    body = r.json()
    assert (body["created"], body["updated"]) == (0, 0)
    assert [(e["index"], e["field"]) for e in body["errors"]] == [
        (0, "email"),
        (1, "subscriptions[0].basis"),
        (2, "subscriptions[0].state"),
        (3, "email"),
        (4, None),
    ]
    assert all(e["code"] == "invalid" and e["message"] for e in body["errors"])
    assert "None" not in body["errors"][4]["message"]


# --- templates -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "code", "field"),
    [
        ({"subject": "s", "html": "x"}, "invalid", "name"),
        ({"name": "n", "html": "x"}, "invalid", "subject"),
        ({"name": "n", "subject": "s"}, "template_error", "html"),  # neither html nor mjml
        ({"name": "n", "subject": "s", "html": "x", "mjml": MJML}, "template_error", "html"),
        ({"name": "   ", "subject": "s", "html": "x"}, "template_error", "name"),
        ({"name": "n", "subject": "   ", "html": "x"}, "template_error", "subject"),
        ({"name": "n", "subject": "s", "html": 5}, "invalid", "html"),
        ({"name": "n", "subject": "s", "html": "x", "body": "x"}, "invalid", "body"),
        ({"name": "x" * 201, "subject": "s", "html": "x"}, "invalid", "name"),
        ({"name": "n", "subject": "s" * 999, "html": "x"}, "invalid", "subject"),
        ({"name": "n", "subject": "s", "html": "x" * 500_001}, "template_error", "html"),
        ({"name": "n", "subject": "s", "mjml": "<mjml><mj-bod"}, "template_error", "mjml"),
        (
            {
                "name": "n",
                "subject": "s",
                "mjml": "<mjml><mj-body><mj-include path='/etc/passwd'/></mj-body></mjml>",
            },
            "template_error",
            "mjml",
        ),
    ],
)
def test_template_bad_input(api, payload, code, field):
    assert_error(api.post("/templates", payload), 422, code, field)


@pytest.mark.parametrize(
    ("part", "source", "line"),
    [
        ("html", "<p>one</p>\n<p>two</p>\n<p>{{ contact.name </p>", 3),
        ("html", "<p>\n{% if contact.name %}no end</p>", 2),
        ("subject", "Hi {{", 1),
        ("text", "line one\n{% for %}", 2),
    ],
)
def test_template_syntax_error_names_part_and_line(api, part, source, line):
    payload = {"name": "n", "subject": "s", "html": "<p>x</p>"}
    payload[part] = source
    error = assert_error(api.post("/templates", payload), 422, "template_error", part)
    assert error["message"].startswith(f"{part}, line {line}:"), error["message"]


@pytest.mark.parametrize(
    "source",
    [
        "{{ ''.__class__.__mro__ }}",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ contact.email.__len__() }}",
        "{{ contact.items.__self__.clear() }}",
        "{{ range(10**9)|list }}",
        "{% for i in range(10**9) %}{% endfor %}",
    ],
)
def test_template_sandbox_violation_is_422(api, source):
    error = assert_error(
        api.post("/templates", {"name": "evil", "subject": "s", "html": f"<p>{source}</p>"}),
        422,
        "template_error",
        "html",
    )
    assert "html" in error["message"]


def test_template_put_bad_input(api, template_id):
    assert_error(
        api.put("/templates/999999", {"name": "n", "subject": "s", "html": "x"}), 404, "not_found"
    )
    assert_error(
        api.put(f"/templates/{template_id}", {"name": "n", "subject": "s", "html": "{% if %}"}),
        422,
        "template_error",
        "html",
    )
    assert_error(api.put(f"/templates/{template_id}", {"name": "n"}), 422, "invalid", "subject")
    # the stored template is unchanged by the failed updates
    assert api.get(f"/templates/{template_id}").json()["html"] == SIMPLE_HTML


def test_template_unknown_id(api):
    assert_error(api.get("/templates/999999"), 404, "not_found")


# --- campaigns -------------------------------------------------------------------------------


def _deep_segment(levels: int) -> dict:
    node = {"field": "email", "op": "contains", "value": "@"}
    for _ in range(levels):
        node = {"not": node}
    return node


@pytest.mark.parametrize(
    ("payload", "code", "field"),
    [
        ({"template": "T", "topics": ["newsletter"]}, "invalid", "name"),
        ({"name": "C", "topics": ["newsletter"]}, "invalid", "template"),
        ({"name": "C", "template": "T"}, "invalid", "topics"),
        ({"name": "C", "template": "abc", "topics": ["newsletter"]}, "invalid", "template"),
        ({"name": "C", "template": "T", "topics": "x"}, "invalid", "topics"),
        ({"name": "C", "template": "T", "topics": []}, "invalid", "topics"),
        ({"name": "C", "template": "T", "topics": [5]}, "invalid", "topics[0]"),
        ({"name": "C", "template": "T", "topics": ["nope"]}, "unknown_topic", "topics"),
        ({"name": "C", "template": 999999, "topics": ["newsletter"]}, "not_found", "template"),
        ({"name": "  ", "template": "T", "topics": ["newsletter"]}, "invalid", "name"),
        (
            {"name": "C", "template": "T", "topics": ["newsletter"], "state": "sent"},
            "invalid",
            "state",
        ),
        (
            {
                "name": "C",
                "template": "T",
                "topics": ["newsletter"],
                "from_email": HEADER_INJECTION,
            },
            "invalid",
            "from_email",
        ),
        (
            {"name": "C", "template": "T", "topics": ["newsletter"], "reply_to": "nope"},
            "invalid",
            "reply_to",
        ),
        (
            {
                "name": "C",
                "template": "T",
                "topics": ["newsletter"],
                "from_name": "A\r\nBcc: x@y.com",
            },
            "invalid",
            "from_name",
        ),
        (
            {"name": "C", "template": "T", "topics": ["newsletter"], "segment": []},
            "invalid",
            "segment",
        ),
        (
            {"name": "C", "template": "T", "topics": ["newsletter"], "segment": "email=x"},
            "invalid",
            "segment",
        ),
        (
            {"name": "C", "template": "T", "topics": ["newsletter"], "segment": {}},
            "invalid_segment",
            "segment",
        ),
        (
            {"name": "C", "template": "T", "topics": ["newsletter"], "segment": {"and": []}},
            "invalid_segment",
            "segment",
        ),
        (
            {"name": "C", "template": "T", "topics": ["newsletter"], "segment": {"or": "x"}},
            "invalid_segment",
            "segment",
        ),
        (
            {
                "name": "C",
                "template": "T",
                "topics": ["newsletter"],
                "segment": {"field": "password", "op": "eq", "value": "x"},
            },
            "invalid_segment",
            "segment",
        ),
        (
            {
                "name": "C",
                "template": "T",
                "topics": ["newsletter"],
                "segment": {"field": "email", "op": "regex", "value": "x"},
            },
            "invalid_segment",
            "segment",
        ),
        (
            {
                "name": "C",
                "template": "T",
                "topics": ["newsletter"],
                "segment": {"field": "email", "op": "eq", "value": {"x": 1}},
            },
            "invalid_segment",
            "segment",
        ),
        (
            {
                "name": "C",
                "template": "T",
                "topics": ["newsletter"],
                "segment": {"field": "attributes.a b", "op": "eq", "value": "x"},
            },
            "invalid_segment",
            "segment",
        ),
        (
            {
                "name": "C",
                "template": "T",
                "topics": ["newsletter"],
                "segment": {"field": "email", "op": "in", "value": []},
            },
            "invalid_segment",
            "segment",
        ),
        (
            {"name": "C", "template": "T", "topics": ["newsletter"], "segment": _deep_segment(20)},
            "invalid_segment",
            "segment",
        ),
        (
            {
                "name": "C",
                "template": "T",
                "topics": ["newsletter"],
                "segment": {
                    "or": [{"field": "email", "op": "eq", "value": str(i)} for i in range(300)]
                },
            },
            "invalid_segment",
            "segment",
        ),
    ],
)
def test_campaign_bad_input(api, newsletter, template_id, payload, code, field):
    from mailwright.campaigns.models import Campaign

    if payload.get("template") == "T":
        payload = payload | {"template": template_id}
    assert_error(api.post("/campaigns", payload), 422, code, field)
    assert Campaign.objects.count() == 0


def test_deep_segment_message_names_the_node(api, newsletter, template_id):
    payload = {
        "name": "C",
        "template": template_id,
        "topics": ["newsletter"],
        "segment": _deep_segment(20),
    }
    error = assert_error(api.post("/campaigns", payload), 422, "invalid_segment", "segment")
    assert "deeper than" in error["message"]


def test_send_twice_is_409(api, campaign_id):
    # an empty audience is refused (422, tests/api/test_exclusion_groups.py): one recipient
    api.post("/contacts", {"email": "one@example.com", "subscriptions": [subscribe()]})
    assert api.post(f"/campaigns/{campaign_id}/send").status_code == 200
    error = assert_error(api.post(f"/campaigns/{campaign_id}/send"), 409, "invalid_state", None)
    assert "only a draft" in error["message"]


@pytest.mark.parametrize("action", ["pause", "resume"])
def test_state_changes_on_a_draft_are_409(api, campaign_id, action):
    assert_error(api.post(f"/campaigns/{campaign_id}/{action}"), 409, "invalid_state")
    assert api.get(f"/campaigns/{campaign_id}").json()["state"] == "draft"


def test_cancelled_campaign_cannot_be_sent(api, campaign_id):
    api.post(f"/campaigns/{campaign_id}/cancel")
    assert_error(api.post(f"/campaigns/{campaign_id}/send"), 409, "invalid_state")
    assert_error(api.post(f"/campaigns/{campaign_id}/cancel"), 409, "invalid_state")


@pytest.mark.parametrize("action", ["send", "pause", "resume", "cancel"])
def test_campaign_unknown_id(api, action):
    assert_error(api.post(f"/campaigns/999999/{action}"), 404, "not_found")


def test_campaign_get_unknown_and_bad_filters(api):
    assert_error(api.get("/campaigns/999999"), 404, "not_found")
    assert_error(api.get("/campaigns/x"), 422, "invalid", "campaign_id")
    assert_error(api.get("/campaigns", state="bogus"), 422, "invalid", "state")


# --- outbox ----------------------------------------------------------------------------------


def test_outbox_bad_input(api):
    assert_error(api.get("/outbox/captured/999999"), 404, "not_found")
    assert_error(api.get("/outbox/captured/999999/raw"), 404, "not_found")
    assert_error(api.get("/outbox/captured/x/raw"), 422, "invalid", "message_id")
    assert_error(api.get("/outbox/captured", to="x\u0000y"), 422, "invalid", "to")
    assert api.get("/outbox/captured", to=HEADER_INJECTION).json() == []


# --- routing ---------------------------------------------------------------------------------


def test_unknown_endpoint_and_method(api, client):
    assert_error(api.get("/nope"), 404, "not_found")
    assert_error(api.get("/contacts/1/nope"), 404, "not_found")
    error = assert_error(api.put("/contacts/1", {"name": "x"}), 405, "method_not_allowed")
    assert "PUT" in error["message"]
    assert_error(api.delete("/campaigns"), 405, "method_not_allowed")


# --- authentication --------------------------------------------------------------------------

PROTECTED = [
    ("get", "/topics"),
    ("post", "/topics"),
    ("get", "/contacts"),
    ("post", "/contacts"),
    ("get", "/contacts/1"),
    ("patch", "/contacts/1"),
    ("post", "/contacts/batch"),
    ("post", "/templates"),
    ("put", "/templates/1"),
    ("post", "/campaigns"),
    ("get", "/campaigns/1"),
    ("post", "/campaigns/1/send"),
    ("get", "/outbox/captured"),
    ("get", "/outbox/captured/1/raw"),
    ("delete", "/outbox/captured"),
]


def _call(client, method, path, headers):
    body = json.dumps({"email": "a@example.com"})
    kwargs = {"headers": headers}
    if method in ("post", "patch", "put"):
        kwargs |= {"data": body, "content_type": "application/json"}
    return getattr(client, method)(f"/api/v1{path}", **kwargs)


@pytest.mark.parametrize(("method", "path"), PROTECTED)
@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": ""},
        {"Authorization": "Bearer"},
        {"Authorization": "Bearer "},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Token mw_abc"},
        {"Authorization": "Bearer garbage"},
        {"Authorization": "Bearer mw_" + "x" * 43},
        {"Authorization": "Bearer mw_" + "x" * 5000},
        {"X-Api-Key": "mw_abc"},
    ],
    ids=[
        "none",
        "empty",
        "scheme-only",
        "scheme-space",
        "basic",
        "token",
        "garbage",
        "mw-garbage",
        "huge",
        "other-header",
    ],
)
def test_unauthenticated(client, db, method, path, headers):
    assert_error(_call(client, method, path, headers), 401, "unauthorized", None)


def test_revoked_key_is_401(client, api_key):
    from mailwright.api import keys
    from mailwright.api.models import ApiKey

    headers = {"Authorization": f"Bearer {api_key}"}
    assert client.get("/api/v1/topics", headers=headers).status_code == 200
    record = ApiKey.objects.get(digest=keys.digest(api_key))
    assert keys.revoke(record.id) is True
    assert keys.revoke(record.id) is False  # already revoked
    assert_error(client.get("/api/v1/topics", headers=headers), 401, "unauthorized")
    assert_error(_call(client, "post", "/contacts", headers), 401, "unauthorized")


def test_auth_is_checked_before_the_body(client, db):
    r = client.post("/api/v1/contacts", "{not json", content_type="application/json")
    assert_error(r, 401, "unauthorized")


def test_key_with_wrong_case_or_whitespace_is_rejected(client, api_key):
    assert_error(
        client.get("/api/v1/topics", headers={"Authorization": f"Bearer {api_key.upper()}"}), 401
    )
    assert_error(client.get("/api/v1/topics", headers={"Authorization": f"Bearer {api_key}x"}), 401)
