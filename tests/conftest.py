"""Shared fixtures: a real SMTP sink with injectable failures, the real capture relay, a
delivery worker runner, and named actors set up through domain functions."""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field

import pytest
from django.contrib.auth import get_user_model

from mailwright.audit.actors import Actor
from mailwright.conf import RelayConfig
from tests.smtp_servers import BackgroundLoop

ADMIN = Actor(channel="admin", actor="test admin")


@pytest.fixture(scope="session")
def django_db_modify_db_settings(tmp_path_factory):
    """SQLite tests use a real file (WAL, several connections), like production."""
    from django.conf import settings

    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3") and not db["TEST"].get("NAME"):
        db["TEST"]["NAME"] = str(tmp_path_factory.mktemp("db") / "test.sqlite3")


@pytest.fixture(autouse=True)
def organisation_address(settings):
    """Marketing mail needs the sender's postal address; tests run as a configured sender."""
    from mailwright.consent import hashing

    settings.ORGANISATION_ADDRESS = "1 Test Street, 00-001 Testville"
    hashing.reset_cache()  # each test database has its own privacy salt
    yield
    hashing.reset_cache()


# --- SMTP sink ------------------------------------------------------------------------------


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes


@dataclass
class SinkHandler:
    """Accepts mail; tests set `rcpt_replies[address]` or `data_reply` to inject failures."""

    messages: list[Received] = field(default_factory=list)
    rcpt_replies: dict[str, str] = field(default_factory=dict)
    data_reply: str | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        reply = self.rcpt_replies.get(address)
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.data_reply:
            return self.data_reply
        with self.lock:
            self.messages.append(
                Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content)
            )
        return "250 2.0.0 queued"

    def recipients(self) -> list[str]:
        with self.lock:
            return [r for m in self.messages for r in m.rcpt_tos]


@dataclass
class Sink:
    host: str
    port: int
    handler: SinkHandler

    @property
    def relay(self) -> RelayConfig:
        return RelayConfig(f"smtp://{self.host}:{self.port}")

    @property
    def messages(self) -> list[Received]:
        return self.handler.messages


@pytest.fixture
def smtp_sink():
    from aiosmtpd.smtp import SMTP

    handler = SinkHandler()
    bg = BackgroundLoop()

    async def start():
        loop = asyncio.get_running_loop()
        return await loop.create_server(
            lambda: SMTP(handler, decode_data=False, hostname="sink"), host="127.0.0.1", port=0
        )

    server = bg.submit(start()).result(timeout=5)
    try:
        yield Sink("127.0.0.1", server.sockets[0].getsockname()[1], handler)
    finally:

        async def stop():
            server.close()
            await server.wait_closed()

        bg.submit(stop()).result(timeout=5)
        bg.close()


@pytest.fixture
def fast_sink():
    """A factory: fast_sink(**options) starts a FastSink (tests/smtp_servers.py), stopped at
    teardown. Faster than aiosmtpd, pipelining-aware, with injectable failures."""
    from tests.smtp_servers import FastSink

    started: list[FastSink] = []

    def make(**options) -> FastSink:
        sink = FastSink(**options).start()
        started.append(sink)
        return sink

    yield make
    for sink in started:
        sink.stop()


@pytest.fixture(autouse=True)
def _tracking_buffer_left_empty():
    """A test's unwritten opens and clicks (the writer holds a click for the scanner-burst
    window) must not be written into the next test's database, whose ids start again."""
    yield
    from mailwright.feedback.tracking_writer import writer

    with writer._lock:
        writer._items.clear()


# --- capture relay --------------------------------------------------------------------------


@pytest.fixture
def capture_relay(transactional_db):
    """The real capture relay on an ephemeral port, storing into the test database."""
    from mailwright.delivery.capture import CaptureHandler, make_smtp

    bg = BackgroundLoop()
    handler = CaptureHandler()

    async def start():
        loop = asyncio.get_running_loop()
        return await loop.create_server(
            lambda: make_smtp(handler, 1024 * 1024), host="127.0.0.1", port=0
        )

    server = bg.submit(start()).result(timeout=5)
    port = server.sockets[0].getsockname()[1]
    try:
        yield RelayConfig(f"smtp://127.0.0.1:{port}")
    finally:

        async def stop():
            server.close()
            await handler.aclose()

        bg.submit(stop()).result(timeout=5)
        bg.close()


# --- delivery worker ------------------------------------------------------------------------


