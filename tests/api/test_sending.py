"""End to end through the API: send a campaign, run the real delivery engine against the real
capture relay, read the result back from the captured-outbox endpoints."""

from __future__ import annotations

import email
import email.policy
from email.header import decode_header, make_header

import pytest

from tests.api.util import assert_error, subscribe
from tests.conftest import run_worker

pytestmark = pytest.mark.django_db(transaction=True)

PEOPLE = [
    ("zazolc@example.com", "Zażółć Gęślą"),
    ("sukru@example.com", "Şükrü Yılmaz"),
    ("anh@example.com", "Ánh Nguyễn"),
    ("boris@example.com", "Борис Петров"),
    ("plain@example.com", "Plain Person"),
]


def _decoded(value: str) -> str:
    return str(make_header(decode_header(value)))


def test_send_campaign_and_read_captured_messages(api, newsletter, capture_relay):
    for address, name in PEOPLE:
        r = api.post("/contacts", {"email": address, "name": name, "subscriptions": [subscribe()]})
        assert r.status_code == 201, r.content
    # not confirmed: must not get the campaign
    api.post(
        "/contacts",
        {"email": "pending@example.com", "subscriptions": [subscribe(state="pending", basis="")]},
    )

    tid = api.post(
        "/templates",
        {
            "name": "Personal",
            "subject": "Witaj {{ contact.first_name }} — news from {{ organisation.name }}",
            "html": (
                "<p>Hi {{ contact.name }}</p><p><a href='{{ unsubscribe_url }}'>Unsubscribe</a></p>"
            ),
        },
    ).json()["id"]
    cid = api.post(
        "/campaigns", {"name": "Intl", "template": tid, "topics": ["newsletter"]}
    ).json()["id"]
    assert api.post(f"/campaigns/{cid}/send").json() == {"id": cid, "state": "sending"}

    sent = run_worker(capture_relay)
    assert sent == len(PEOPLE)

    campaign = api.get(f"/campaigns/{cid}").json()
    assert campaign["counts"]["sent"] == len(PEOPLE)
    assert campaign["counts"]["queued"] == 0
    assert campaign["state"] == "sent"

    from django.conf import settings

    org = settings.ORGANISATION_NAME
    for address, name in PEOPLE:
        listing = api.get("/outbox/captured", to=address)
        assert listing.status_code == 200
        assert listing["X-Total-Count"] == "1"
        [item] = listing.json()
        assert set(item) == {"id", "to", "subject", "received_at"}
        assert item["to"] == address
        expected_subject = f"Witaj {name.split()[0]} — news from {org}"
        assert item["subject"] == expected_subject

        detail = api.get(f"/outbox/captured/{item['id']}")
        assert detail.status_code == 200
        assert detail.json()["recipients"] == [address]

        raw = api.get(f"/outbox/captured/{item['id']}/raw")
        assert raw.status_code == 200
        assert raw["Content-Type"] == "message/rfc822"
        msg = email.message_from_bytes(raw.content)
        assert _decoded(msg["Subject"]) == expected_subject
        assert address in msg["To"]
        assert msg["List-Unsubscribe"]
        # the same bytes parse cleanly with the strict modern policy too
        modern = email.message_from_bytes(raw.content, policy=email.policy.default)
        assert str(modern["Subject"]) == expected_subject
        html = modern.get_body(("html",)).get_content()
        assert f"Hi {name}" in html

    assert api.get("/outbox/captured", to="pending@example.com").json() == []
    everything = api.get("/outbox/captured", limit=2)
    assert everything["X-Total-Count"] == str(len(PEOPLE))
    assert 'rel="next"' in everything["Link"]


def test_subject_with_header_injection_stays_one_header(api, newsletter, capture_relay):
    api.post(
        "/contacts",
        {
            "email": "victim@example.com",
            "name": "Eve\r\nBcc: spy@evil.example",
            "subscriptions": [subscribe()],
        },
    )
    tid = api.post(
        "/templates",
        {
            "name": "Inj",
            "subject": "Hello {{ contact.name }}\r\nBcc: spy2@evil.example",
            "html": "<p>x</p>",
        },
    ).json()["id"]
    cid = api.post("/campaigns", {"name": "Inj", "template": tid, "topics": ["newsletter"]}).json()[
        "id"
    ]
    api.post(f"/campaigns/{cid}/send")
    assert run_worker(capture_relay) == 1
    [item] = api.get("/outbox/captured", to="victim@example.com").json()
    msg = email.message_from_bytes(api.get(f"/outbox/captured/{item['id']}/raw").content)
    assert msg["Bcc"] is None
    assert msg.get_all("Subject") and len(msg.get_all("Subject")) == 1
    detail = api.get(f"/outbox/captured/{item['id']}").json()
    assert detail["recipients"] == ["victim@example.com"]


def test_clear_captured_and_unknown_ids(api, capture_relay):
    assert_error(api.get("/outbox/captured/999999"), 404, "not_found")
    assert_error(api.get("/outbox/captured/999999/raw"), 404, "not_found")
    r = api.delete("/outbox/captured")
    assert r.status_code == 204
    assert api.get("/outbox/captured").json() == []
