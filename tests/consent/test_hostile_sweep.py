"""Hostile input against every public, unauthenticated endpoint, through a real uvicorn server
(tracking fast path in front of Django, and Django alone): non-UTF-8 bytes, lone surrogates,
NUL, CR/LF, overlong values, wrong JSON types and huge numbers. Whatever comes in, the answer
is an HTTP answer below 500: never a server error, never a dropped connection."""

from __future__ import annotations

import json
import re
from email import message_from_bytes, policy

import pytest

from mailwright import tokens
from mailwright.consent.models import Suppression
from mailwright.contacts.models import Contact
from mailwright.delivery import sending
from mailwright.feedback.tracking_writer import writer
from tests.conftest import make_campaign, make_contact, run_worker
from tests.web_server import WebServer

pytestmark = pytest.mark.django_db(transaction=True)

HTML = (
    "<html><body><p>Hi {{ contact.first_name }}</p>"
    '<a href="https://shop.example.com/a">A</a>'
    '<a href="{{ unsubscribe_url }}">Unsubscribe</a> <a href="{{ preferences_url }}">Prefs</a>'
    ' <a href="{{ view_online_url }}">Online</a>'
    "<p>{{ organisation.address }}</p></body></html>"
)

# Path segments: percent-encoded (the request line stays valid HTTP) and raw bytes.
SEGMENTS = [
    "%FF%FE",
    "%C3%A9",
    "%ED%A0%80",  # a UTF-8-encoded surrogate
    "%00",
    "%0D%0ASet-Cookie:%20x=1",
    "a" * 6000,
    "%F0%9D%90%9A.%EF%BC%91.1.abcdefabcdef",
    "1.1.1.%C3%A9",
    "1.1.%C3%A9",
    "..%2F..%2Fetc%2Fpasswd",
]
RAW_SEGMENTS = [b"\xff\xfe", b"\xc3\xa9", b"1.1.1.\xc3\xa9", b"\x80"]

# Values for form fields (url-encoded bytes as sent).
FORM_VALUES = [
    "%FF%FE",
    "%ED%A0%80",
    "%00",
    "%0D%0ABcc:%20x@example.com",
    "x" * 20000,
    "9" * 5000,
    "-1",
    "%C3%A9%F0%9D%90%9A",
]

# JSON values that go into every field of /subscribe/json.
JSON_VALUES = [
    "\\ud800",
    "\\udc00\\ud800",
    "\\u0000",
    "\\r\\nBcc: x@example.com",
    "x" * 15000,
]
JSON_RAW_VALUES = [
    "null",
    "true",
    "1e999",
    "-1e999",
    "9" * 4000,
    "9" * 5000,
    "123456789012345678901234567890",
    "-9223372036854775809",
    "{}",
    '{"a": [1, {"b": null}]}',
    "[[[[[[[[[[]]]]]]]]]]",
    "[" * 500 + "]" * 500,
    "1.5",
    "NaN",
    "Infinity",
]


@pytest.fixture
def servers(transactional_db):
    started = [WebServer(fast_path=True).start(), WebServer(fast_path=False).start()]
    yield started
    for server in started:
        server.stop()
    writer.flush()  # while this test's database is still there


@pytest.fixture
def links(smtp_sink, newsletter, settings):
    """Real links from a delivered campaign (a recipient can always get these), and an
    opt-in token."""
    settings.FORM_ORIGINS = ["https://shop.example"]
    settings.FORM_LIMIT_PER_IP = 1_000_000
    contact = make_contact("victim@example.com", newsletter, name="Vic")
    campaign = make_campaign(newsletter, html=HTML)
    sending.start(campaign.id)
    run_worker(smtp_sink.relay)
    msg = message_from_bytes(smtp_sink.messages[0].data, policy=policy.default)
    html = msg.get_body(("html",)).get_content()

    def find(pattern: str) -> str:
        return "/" + re.search(r'"http://[^/"]+/(' + pattern + r'[^"]+)"', html).group(1)

    return {
        "click": find("t/c/"),
        "open": find("t/o/"),
        "unsubscribe": find("u/"),
        "preferences": find("p/"),
        "view_online": find("v/"),
        "confirm": "/confirm/" + tokens.make("optin", {"c": contact.id, "t": ["newsletter"]}),
    }


class Sweep:
    def __init__(self, servers) -> None:
        self.servers = servers
        self.failures: list[str] = []
        self.count = 0

    def send(self, method, target, body=b"", headers=None, *, both=False) -> None:
        for server in self.servers if both else self.servers[:1]:
            self.count += 1
            answer = server.request(method, target, body, headers)
            if answer.dropped or answer.status >= 500:
                what = "dropped" if answer.dropped else answer.raw.split(b"\r\n", 1)[0].decode()
                self.failures.append(f"{what}: {method} {target[:120]!r} {body[:160]!r}")

    def csrf(self, path: str) -> dict[str, str]:
        """A cookie and matching form token, as a browser (or an attacker) gets them."""
        answer = self.servers[0].request("GET", path)
        cookie = re.search(rb"csrftoken=([A-Za-z0-9]+)", answer.raw)
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', answer.body)
        assert cookie and token, f"no CSRF token on {path}"
        return {"cookie": cookie.group(1).decode(), "token": token.group(1).decode()}


FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def test_no_public_endpoint_answers_hostile_input_with_5xx_or_a_dropped_connection(
    servers, links, settings
):
    # Relay webhooks configured (unconfigured ones answer 503 on purpose: the relay retries).
    settings.ANYMAIL = {"WEBHOOK_SECRET": "relay:s3cret", "MAILGUN_WEBHOOK_SIGNING_KEY": "k"}
    sweep = Sweep(servers)

    # --- tracking (both paths), and every token-bearing page, with hostile tokens
    for prefix in ["/t/c/", "/t/o/", "/u/", "/p/", "/v/", "/confirm/"]:
        suffix = ".gif" if prefix == "/t/o/" else ""
        for segment in SEGMENTS:
            for method in ["GET", "HEAD", "POST"]:
                sweep.send(method, prefix + segment + suffix, both=prefix.startswith("/t/"))
        for raw in RAW_SEGMENTS:
            sweep.send("GET", prefix.encode() + raw + suffix.encode(), both=True)
    for name in ["click", "open", "unsubscribe", "preferences", "view_online", "confirm"]:
        for tail in ["%C3%A9", "%FF", "%00", "%0D%0A", "x" * 3000]:
            sweep.send("GET", links[name] + tail, both=True)
        for query in ["?lang=%FF", "?x=%00%0D%0A", "?" + "a=1&" * 3000]:
            sweep.send("GET", links[name] + query, both=True)
    # Hostile headers on tracking requests.
    for ua in [b"\xff\xfe\x00", b"\xc3\xa9" * 2000, b"Mozilla/5.0 \x7f"]:
        sweep.send("GET", links["click"], headers={"User-Agent": ua}, both=True)
        sweep.send("GET", links["open"], headers={"User-Agent": ua}, both=True)

    # --- unsubscribe (incl. RFC 8058 one-click), preferences, confirm: hostile bodies
    for value in FORM_VALUES:
        for field in ["List-Unsubscribe", "scope", value]:
            body = f"{field}={value}".encode()
            sweep.send("POST", links["unsubscribe"], body, FORM)
        for body in [b"List-Unsubscribe=One-Click\xff\xfe", b"\xff=\xfe&\x00=\x00"]:
            sweep.send("POST", links["unsubscribe"], body, FORM)
    sweep.send(
        "POST",
        links["unsubscribe"],
        b"List-Unsubscribe=One-Click",
        {"Content-Type": "application/x-www-form-urlencoded; charset=no-such-charset"},
    )
    sweep.send(
        "POST", links["unsubscribe"], b"--x\r\n\xff", {"Content-Type": "multipart/form-data"}
    )
    sweep.send(
        "POST",
        links["unsubscribe"],
        b'--b\r\nContent-Disposition: form-data; name="\xff"\r\n\r\n\x00\r\n--b--',
        {"Content-Type": "multipart/form-data; boundary=b"},
    )

    csrf = sweep.csrf(links["preferences"])
    with_cookie = {**FORM, "Cookie": f"csrftoken={csrf['cookie']}"}
    for value in FORM_VALUES:
        for field in ["topic", "frequency", "pause", "language", "action", value]:
            body = f"csrfmiddlewaretoken={csrf['token']}&{field}={value}".encode()
            sweep.send("POST", links["preferences"], body, with_cookie)
        body = f"csrfmiddlewaretoken={csrf['token']}&" + "&".join(
            f"{f}={value}" for f in ["topic", "frequency", "pause", "language"]
        )
        sweep.send("POST", links["preferences"], body.encode(), with_cookie)
    csrf = sweep.csrf(links["confirm"])
    sweep.send(
        "POST",
        links["confirm"],
        f"csrfmiddlewaretoken={csrf['token']}&x=%FF%00".encode(),
        {**FORM, "Cookie": f"csrftoken={csrf['cookie']}"},
    )

    # --- the hosted subscription form
    for query in ["?lang=%FF", "?lang=%00", "?lang=" + "x" * 5000]:
        sweep.send("GET", "/subscribe/" + query)
    csrf = sweep.csrf("/subscribe/")
    with_cookie = {**FORM, "Cookie": f"csrftoken={csrf['cookie']}"}
    fields = ["email", "name", "topic", "language", "v_newsletter", "website"]
    for value in FORM_VALUES:
        for field in fields:
            values = {"email": "form@example.com", "topic": "newsletter", field: value}
            body = f"csrfmiddlewaretoken={csrf['token']}&" + "&".join(
                f"{k}={v}" for k, v in values.items()
            )
            sweep.send("POST", "/subscribe/", body.encode(), with_cookie)
    sweep.send(
        "POST",
        "/subscribe/",
        f"csrfmiddlewaretoken={csrf['token']}&email=\xff@example.com&topic=\xc3".encode("latin-1"),
        with_cookie,
    )

    # --- the embeddable JSON form
    origin = {"Content-Type": "application/json", "Origin": "https://shop.example"}
    base = {"email": "json@example.com", "topics": ["newsletter"], "name": "J", "language": "en"}
    for field in ["email", "topics", "name", "language", "versions", "website", "extra"]:
        for value in JSON_VALUES:
            document = json.dumps({**base, field: "@@"}).replace('"@@"', f'"{value}"')
            sweep.send("POST", "/subscribe/json", document.encode(), origin)
        for raw in JSON_RAW_VALUES:
            document = json.dumps({**base, field: "@@"}).replace('"@@"', raw)
            sweep.send("POST", "/subscribe/json", document.encode(), origin)
            for wrapped in [f"[{raw}]", f'{{"newsletter": {raw}}}']:
                document = json.dumps({**base, field: "@@"}).replace('"@@"', wrapped)
                sweep.send("POST", "/subscribe/json", document.encode(), origin)
    for body in [b"\xff\xfe", b'{"email": "\xff@example.com"}', b"\x00", b"[" * 15000, b""]:
        sweep.send("POST", "/subscribe/json", body, origin)
    for bad_origin in [b"\xff", b"https://shop.example\x7f", "https://é.example".encode()]:
        sweep.send(
            "POST",
            "/subscribe/json",
            b"{}",
            {"Content-Type": "application/json", "Origin": bad_origin},
        )
    sweep.send("OPTIONS", "/subscribe/json", headers={"Origin": "https://shop.example"})

    # --- relay webhooks, without credentials
    for esp in ["postmark", "mailgun", "sendgrid", "brevo", "mailjet", "sparkpost", "resend"]:
        for kind in ["tracking", "inbound"]:
            for body in [b"{}", b"\xff\xfe", b'{"a": "\\ud800"}', b"[" * 5000, b"9" * 5000]:
                sweep.send("POST", f"/webhooks/relay/{esp}/{kind}/", body, origin)
    for body in [
        b"{}",
        b"\xff",
        b"[" * 5000,
        b"9" * 5000,
        b'{"Type": "Notification", "TopicArn": "\\ud800"}',
        b'{"Type": "Notification", "TopicArn": "arn:aws:sns:eu-west-1:123456789012:ses-events",'
        b' "SigningCertURL": 7, "SignatureVersion": [1], "Signature": {}}',
    ]:
        sweep.send("POST", "/webhooks/relay/amazon_ses/tracking/", body, origin)

    assert sweep.failures == [], f"{len(sweep.failures)} failures:\n" + "\n".join(sweep.failures)
    assert sweep.count > 900
    # The hostile requests reached the code behind the forms (CSRF passed, JSON accepted).
    assert Contact.objects.filter(email__in=["form@example.com", "json@example.com"]).count() == 2
    # Nothing hostile became a contact with a broken address.
    assert all("\x00" not in c.email and "\r" not in c.email for c in Contact.objects.all())


