"""The pipelined bulk SMTP client against FastSink (faults) and aiosmtpd (STARTTLS, AUTH)."""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import ssl
from collections import Counter
from dataclasses import dataclass, field

import pytest

from mailwright.conf import RelayConfig
from mailwright.delivery.smtp_client import (
    Envelope,
    InsecureAuthError,
    SmtpClient,
    StartTlsUnavailable,
    dot_stuff,
)
from mailwright.delivery.smtp_client.session import may_send_credentials
from tests.smtp_servers import BackgroundLoop, FastSink

SENDER = "bounces@mailwright.test"


def message(i: int, body: bytes = b"") -> bytes:
    head = b"From: News <news@mailwright.test>\r\nTo: <r%d@example.com>\r\n" % i
    return head + b"Subject: n%d\r\n\r\n" % i + (body or b"Hello %d\r\n" % i)


def envelopes(n: int, start: int = 0) -> list[Envelope]:
    return [Envelope(SENDER, f"r{i}@example.com", message(i)) for i in range(start, start + n)]


def send(relay: RelayConfig, *batches: list[Envelope], **kwargs):
    """Send the batches over one client; returns (results per batch, client)."""

    async def scenario():
        client = SmtpClient(relay, **kwargs)
        out = [await client.send_batch(batch) for batch in batches]
        connected = client.is_connected
        await client.close()
        return out, connected

    return asyncio.run(scenario())


def kinds(results) -> list[str]:
    return [r.kind for r in results]


# --- dot-stuffing ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "wire"),
    [
        (b"a\r\n", b"a\r\n.\r\n"),
        (b"a", b"a\r\n.\r\n"),
        (b"", b"\r\n.\r\n"),
        (b".a\r\n", b"..a\r\n.\r\n"),
        (b"a\r\n.\r\nb\r\n", b"a\r\n..\r\nb\r\n.\r\n"),
        (b"a\r\n..b\r\n.", b"a\r\n...b\r\n..\r\n.\r\n"),
    ],
)
def test_dot_stuff(data, wire):
    assert dot_stuff(data) == wire


# --- 1. bulk delivery, exactly once, byte-identical -----------------------------------------


def tricky_body(i: int) -> bytes:
    match i % 7:
        case 0:
            return b".starts with a dot\r\n..two dots\r\n.\r\nlone dot above\r\n"
        case 1:
            return b"no trailing CRLF %d" % i
        case 2:
            return b"line\r\n.\r\n"  # ends with a line holding only a dot
        case 3:
            return b"\xc3\xa9t\xc3\xa9 8-bit\r\n"
        case _:
            return b"Hello %d\r\n" % i + b"x" * 70 + b"\r\n"


def test_500_messages_in_batches_arrive_exactly_once_and_intact(fast_sink):
    sink = fast_sink()
    items = [Envelope(SENDER, f"r{i}@example.com", message(i, tricky_body(i))) for i in range(500)]
    # one message whose data (not just body) starts with a dot
    items[7] = Envelope(SENDER, "r7@example.com", b".leading dot\r\nSubject: x\r\n\r\nbody\r\n")
    batches = [items[i : i + 50] for i in range(0, 500, 50)]

    results, _ = send(sink.relay, *batches)

    flat = [r for batch in results for r in batch]
    assert kinds(flat) == ["sent"] * 500
    assert all(r.code == 250 for r in flat)
    assert Counter(sink.recipients()) == Counter(f"r{i}@example.com" for i in range(500))
    by_rcpt = {m.rcpt: m for m in sink.messages}
    for env in items:
        expected = env.data if env.data.endswith(b"\r\n") else env.data + b"\r\n"
        assert by_rcpt[env.recipient].data == expected
        assert by_rcpt[env.recipient].mail_from == SENDER
    assert sink.connections == 1
    assert sink.rset_commands == 0
    assert "BODY=8BITMIME" in by_rcpt["r3@example.com"].mail_params
    assert "BODY" not in by_rcpt["r4@example.com"].mail_params


# --- 2.-4. per-message refusals -------------------------------------------------------------