def run_worker(relay: RelayConfig, **kwargs) -> int:
    """Run the delivery engine in-process until nothing is due; returns messages sent."""
    from mailwright.delivery.engine import Engine

    kwargs.setdefault("lanes", 2)
    kwargs.setdefault("batch_size", 20)
    kwargs.setdefault("idle_seconds", 0)
    return asyncio.run(Engine(relay, **kwargs).run(until_idle=True))


@pytest.fixture
def background_worker():
    """Start a delivery engine on a background loop (for browser tests); stopped at teardown."""
    from mailwright.delivery.engine import Engine

    started = []

    def start(relay: RelayConfig, **kwargs):
        kwargs.setdefault("lanes", 1)
        kwargs.setdefault("batch_size", 20)
        kwargs.setdefault("idle_seconds", 0.2)
        bg = BackgroundLoop()
        engine = Engine(relay, **kwargs)
        future = bg.submit(engine.run())
        started.append((bg, engine, future))
        return engine

    yield start
    for bg, engine, future in started:
        bg.loop.call_soon_threadsafe(engine.stop)
        future.result(timeout=30)
        bg.close()


# --- named actors ---------------------------------------------------------------------------


@pytest.fixture
def admin_user(db):
    User = get_user_model()
    return User.objects.create_superuser("owner", "owner@example.com", "correct horse battery")


@pytest.fixture
def api_key(db):
    from mailwright.api import keys

    _, key = keys.create("tests")
    return key


@pytest.fixture
def api(client, api_key):
    """A JSON client for /api/v1 with a valid key."""

    class Api:
        def __init__(self) -> None:
            self.headers = {"Authorization": f"Bearer {api_key}"}

        def get(self, path, **params):
            return client.get(f"/api/v1{path}", params, headers=self.headers)

        def post(self, path, data=None, raw=None):
            import json

            body = raw if raw is not None else json.dumps(data if data is not None else {})
            return client.post(
                f"/api/v1{path}", body, content_type="application/json", headers=self.headers
            )

        def patch(self, path, data):
            import json

            return client.patch(
                f"/api/v1{path}",
                json.dumps(data),
                content_type="application/json",
                headers=self.headers,
            )

        def put(self, path, data):
            import json

            return client.put(
                f"/api/v1{path}",
                json.dumps(data),
                content_type="application/json",
                headers=self.headers,
            )

        def delete(self, path):
            return client.delete(f"/api/v1{path}", headers=self.headers)

    return Api()


@pytest.fixture
def newsletter(db):
    from mailwright.contacts.models import Topic

    return Topic.objects.create(key="newsletter", name="Newsletter", consent_text="Send me news")


def declare(**types: str) -> None:
    """Declare custom attributes (key=type) that are not declared yet: every write path
    refuses undeclared ones."""
    from mailwright.contacts.models import AttributeDefinition

    for key, type_ in types.items():
        AttributeDefinition.objects.get_or_create(key=key, defaults={"type": type_})


def _type_of(value) -> str:
    if isinstance(value, bool):
        return "bool"
    return "number" if isinstance(value, (int, float)) else "string"


def make_contact(email: str, topic=None, state: str = "confirmed", name: str = "", **extra):
    """A contact through directory.upsert; attributes given are declared first (by the type
    of their value)."""
    from mailwright.consent import directory

    declare(**{k: _type_of(v) for k, v in (extra.get("attributes") or {}).items()})
    subs = []
    if topic is not None:
        subs = [directory.SubscriptionRequest(topic.key, state, "double opt-in on our site")]
    contact, _ = directory.upsert(
        directory.ContactInput(email=email, name=name, subscriptions=subs, **extra), by=ADMIN
    )
    return contact


def make_campaign(topic, subject="Hello {{ contact.first_name|default('there') }}", html=None):
    from mailwright.campaigns.campaigns import create_campaign
    from mailwright.campaigns.templates import save_template

    tpl = save_template(
        name="Welcome",
        subject=subject,
        html=html
        or (
            "<h1>Hi {{ contact.first_name|default('there') }}</h1>"
            "<p>News from {{ organisation.name }}.</p>"
            '<p><a href="{{ unsubscribe_url }}">Unsubscribe</a> · '
            '<a href="{{ preferences_url }}">Preferences</a></p>'
        ),
    )
    return create_campaign(name="Welcome campaign", template_id=tpl.id, topic_keys=[topic.key])
