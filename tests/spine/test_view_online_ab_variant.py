"""View online shows the message the person received: in an A/B test of two templates, each
recipient's view-online link (taken from the mail the real SMTP sink got) shows their own
variant's body, not the campaign's main template."""

from __future__ import annotations

import html as html_lib
import re
from email import message_from_bytes, policy

import pytest
from django.test import Client

from mailwright.delivery.models import Delivery
from tests.conftest import make_contact, run_worker

pytestmark = pytest.mark.django_db(transaction=True)


def body(label: str) -> str:
    return (
        f"<html><body><p>{label} body for {{{{ contact.email }}}}</p>"
        '<a href="{{ view_online_url }}">View online</a> <a href="{{ unsubscribe_url }}">'
        'Unsubscribe</a> <a href="{{ preferences_url }}">Prefs</a>'
        "<p>{{ organisation.address }}</p></body></html>"
    )


def view_online_path(raw: bytes) -> str:
    part = message_from_bytes(raw, policy=policy.default).get_body(("html",)).get_content()
    url = html_lib.unescape(re.search(r'href="([^"]*/v/[^"]+)"', part).group(1))
    return "/" + url.split("/", 3)[3]


def test_each_recipient_sees_their_own_variant_online(api, newsletter, smtp_sink):
    for i in range(4):
        make_contact(f"p{i}@example.com", newsletter)
    a = api.post("/templates", {"name": "A", "subject": "Spring", "html": body("Alpha")})
    b = api.post("/templates", {"name": "B", "subject": "Spring", "html": body("Bravo")})
    ab = {
        "variants": [{"template": a.json()["id"]}, {"template": b.json()["id"]}],
        "sample_percent": 50,
        "metric": "clicks",
        "wait_minutes": 60,
    }
    created = api.post(
        "/campaigns",
        {"name": "AB", "template": a.json()["id"], "topics": ["newsletter"], "ab_test": ab},
    )
    assert created.status_code == 201, created.content
    cid = created.json()["id"]
    assert api.post(f"/campaigns/{cid}/send").status_code == 200

    assert run_worker(smtp_sink.relay) == 2  # the sample: one per variant
    variants = dict(
        Delivery.objects.filter(campaign_id=cid).values_list("email", "variant").distinct()
    )
    assert sorted(v for v in variants.values() if v is not None) == [0, 1]
    seen = {}
    for message in smtp_sink.messages:
        email = message.rcpt_tos[0]
        page = Client().get(view_online_path(message.data))
        assert page.status_code == 200
        text = page.content.decode()
        seen[variants[email]] = text
        expected = "Alpha" if variants[email] == 0 else "Bravo"
        other = "Bravo" if expected == "Alpha" else "Alpha"
        assert f"{expected} body for {email}" in text
        assert other not in text
    assert set(seen) == {0, 1}