@pytest.mark.parametrize("pipelining", [True, False])
def test_rcpt_refusals_are_per_recipient(fast_sink, pipelining):
    sink = fast_sink(
        pipelining=pipelining,
        rcpt_replies={
            "r1@example.com": "550 5.1.1 no such user",
            "r3@example.com": "450 4.2.1 mailbox busy",
            "r4@example.com": "550 5.1.1 gone",
        },
    )
    (results,), connected = send(sink.relay, envelopes(6))

    assert kinds(results) == ["sent", "permanent", "sent", "temporary", "permanent", "sent"]
    assert results[1].code == 550 and "no such user" in results[1].text
    assert results[3].code == 450 and "mailbox busy" in results[3].text
    assert sorted(sink.recipients()) == ["r0@example.com", "r2@example.com", "r5@example.com"]
    assert sink.rset_commands == 3  # the open transaction after each refused RCPT
    assert connected
    assert sink.lockstep_violations == 0


@pytest.mark.parametrize("pipelining", [True, False])
def test_data_end_refusal_bounces_only_that_message(fast_sink, pipelining):
    sink = fast_sink(
        pipelining=pipelining,
        data_end_replies={"r2@example.com": "554 5.7.1 message content rejected"},
    )
    (results,), _ = send(sink.relay, envelopes(5))

    assert kinds(results) == ["sent", "sent", "permanent", "sent", "sent"]
    assert results[2].code == 554 and "content rejected" in results[2].text
    assert len(sink.messages) == 4
    assert sink.rset_commands == 0


def test_data_command_refusal(fast_sink):
    sink = fast_sink(
        data_replies={
            "r1@example.com": "451 4.3.0 try again",
            "r2@example.com": "554 5.7.1 policy",
        }
    )
    (results,), _ = send(sink.relay, envelopes(4))

    assert kinds(results) == ["sent", "temporary", "permanent", "sent"]
    assert sink.rset_commands == 2
    assert sorted(sink.recipients()) == ["r0@example.com", "r3@example.com"]


@pytest.mark.parametrize("pipelining", [True, False])
def test_sender_refused_is_temporary_never_permanent(fast_sink, pipelining):
    sink = fast_sink(pipelining=pipelining, mail_reply="530 5.7.0 Authentication required")
    (results,), connected = send(sink.relay, envelopes(5))

    assert kinds(results) == ["temporary"] * 5
    assert all(r.text.startswith("sender refused: 530") for r in results)
    assert all(r.code == 530 for r in results)
    assert sink.messages == []
    assert sink.rset_commands == 0  # no transaction was open
    assert connected


# --- 5.-7. broken connections ---------------------------------------------------------------


def test_421_mid_batch_defers_the_rest_and_reconnect_works(fast_sink):
    sink = fast_sink(reply_421_after=3)

    async def scenario():
        client = SmtpClient(sink.relay)
        first = await client.send_batch(envelopes(10))
        connected_after_421 = client.is_connected
        sink.reply_421_after = None
        second = await client.send_batch(envelopes(5, start=10))
        await client.close()
        return first, connected_after_421, second

    first, connected_after_421, second = asyncio.run(scenario())

    assert kinds(first) == ["sent"] * 3 + ["temporary"] * 7
    assert first[3].code == 421
    assert all(r.text.startswith("connection closed by relay") for r in first[4:])
    assert not connected_after_421
    assert kinds(second) == ["sent"] * 5
    assert len(sink.messages) == 8
    assert sink.connections == 2


@pytest.mark.parametrize("pipelining", [True, False])
def test_disconnect_mid_batch_defers_unanswered(fast_sink, pipelining):
    sink = fast_sink(pipelining=pipelining, disconnect_after=4)

    async def scenario():
        client = SmtpClient(sink.relay)
        first = await client.send_batch(envelopes(10))
        sink.disconnect_after = None
        second = await client.send_batch(envelopes(3, start=10))
        await client.close()
        return first, second

    first, second = asyncio.run(scenario())

    assert kinds(first) == ["sent"] * 4 + ["temporary"] * 6
    assert all(r.text.startswith("connection failed:") for r in first[4:])
    assert kinds(second) == ["sent"] * 3
    assert Counter(sink.recipients()) == Counter(
        [f"r{i}@example.com" for i in range(4)] + [f"r{i}@example.com" for i in range(10, 13)]
    )


