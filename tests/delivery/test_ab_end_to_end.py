"""A/B test end to end: the sample goes out through a real SMTP sink split between two
subject variants, real open requests come back (a scanner opening every message of variant 0,
people opening some of variant 1), the scheduler picks variant 1 and sends it to the rest,
and the report shows both variants with the winner."""

from __future__ import annotations

import re
from datetime import timedelta
from email import message_from_bytes, policy

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from mailwright.campaigns.models import Campaign
from mailwright.delivery.models import Delivery
from mailwright.feedback.tracking_writer import writer
from mailwright.web import scheduler
from tests.conftest import make_contact, run_worker
from tests.feedback.test_read_models import HUMAN, SCANNER, path

pytestmark = pytest.mark.django_db(transaction=True)

HTML = (
    "<html><body><p>Hi {{ contact.first_name|default('there') }}</p>"
    '<a href="https://shop.example.com/a">A</a> <a href="{{ unsubscribe_url }}">Unsubscribe</a>'
    ' <a href="{{ preferences_url }}">Prefs</a><p>{{ organisation.address }}</p></body></html>'
)


def _pixel(raw: bytes) -> str:
    html = message_from_bytes(raw, policy=policy.default).get_body(("html",)).get_content()
    return path(re.search(r'<img src="(http://[^"]+/t/o/[^"]+\.gif)"', html).group(1))


def _subject(raw: bytes) -> str:
    return str(message_from_bytes(raw, policy=policy.default)["Subject"])


def test_the_variant_people_open_wins_and_gets_the_rest(api, newsletter, smtp_sink):
    for i in range(20):
        make_contact(f"p{i}@example.com", newsletter)
    tid = api.post("/templates", {"name": "T", "subject": "Base", "html": HTML}).json()["id"]
    ab = {
        "variants": [{"subject": "Spring sale"}, {"subject": "Your spring picks"}],
        "sample_percent": 50,
        "metric": "opens",
        "wait_minutes": 30,
    }
    r = api.post(
        "/campaigns", {"name": "AB", "template": tid, "topics": ["newsletter"], "ab_test": ab}
    )
    assert r.status_code == 201, r.content
    cid = r.json()["id"]
    assert api.post(f"/campaigns/{cid}/send").json()["state"] == "sending"

    # The sample: 10 of 20, five per variant, each with its own subject.
    assert run_worker(smtp_sink.relay) == 10
    got = {m.rcpt_tos[0]: m.data for m in smtp_sink.messages}
    by_subject: dict[str, list[bytes]] = {}
    for raw in got.values():
        by_subject.setdefault(_subject(raw), []).append(raw)
    assert {s: len(v) for s, v in by_subject.items()} == {"Spring sale": 5, "Your spring picks": 5}
    # Every sample message went out, yet the campaign is not sent: the rest is to come.
    campaign = api.get(f"/campaigns/{cid}").json()
    assert (campaign["state"], campaign["ab_phase"]) == ("sending", "sample")

    # A scanner opens every message of variant 0; two people open variant 1's.
    for raw in by_subject["Spring sale"]:
        assert Client(**SCANNER).get(_pixel(raw)).status_code == 200
    for raw in by_subject["Your spring picks"][:2]:
        assert Client(**HUMAN).get(_pixel(raw)).status_code == 200
    writer.flush()  # the tracking endpoints write their events in the background

    # Not due yet: the scheduler leaves it; once the wait is over it decides.
    call_command("campaigns", "tick")
    assert Campaign.objects.get(pk=cid).ab_winner is None
    # The wait counts from when the sample went out (its last message).
    assert scheduler.tick(timezone.now() + timedelta(minutes=29))["decided"] == []
    assert scheduler.tick(timezone.now() + timedelta(minutes=31))["decided"] == [cid]
    campaign = api.get(f"/campaigns/{cid}").json()
    assert (campaign["ab_phase"], campaign["ab_winner"]) == ("decided", 1)
    assert campaign["recipients_total"] == 20
    assert Delivery.objects.filter(campaign_id=cid, variant=1).count() == 15

    # The rest get the winner; then the campaign is sent.
    assert run_worker(smtp_sink.relay) == 10
    rest = [m.data for m in smtp_sink.messages if m.rcpt_tos[0] not in got]
    assert len(rest) == 10 and {_subject(raw) for raw in rest} == {"Your spring picks"}
    assert api.get(f"/campaigns/{cid}").json()["state"] == "sent"

    report = api.get(f"/campaigns/{cid}/report").json()
    rows = {v["variant"]: v for v in report["variants"]}
    assert (rows[0]["recipients"], rows[0]["opens_human"], rows[0]["winner"]) == (5, 0, False)
    assert (rows[1]["recipients"], rows[1]["opens_human"], rows[1]["winner"]) == (15, 2, True)
    assert rows[1]["label"] == "Your spring picks"
