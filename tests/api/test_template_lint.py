"""POST /api/v1/templates/lint, and a send refused by the lint (422 lint_failed)."""

from __future__ import annotations

import json

import pytest

from tests.api.util import assert_error, subscribe
from tests.campaigns.lint_samples import (
    BODY,
    CLEAN_HTML,
    CLEAN_MJML,
    CLEAN_SUBJECT,
    CLEAN_TEXT,
    PREHEADER,
)

pytestmark = pytest.mark.django_db


def test_clean_newsletter_lints_clean(api):
    for source in ({"html": CLEAN_HTML}, {"mjml": CLEAN_MJML}):
        r = api.post("/templates/lint", {"subject": CLEAN_SUBJECT, "text": CLEAN_TEXT, **source})
        assert r.status_code == 200, r.content
        assert r.json() == {"errors": [], "warnings": []}


def test_findings_say_where_and_how_to_fix(api):
    r = api.post(
        "/templates/lint",
        {
            "subject": "Fwd: FREE MONEY INSIDE!!",
            "html": "<p>{% if false %}<a href='{{ unsubscribe_url }}'>x</a>{% endif %}"
            "<a href='http://bit.ly/x'>go</a></p>",
        },
    )
    assert r.status_code == 200
    out = r.json()
    errors = {e["code"]: e for e in out["errors"]}
    assert set(errors) == {
        "deceptive_subject",
        "missing_unsubscribe",
        "missing_preferences",
        "missing_postal_address",
    }
    assert errors["missing_unsubscribe"]["where"] == "html, text"
    warnings = {(w["code"], w["where"]) for w in out["warnings"]}
    assert ("url_shortener", "link http://bit.ly/x") in warnings
    assert ("spam_phrase", "subject") in warnings
    for finding in out["errors"] + out["warnings"]:
        assert set(finding) == {"code", "message", "where", "fix"}


def test_footer_and_from_email(api, settings):
    settings.BOUNCE_DOMAIN = ""
    html = f"<html><body>{PREHEADER}{BODY}</body></html>"
    body = {"subject": CLEAN_SUBJECT, "html": html, "text": "Hi", "footer": True}
    assert api.post("/templates/lint", body).json()["errors"] == []
    body["from_email"] = "news@unsigned.example"
    [warning] = api.post("/templates/lint", body).json()["warnings"]
    assert warning["code"] == "from_domain_unsigned"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"subject": "x", "html": "<p>x</p>", "mjml": "<mjml></mjml>"}, "mjml"),
        ({"subject": "x"}, "html"),
        ({"subject": "x", "html": ""}, "html"),
        ({"subject": 5, "html": "<p>x</p>"}, "subject"),
        ({"subject": "x", "html": ["<p>"]}, "html"),
        ({"subject": "x", "html": "<p>x</p>", "footer": "yes"}, "footer"),
        ({"subject": "x", "html": "<p>x</p>", "from_email": "nobody"}, "from_email"),
        ({"subject": "x", "html": "x" * 500_001}, "html"),
        ({"subject": "x" * 999, "html": "<p>x</p>"}, "subject"),
        ({"subject": "x", "html": "<p>x</p>", "unknown": 1}, "unknown"),
    ],
)
def test_bad_input_is_a_422_naming_the_field(api, body, field):
    assert_error(api.post("/templates/lint", body), 422, field=field)


def test_hostile_input_never_500(api, settings):
    # binary, not JSON
    r = api.post("/templates/lint", raw=b"\x89PNG\r\n\x1a\n\x00\xff\xfe")
    assert 400 <= r.status_code < 500
    # bigger than any request body may be
    huge = json.dumps({"subject": "x", "html": "a" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)})
    assert_error(api.post("/templates/lint", raw=huge), 413, "too_large")
    # SSTI and a gigantic loop: findings, not a crash
    for html in (
        "{{ ''.__class__.__mro__ }}",
        "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
        "{% for i in range(10**9) %}{% for j in range(10**9) %}x{% endfor %}{% endfor %}",
    ):
        r = api.post("/templates/lint", {"subject": "Hello", "html": html})
        assert r.status_code == 200, r.content
        [error] = r.json()["errors"]
        assert error["code"] == "render_error", error
    r = api.post("/templates/lint", {"subject": "Hi", "html": "<p>{% for %}</p>"})
    assert r.json()["errors"][0]["where"] == "html line 1 column 4"


@pytest.mark.django_db(transaction=True)
def test_send_refused_with_the_lint_errors(api, newsletter):
    api.post("/contacts", {"email": "a@example.com", "subscriptions": [subscribe()]})
    tid = api.post(
        "/templates",
        {"name": "Reply-looking", "subject": "Re: our meeting", "html": CLEAN_HTML},
    ).json()["id"]
    cid = api.post("/campaigns", {"name": "Bad", "template": tid, "topics": ["newsletter"]}).json()[
        "id"
    ]
    r = api.post(f"/campaigns/{cid}/send")
    assert r.status_code == 422, r.content
    out = r.json()
    assert out["error"]["code"] == "lint_failed"
    assert "deceptive_subject" in out["error"]["message"]
    assert [e["code"] for e in out["errors"]] == ["deceptive_subject"]
    assert out["errors"][0]["fix"].startswith("Remove “Re:”")
    assert api.get(f"/campaigns/{cid}").json()["state"] == "draft"
    # corrected, it sends
    api.put(
        f"/templates/{tid}",
        {"name": "Fixed", "subject": "Notes from our meeting", "html": CLEAN_HTML},
    )
    assert api.post(f"/campaigns/{cid}/send").json()["state"] == "sending"
