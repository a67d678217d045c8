"""A campaign segmented on a tag reaches contacts with exactly that tag: `vip` is not
`not-vip`, `VIP` or `vipper`, and `_`/`%` are not wildcards. On SQLite and PostgreSQL
(tools/run_tests.py runs both)."""

from __future__ import annotations

import pytest

from mailwright.contacts.models import Contact
from tests.api.util import SIMPLE_HTML, subscribe

pytestmark = pytest.mark.django_db

TAGS = {
    "vip@example.com": ["vip"],
    "also-vip@example.com": ["newsletter-2024", "vip"],
    "not-vip@example.com": ["not-vip"],
    "upper@example.com": ["VIP"],
    "vipper@example.com": ["vipper"],
    "none@example.com": [],
    "underscore@example.com": ["v_p"],
    "percent@example.com": ["100%"],
    "quote@example.com": ['say "hi"'],
}


@pytest.fixture
def tagged(api, newsletter):
    for address, tags in TAGS.items():
        r = api.post("/contacts", {"email": address, "subscriptions": [subscribe()]})
        assert r.status_code == 201, r.content
        Contact.objects.filter(email=address).update(tags=tags)
    r = api.post("/templates", {"name": "T", "subject": "Hi", "html": SIMPLE_HTML})
    return r.json()["id"]


def audience(api, template: int, segment: dict) -> set[str]:
    r = api.post(
        "/campaigns",
        {"name": "Tagged", "template": template, "topics": ["newsletter"], "segment": segment},
    )
    assert r.status_code == 201, r.content
    cid = r.json()["id"]
    sent = api.post(f"/campaigns/{cid}/send")
    if sent.status_code == 422:  # nobody matches: an empty audience cannot be sent
        assert sent.json()["error"]["code"] == "empty_audience"
        return set()
    assert sent.status_code == 200
    found = set(Contact.objects.filter(deliveries__campaign_id=cid).values_list("email", flat=True))
    assert api.get(f"/campaigns/{cid}").json()["recipients_total"] == len(found)
    return found


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("vip", {"vip@example.com", "also-vip@example.com"}),
        ("not-vip", {"not-vip@example.com"}),
        ("VIP", {"upper@example.com"}),
        ("vi", set()),
        ("v_p", {"underscore@example.com"}),
        ("v%", set()),
        ("100%", {"percent@example.com"}),
        ('say "hi"', {"quote@example.com"}),
    ],
)
def test_tag_eq_matches_whole_tags_only(api, tagged, tag, expected):
    assert audience(api, tagged, {"field": "tag", "op": "eq", "value": tag}) == expected


def test_tag_neq_is_everyone_else(api, tagged):
    got = audience(api, tagged, {"field": "tag", "op": "neq", "value": "vip"})
    assert got == set(TAGS) - {"vip@example.com", "also-vip@example.com"}