def test_garbage_reply_defers_and_drops_the_connection(fast_sink):
    sink = fast_sink(garbage_after=2)
    (results,), connected = send(sink.relay, envelopes(6))

    assert kinds(results) == ["sent", "sent"] + ["temporary"] * 4
    assert all("SmtpProtocolError" in r.text and "malformed" in r.text for r in results[2:])
    assert not connected


def test_reply_timeout_defers(fast_sink):
    sink = fast_sink()
    sink.reply_delay = 1.0  # the greeting is prompt, every reply after it is late
    (results,), connected = send(sink.relay, envelopes(3), timeout=0.2)

    assert kinds(results) == ["temporary"] * 3
    assert all("TimeoutError" in r.text for r in results)
    assert not connected


def test_connection_refused_defers():
    sink = FastSink().start()
    relay = sink.relay
    sink.stop()  # nothing listens on that port any more
    (results,), _ = send(relay, envelopes(2))

    assert kinds(results) == ["temporary", "temporary"]
    assert results[0].text.startswith("connection failed: ConnectionRefusedError")


def test_connection_dropped_while_idle_is_reopened_without_deferring(fast_sink):
    sink = fast_sink()

    async def scenario():
        client = SmtpClient(sink.relay)
        first = await client.send_batch(envelopes(2))
        await client._writer.drain()
        # the relay drops the idle connection without a word (as after an idle timeout)
        sink._bg.submit(_abort_all(sink)).result(timeout=5)
        await asyncio.sleep(0.05)
        second = await client.send_batch(envelopes(2, start=2))
        await client.close()
        return first, second

    first, second = asyncio.run(scenario())
    assert kinds(first + second) == ["sent"] * 4
    assert sink.connections == 2


async def _abort_all(sink: FastSink) -> None:
    from tests.smtp_servers import _SinkProtocol

    for protocol in list(_SinkProtocol.live.get(id(sink), ())):
        protocol.transport.abort()


# --- 8. no PIPELINING -----------------------------------------------------------------------


def test_lockstep_without_pipelining(fast_sink):
    sink = fast_sink(pipelining=False)
    items = [Envelope(SENDER, f"r{i}@example.com", message(i, tricky_body(i))) for i in range(60)]
    (results,), _ = send(sink.relay, items)

    assert kinds(results) == ["sent"] * 60
    assert sink.lockstep_violations == 0
    by_rcpt = {m.rcpt: m.data for m in sink.messages}
    for env in items:
        expected = env.data if env.data.endswith(b"\r\n") else env.data + b"\r\n"
        assert by_rcpt[env.recipient] == expected


# --- 10.-11. addresses and size -------------------------------------------------------------


def test_smtputf8_recipient(fast_sink):
    sink = fast_sink(smtputf8=True)
    items = [Envelope(SENDER, "用户@例子.广告", message(1)), *envelopes(1, start=2)]
    (results,), _ = send(sink.relay, items)

    assert kinds(results) == ["sent", "sent"]
    assert sink.messages[0].rcpt == "用户@例子.广告"
    assert "SMTPUTF8" in sink.messages[0].mail_params.split()
    assert "SMTPUTF8" not in sink.messages[1].mail_params.split()


def test_smtputf8_recipient_without_server_support(fast_sink):
    sink = fast_sink(smtputf8=False)
    items = [
        Envelope(SENDER, "josé@example.com", message(1)),
        Envelope("bounces@exämple.test", "r2@example.com", message(2)),
        *envelopes(1, start=3),
    ]
    (results,), _ = send(sink.relay, items)

    assert kinds(results) == ["unsupported", "unsupported", "sent"]
    assert "SMTPUTF8" in results[0].text
    assert sink.mail_commands == 1
    assert sink.recipients() == ["r3@example.com"]


