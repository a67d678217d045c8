"""/metrics after a small campaign: the Prometheus text format parses, and every figure is
what was sent, bounced, complained about, queued, received and heartbeated; clients not on
this machine need the bearer token."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from mailwright.contacts.models import Topic
from mailwright.delivery import heartbeats, sending
from mailwright.delivery.models import Delivery, WorkerHeartbeat
from mailwright.feedback import processing, rates
from mailwright.feedback.bounces import ComplaintFact, do_record_complaint
from mailwright.feedback.models import InboundMessage
from tests.conftest import make_campaign, make_contact, run_worker

pytestmark = pytest.mark.django_db(transaction=True)

# The text exposition format 0.0.4, line by line.
NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\["\\n])*"'
SAMPLE = re.compile(rf"^({NAME})(?:\{{((?:{LABEL})(?:,{LABEL})*)?\}})? (\S+)$")
HELP = re.compile(rf"^# HELP ({NAME}) (.*)$")
TYPE = re.compile(rf"^# TYPE ({NAME}) (counter|gauge|histogram|summary|untyped)$")
VALUE = re.compile(r"^(?:[-+]?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+)|NaN|[+-]Inf)$")


def parse(text: str) -> dict[tuple[str, frozenset], float]:
    """Strictly: HELP and TYPE once per family and before its samples, valid names, labels
    and values, no repeated series; returns {(name, labels): value}."""
    assert text.endswith("\n")
    samples: dict[tuple[str, frozenset], float] = {}
    helped, typed = set(), {}
    for line in text.splitlines():
        if m := HELP.match(line):
            assert m[1] not in helped, f"second HELP: {line}"
            helped.add(m[1])
        elif m := TYPE.match(line):
            assert m[1] not in typed, f"second TYPE: {line}"
            typed[m[1]] = m[2]
        else:
            m = SAMPLE.match(line)
            assert m, f"not a sample line: {line!r}"
            name, labels, value = m[1], m[2] or "", m[3]
            assert name in helped and name in typed, f"{name} sampled before HELP/TYPE"
            assert VALUE.match(value), f"bad value in {line!r}"
            pairs = frozenset(re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"', labels))
            assert (name, pairs) not in samples, f"repeated series: {line}"
            samples[(name, pairs)] = float(value)
    return samples


def value(samples, name: str, **labels) -> float:
    return samples[(name, frozenset(labels.items()))]


def scrape(client, **extra):
    return client.get("/metrics", **extra)


def test_metrics_after_a_small_campaign(client, smtp_sink, newsletter):
    for i in range(5):
        make_contact(f"m{i}@example.com", newsletter)
    smtp_sink.handler.rcpt_replies["m3@example.com"] = "550 5.1.1 No such user"
    smtp_sink.handler.rcpt_replies["m4@example.com"] = "451 4.2.0 Try again later"
    campaign = make_campaign(newsletter)
    sending.start(campaign.id)
    assert run_worker(smtp_sink.relay) == 3
    # A complaint about one of the three sent.
    complained = Delivery.objects.get(campaign=campaign, email="m0@example.com")
    do_record_complaint(ComplaintFact(complained, "abuse", "arf"))
    # A second campaign, queued and not sent yet.
    later = Topic.objects.create(key="later", name="Later", consent_text="Later news")
    for i in range(3):
        make_contact(f"q{i}@example.com", later)
    sending.start(make_campaign(later).id)
    # A worker beating on this host, one silent on another.
    heartbeats.Heartbeat("here-1-abcd").start()
    WorkerHeartbeat.objects.create(
        worker="there-9-beef",
        host="there",
        pid=9,
        started_at=timezone.now() - timedelta(hours=1),
        last_seen_at=timezone.now() - timedelta(minutes=2),
        sent=42,
    )
    # Inbound: one stored but not processed (a crash in between), one processed, one failed.
    processing.store(b"Subject: hello\r\n\r\nhi\r\n", source="smtp", rcpt_to="x@bounce.test")
    processing.process(
        processing.store(b"Subject: re\r\n\r\nthanks\r\n", source="smtp", rcpt_to="y@b.test")
    )
    InboundMessage.objects.create(
        source="smtp", raw=b"x", error="ValueError: broken", received_at=timezone.now()
    )

    response = scrape(client)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    samples = parse(response.content.decode())

    queue = "mailwright_queue_deliveries"
    assert value(samples, queue, stream="marketing", state="queued") == 3
    assert value(samples, queue, stream="marketing", state="deferred") == 1
    assert value(samples, queue, stream="marketing", state="sending") == 0
    assert value(samples, queue, stream="service", state="queued") == 0
    for window in ("1m", "5m", "24h"):
        assert value(samples, "mailwright_sent_messages", window=window) == 3
    assert value(samples, "mailwright_send_rate_per_second", window="1m") == 3 / 60
    assert value(samples, "mailwright_send_rate_per_second", window="5m") == 3 / 300
    # The rates are feedback.rates': over the 4 messages handed to a receiving server (3
    # accepted, 1 refused), as the guard, the campaign report and the API count them.
    marketing = {"stream": "marketing", "window": "24h"}
    assert value(samples, "mailwright_bounced_messages", **marketing) == 1
    assert value(samples, "mailwright_complaints", **marketing) == 1
    assert value(samples, "mailwright_bounce_rate", **marketing) == pytest.approx(1 / 4)
    assert value(samples, "mailwright_complaint_rate", **marketing) == pytest.approx(1 / 4)
    assert value(samples, "mailwright_bounce_rate", stream="service", window="24h") == 0
    assert rates.bounce_rate(rates.campaign_counts(campaign.id)).value == pytest.approx(1 / 4)

    me = heartbeats.identity()
    here = {"worker": "here-1-abcd", "host": me.host, "pid": str(me.pid)}
    there = {"worker": "there-9-beef", "host": "there", "pid": "9"}
    assert value(samples, "mailwright_worker_up", **here) == 1
    assert value(samples, "mailwright_worker_up", **there) == 0
    assert value(samples, "mailwright_worker_heartbeat_age_seconds", **here) < 30
    assert 119 < value(samples, "mailwright_worker_heartbeat_age_seconds", **there) < 200
    assert value(samples, "mailwright_worker_sent_messages_total", **there) == 42
    assert value(samples, "mailwright_workers_up") == 1

    assert value(samples, "mailwright_inbound_backlog", status="unprocessed") == 1
    assert value(samples, "mailwright_inbound_backlog", status="failed") == 1


def test_metrics_refuse_clients_elsewhere_without_the_token(client, settings, db):
    far = {"REMOTE_ADDR": "203.0.113.9"}
    settings.METRICS_TOKEN = ""
    assert scrape(client).status_code == 200  # loopback
    assert scrape(client, REMOTE_ADDR="::1").status_code == 200
    assert scrape(client, **far).status_code == 404
    assert scrape(client, **far, HTTP_AUTHORIZATION="Bearer anything").status_code == 404

    settings.METRICS_TOKEN = "s3cret-metrics-token"
    refused = scrape(client, **far)
    assert refused.status_code == 401 and refused["WWW-Authenticate"].startswith("Bearer")
    assert scrape(client, **far, HTTP_AUTHORIZATION="Basic czNjcmV0").status_code == 401
    assert scrape(client, **far, HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
    ok = scrape(client, **far, HTTP_AUTHORIZATION="Bearer s3cret-metrics-token")
    assert ok.status_code == 200 and b"mailwright_queue_deliveries" in ok.content
    # Relayed by a proxy on this machine: loopback, but not local.
    proxied = scrape(client, HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert proxied.status_code == 401
    assert client.post("/metrics").status_code == 405
