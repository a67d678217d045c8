"""Outgoing webhooks: signed, retried with back-off, only to http(s) endpoints."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.utils import timezone

from mailwright.feedback import webhooks
from mailwright.feedback.models import WebhookDelivery

pytestmark = pytest.mark.django_db


@pytest.fixture
def receiver(settings):
    """A real HTTP server on 127.0.0.1 that records requests; `status` sets its answer,
    `location` a redirect. Loopback is refused unless allowed, so the test allows it."""
    settings.WEBHOOK_ALLOW_HOSTS = ["127.0.0.1"]
    state = {"status": 200, "requests": [], "location": None}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            state["requests"].append((dict(self.headers), body))
            self.send_response(302 if state["location"] else state["status"])
            if state["location"]:
                self.send_header("Location", state["location"])
            self.end_headers()

        do_GET = do_POST

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state["url"] = f"http://127.0.0.1:{server.server_address[1]}/hook"
    yield state
    server.shutdown()


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/x",
        "file:///etc/passwd",
        "javascript:alert(1)",
        "http://u:p@h.example/x",
        "x",
    ],
)
def test_only_http_endpoints_without_credentials(url):
    with pytest.raises(webhooks.WebhookError):
        webhooks.do_create_endpoint(url)


def test_unknown_event_types_are_refused():
    with pytest.raises(webhooks.WebhookError):
        webhooks.do_create_endpoint("https://example.com/h", ["sent", "exploded"])


def test_signed_delivery_reaches_subscribed_endpoints_only(
    receiver, django_capture_on_commit_callbacks
):
    wanted = webhooks.do_create_endpoint(receiver["url"], ["bounced"])
    webhooks.do_create_endpoint(receiver["url"] + "?other", ["opened"])
    with django_capture_on_commit_callbacks(execute=False):
        assert webhooks.emit("bounced", {"email": "a@example.com", "reason": "user_unknown"}) == 1
    row = WebhookDelivery.objects.get()
    assert row.endpoint == wanted
    assert webhooks.deliver.call(row.id) == "sent"
    headers, body = receiver["requests"][0]
    assert headers["Mailwright-Event"] == "bounced"
    assert webhooks.verify(wanted.secret, headers["Mailwright-Signature"], body)
    assert not webhooks.verify("wrong-secret", headers["Mailwright-Signature"], body)
    assert not webhooks.verify(wanted.secret, headers["Mailwright-Signature"], body + b" ")
    payload = json.loads(body)
    assert payload["type"] == "bounced" and payload["data"]["reason"] == "user_unknown"


def test_old_signatures_are_rejected_as_replays():
    body = b"{}"
    header = webhooks.sign("s3cret", int(time.time()) - 3600, body)
    assert not webhooks.verify("s3cret", header, body)
    assert not webhooks.verify("s3cret", "garbage", body)


def test_failures_are_retried_with_backoff_then_given_up(
    receiver, django_capture_on_commit_callbacks
):
    webhooks.do_create_endpoint(receiver["url"])
    receiver["status"] = 503
    with django_capture_on_commit_callbacks(execute=False):
        webhooks.emit("complained", {"email": "b@example.com"})
    row = WebhookDelivery.objects.get()
    assert webhooks.deliver.call(row.id) == "pending"
    row.refresh_from_db()
    assert row.attempts == 1 and row.last_status == 503
    assert (row.next_attempt_at - timezone.now()).total_seconds() > 50
    for _ in range(len(webhooks.RETRY_DELAYS)):
        webhooks.deliver.call(row.id)
    row.refresh_from_db()
    assert row.state == "failed" and row.attempts == len(webhooks.RETRY_DELAYS) + 1


def test_unreachable_endpoint_is_a_retry_not_a_crash(django_capture_on_commit_callbacks, settings):
    settings.WEBHOOK_ALLOW_HOSTS = ["127.0.0.1"]
    webhooks.do_create_endpoint("http://127.0.0.1:9/nothing-here")
    with django_capture_on_commit_callbacks(execute=False):
        webhooks.emit("sent", {"email": "c@example.com"})
    row = WebhookDelivery.objects.get()
    assert webhooks.deliver.call(row.id) == "pending"
    row.refresh_from_db()
    assert row.last_status is None and "Connection" in row.last_error


def test_guard_pause_is_announced(newsletter, django_capture_on_commit_callbacks):
    from mailwright.delivery import sending
    from mailwright.delivery.models import Delivery
    from mailwright.feedback import guards
    from tests.conftest import make_campaign, make_contact

    webhooks.do_create_endpoint("https://hooks.example.com/mw", ["campaign.paused"])
    for i in range(250):
        make_contact(f"w{i}@example.com", newsletter)
    campaign = make_campaign(newsletter)
    sending.start(campaign.id)
    Delivery.objects.update(state="sent")
    Delivery.objects.filter(id__in=list(Delivery.objects.values_list("id", flat=True)[:30])).update(
        state="bounced"
    )
    with django_capture_on_commit_callbacks(execute=False):
        guards.check([campaign.id])
    row = WebhookDelivery.objects.get(event_type="campaign.paused")
    assert (
        row.payload["data"]["campaign"] == campaign.id
        and "hard-bounce" in row.payload["data"]["reason"]
    )


def test_webhook_api(api):
    created = api.post("/webhooks", {"url": "https://hooks.example.com/x", "event_types": ["sent"]})
    assert created.status_code == 201 and len(created.json()["secret"]) > 20
    listed = api.get("/webhooks").json()
    assert listed[0]["url"] == "https://hooks.example.com/x" and "secret" not in listed[0]
    bad = api.post("/webhooks", {"url": "ftp://x.example/y"})
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "url"
    assert api.get(f"/webhooks/{created.json()['id']}/deliveries").json() == []
    assert api.delete(f"/webhooks/{created.json()['id']}").status_code == 204
    assert api.get("/webhooks/999/deliveries").status_code == 404