@pytest.mark.parametrize(
    ("sender", "recipient"),
    [
        (SENDER, "a@example.com\r\nRCPT TO:<evil@example.com>"),
        (SENDER, "a@example.com\n"),
        (SENDER, "a\x00@example.com"),
        (SENDER, "a>@example.com"),
        ("x@example.com>\r\nRSET", "a@example.com"),
        (SENDER, ""),
    ],
)
def test_unsendable_address_is_unsupported_and_nothing_is_sent(fast_sink, sender, recipient):
    sink = fast_sink()
    (results,), connected = send(sink.relay, [Envelope(sender, recipient, message(1))])

    assert kinds(results) == ["unsupported"]
    assert sink.mail_commands == 0
    assert sink.connections == 0  # not even a connection for nothing to send
    assert not connected


def test_unsendable_address_among_others(fast_sink):
    sink = fast_sink()
    items = envelopes(3)
    items[1] = Envelope(SENDER, "bad\r\n@example.com", message(1))
    (results,), _ = send(sink.relay, items)

    assert kinds(results) == ["sent", "unsupported", "sent"]
    assert sink.mail_commands == 2


def test_size_limit(fast_sink):
    sink = fast_sink(size=2000)
    items = [
        Envelope(SENDER, "big@example.com", message(1, b"x" * 3000 + b"\r\n")),
        Envelope(SENDER, "small@example.com", message(2)),
    ]
    (results,), _ = send(sink.relay, items)

    assert kinds(results) == ["unsupported", "sent"]
    assert "2000" in results[0].text and "SIZE" in results[0].text
    assert sink.mail_commands == 1
    assert f"SIZE={len(items[1].data)}" in sink.messages[0].mail_params


def test_size_zero_means_no_limit(fast_sink):
    sink = fast_sink(size=0)
    (results,), _ = send(sink.relay, [Envelope(SENDER, "a@example.com", b"x" * 5000)])
    assert kinds(results) == ["sent"]


# --- 9. STARTTLS, implicit TLS and AUTH against aiosmtpd ------------------------------------


def make_certificate(tmp_path) -> tuple[str, str]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "mailwright test relay")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return str(cert_file), str(key_file)


@dataclass
class TlsHandler:
    messages: list[tuple[str, list[str], bytes, bool]] = field(default_factory=list)
    mail_commands: int = 0

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        self.mail_commands += 1
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(
            (
                envelope.mail_from,
                list(envelope.rcpt_tos),
                envelope.original_content,
                session.ssl is not None,
            )
        )
        return "250 2.0.0 queued"


def authenticator(server, session, envelope, mechanism, auth_data):
    from aiosmtpd.smtp import AuthResult, LoginPassword

    ok = (
        isinstance(auth_data, LoginPassword)
        and auth_data.login == b"user"
        and auth_data.password == b"s3cret p\xc3\xa4ss"
    )
    return AuthResult(success=ok, handled=False)


@pytest.fixture
def tls_relay(tmp_path):
    """A factory for aiosmtpd relays: STARTTLS (required) or implicit TLS, AUTH required.
    Yields make(implicit=False, mechanisms=...) -> (port, handler); ca file at .cafile."""
    from aiosmtpd.smtp import SMTP

    cert_file, key_file = make_certificate(tmp_path)
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_ctx.load_cert_chain(cert_file, key_file)
    bg = BackgroundLoop()
    servers = []

    def make(implicit: bool = False, exclude: tuple[str, ...] = ()):
        handler = TlsHandler()

        def factory():
            return SMTP(
                handler,
                hostname="tls-relay",
                tls_context=None if implicit else server_ctx,
                require_starttls=not implicit,
                auth_required=True,
                auth_require_tls=not implicit,  # aiosmtpd cannot see implicit TLS
                authenticator=authenticator,
                auth_exclude_mechanism=list(exclude),
            )

        async def start():
            loop = asyncio.get_running_loop()
            return await loop.create_server(
                factory, host="127.0.0.1", port=0, ssl=server_ctx if implicit else None
            )

        server = bg.submit(start()).result(timeout=5)
        servers.append(server)
        return server.sockets[0].getsockname()[1], handler

    make.cafile = cert_file
    yield make

    async def stop():
        for server in servers:
            server.close()

    bg.submit(stop()).result(timeout=5)
    bg.close()