def test_relay_webhooks_refuse_unauthenticated_events_when_no_secret_is_set(servers, links):
    """The default configuration (MW_WEBHOOK_SECRET unset): anymail alone would accept a
    forged bounce from anyone and suppress the address. Refused with a 503 instead (the
    relay keeps its events and retries)."""
    from django.conf import settings

    assert not settings.ANYMAIL["WEBHOOK_SECRET"]
    forged = json.dumps(
        {
            "RecordType": "Bounce",
            "Type": "HardBounce",
            "TypeCode": 1,
            "ID": 7,
            "MessageID": "x",
            "Email": "victim@example.com",
            "BouncedAt": "2026-01-01T00:00:00Z",
        }
    ).encode()
    for server in servers:
        answer = server.request(
            "POST",
            "/webhooks/relay/postmark/tracking/",
            forged,
            {"Content-Type": "application/json"},
        )
        assert answer.status == 503 and b"MW_WEBHOOK_SECRET" in answer.body
    assert not Suppression.objects.exists()


def test_relay_webhook_with_credentials_and_a_broken_payload_is_400(servers, links, settings):
    settings.ANYMAIL = {"WEBHOOK_SECRET": "relay:s3cret"}
    auth = {"Content-Type": "application/json", "Authorization": "Basic cmVsYXk6czNjcmV0"}
    for body in [b"\xff\xfe", b"9" * 5000, b"[" * 5000, b"{}"]:
        for esp in ["postmark", "sendgrid", "mailjet", "resend", "amazon_ses"]:
            answer = servers[0].request("POST", f"/webhooks/relay/{esp}/tracking/", body, auth)
            assert answer.status < 500, (esp, body[:10], answer.raw[:100])
    # A relay that needs a setting of its own which is missing: 503 with the reason (the
    # relay retries once it is set).
    answer = servers[0].request("POST", "/webhooks/relay/mailgun/tracking/", b"{}", auth)
    assert answer.status == 503 and b"not configured" in answer.body