PASSWORD_URL = "user:s3cret%20p%C3%A4ss"


@pytest.mark.parametrize("exclude", [(), ("PLAIN",)], ids=["plain", "login"])
def test_starttls_and_auth(tls_relay, exclude):
    port, handler = tls_relay(exclude=exclude)
    relay = RelayConfig(f"smtp://{PASSWORD_URL}@127.0.0.1:{port}?tls=starttls")
    ctx = ssl.create_default_context(cafile=tls_relay.cafile)

    async def scenario():
        client = SmtpClient(relay, ssl_context=ctx)
        await client.connect()
        state = (client.tls_active, dict(client.extensions))
        results = await client.send_batch(envelopes(3))
        await client.close()
        return state, results

    (tls_active, extensions), results = asyncio.run(scenario())
    assert tls_active
    assert "AUTH" in extensions
    assert kinds(results) == ["sent"] * 3
    assert [m[1] for m in handler.messages] == [[f"r{i}@example.com"] for i in range(3)]
    assert all(m[3] for m in handler.messages)  # over TLS
    assert handler.messages[0][2] == message(0)


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_implicit_tls_and_auth(tls_relay):
    port, handler = tls_relay(implicit=True)
    relay = RelayConfig(f"smtps://{PASSWORD_URL}@127.0.0.1:{port}")
    ctx = ssl.create_default_context(cafile=tls_relay.cafile)
    (results,), _ = send(relay, envelopes(2), ssl_context=ctx)

    assert kinds(results) == ["sent", "sent"]
    assert len(handler.messages) == 2


def test_wrong_password_is_temporary(tls_relay):
    port, handler = tls_relay()
    relay = RelayConfig(f"smtp://user:wrong@127.0.0.1:{port}?tls=starttls")
    ctx = ssl.create_default_context(cafile=tls_relay.cafile)
    (results,), connected = send(relay, envelopes(2), ssl_context=ctx)

    assert kinds(results) == ["temporary", "temporary"]
    assert results[0].text.startswith("relay login failed: 535")
    assert not connected
    assert handler.mail_commands == 0


def test_default_context_rejects_a_self_signed_certificate(tls_relay):
    port, handler = tls_relay()
    relay = RelayConfig(f"smtp://{PASSWORD_URL}@127.0.0.1:{port}?tls=starttls")
    (results,), _ = send(relay, envelopes(1))

    assert kinds(results) == ["temporary"]
    assert "SSLCertVerificationError" in results[0].text
    assert handler.mail_commands == 0


def test_starttls_required_but_not_offered(fast_sink):
    sink = fast_sink()
    relay = RelayConfig(sink.relay_url("?tls=starttls"))

    async def connect():
        await SmtpClient(relay).connect()

    with pytest.raises(StartTlsUnavailable, match="does not offer STARTTLS"):
        asyncio.run(connect())
    (results,), _ = send(relay, envelopes(2))
    assert kinds(results) == ["temporary", "temporary"]
    assert "StartTlsUnavailable" in results[0].text
    assert sink.mail_commands == 0


def test_no_credentials_in_clear_to_another_host(monkeypatch):
    async def must_not_connect(*args, **kwargs):
        raise AssertionError("connected")

    monkeypatch.setattr(asyncio, "open_connection", must_not_connect)
    relay = RelayConfig("smtp://user:secret@mail.example.com:587")
    with pytest.raises(InsecureAuthError):
        asyncio.run(SmtpClient(relay).connect())
    (results,), _ = send(relay, envelopes(1))
    assert kinds(results) == ["temporary"]
    assert "clear text" in results[0].text

    assert not may_send_credentials("mail.example.com", tls_active=False)
    assert not may_send_credentials("10.0.0.1", tls_active=False)
    assert may_send_credentials("mail.example.com", tls_active=True)
    assert may_send_credentials("127.0.0.1", tls_active=False)
    assert may_send_credentials("::1", tls_active=False)
    assert may_send_credentials("localhost", tls_active=False)
