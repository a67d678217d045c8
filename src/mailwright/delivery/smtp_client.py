"""A lean, pipelined SMTP client for the bulk-sending path.

One `SmtpClient` is one connection to a relay. `send_batch()` sends a list of envelopes
(one sender, one recipient, pre-built message bytes each) and returns one `SendResult` per
envelope, in order. With PIPELINING (RFC 2920) each message costs one write and one round
trip: MAIL/RCPT/DATA go out together, and the message content goes out together with the
next message's MAIL/RCPT/DATA group. Without PIPELINING it falls back to lock-step.

Classification (the same rules as `transport.SmtpConnection`, see docs/delivery.md):

- 2xx after the content: "sent".
- 5xx to RCPT, to DATA or after the content: "permanent" (hard bounce), except 503 (bad
  sequence) and 530 (authentication required), which are about our session, not the address.
- 4xx anywhere: "temporary".
- anything refused at MAIL FROM (or AUTH): "temporary", never a bounce: the relay refused
  *our* sender, which is not the recipient's fault.
- 421, a broken connection, a malformed reply or a timeout: "temporary" for every message
  not yet answered; the connection is dropped and the next `send_batch()` reconnects.
- an address that can never be put on the wire (CR, LF, NUL, "<", ">"), a non-ASCII address
  when the relay lacks SMTPUTF8, or a message above the relay's SIZE limit: "unsupported",
  and nothing is sent for that message.

The message bytes must use CRLF line endings; they are dot-stuffed here.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import functools
import ipaddress
import logging
import socket
import ssl

from mailwright.conf import RelayConfig
from mailwright.delivery.results import Envelope, SendResult

log = logging.getLogger(__name__)

__all__ = [
    "AuthError",
    "Envelope",
    "InsecureAuthError",
    "SmtpClient",
    "SmtpError",
    "SmtpProtocolError",
    "StartTlsUnavailable",
    "dot_stuff",
]

TEXT_LIMIT = 1000
_BAD_ADDRESS_CHARS = ("\r", "\n", "\x00", "<", ">")
_DATA = b"DATA\r\n"
_RSET = b"RSET\r\n"
_END_ONLY = b".\r\n"
_CONNECTION_ERRORS = (
    OSError,
    EOFError,  # asyncio.IncompleteReadError: the relay closed mid-reply
    asyncio.LimitOverrunError,  # a reply line longer than the stream limit
    TimeoutError,
)


class SmtpError(Exception):
    """The relay or the connection failed in a way that concerns the whole session."""

    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


class SmtpProtocolError(SmtpError):
    """The relay sent something that is not an SMTP reply, or an unexpected one."""


class StartTlsUnavailable(SmtpError):
    """tls="starttls" was configured but the relay does not offer STARTTLS."""


class InsecureAuthError(SmtpError):
    """Credentials would travel in clear text to a host that is not this machine."""


class AuthError(SmtpError):
    """The relay refused our login, or offers no mechanism we support."""


class _ServiceClosing(SmtpError):
    """The relay answered 421: it is closing the connection."""


def dot_stuff(data: bytes) -> bytes:
    """The DATA payload for `data`: dot-stuffed, CRLF-terminated, followed by ".\\r\\n"."""
    if data[:1] == b".":
        data = b"." + data
    data = data.replace(b"\r\n.", b"\r\n..")
    if data[-2:] != b"\r\n":
        return data + b"\r\n.\r\n"
    return data + b".\r\n"


def is_loopback(host: str) -> bool:
    """True for localhost and loopback IP addresses (credentials may travel there in clear)."""
    if host.lower().rstrip(".") == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def may_send_credentials(host: str, tls_active: bool) -> bool:
    """Credentials go only over TLS, or in clear to this machine."""
    return tls_active or is_loopback(host)


@functools.cache
def _default_local_hostname() -> str:
    name = socket.getfqdn()
    if name and name.isascii() and " " not in name and "." in name:
        return name
    return ""  # fall back to an address literal of the socket, decided on connect


def _address_problem(address: str, *, sender: bool) -> str | None:
    if not address and not sender:
        return "empty recipient address"
    for ch in _BAD_ADDRESS_CHARS:
        if ch in address:
            return f"address cannot be sent over SMTP (contains {ch!r}): {address!r}"[:TEXT_LIMIT]
    return None


def _text(code: int, text: bytes) -> str:
    return f"{code} {text.decode('utf-8', 'replace')}"[:TEXT_LIMIT]


def _refusal(code: int, text: bytes) -> SendResult:
    """The result for a refused RCPT, DATA or end of data."""
    if 500 <= code < 600 and code not in (503, 530):
        return SendResult("permanent", code, _text(code, text))
    return SendResult("temporary", code, _text(code, text))


def _sender_refused(code: int, text: bytes) -> SendResult:
    return SendResult("temporary", code, f"sender refused: {_text(code, text)}"[:TEXT_LIMIT])


class SmtpClient:
    """One SMTP connection to a relay. Not safe for concurrent use: one coroutine at a time.

    `timeout` bounds every wait for the relay (connecting, each reply round trip).
    `ssl_context` defaults to `ssl.create_default_context()` (system trust store, hostname
    checked); pass your own to trust a private CA or, in tests, a self-signed certificate.
    `local_hostname` is the EHLO name; default `socket.getfqdn()`, else the socket's address.
    """

    def __init__(
        self,
        relay: RelayConfig,
        *,
        timeout: float = 30,
        ssl_context: ssl.SSLContext | None = None,
        local_hostname: str | None = None,
    ) -> None:
        self.relay = relay
        self.timeout = timeout
        self.ssl_context = ssl_context
        self.local_hostname = local_hostname
        self.extensions: dict[str, str] = {}
        self.tls_active = False
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._progress = False  # a reply was read during the current batch

    # --- session ---------------------------------------------------------------------------

    @property
    def is_connected(self) -> bool:
        writer, reader = self._writer, self._reader
        return (
            writer is not None
            and reader is not None
            and not writer.is_closing()
            and not reader.at_eof()
        )

    @property
    def pipelining(self) -> bool:
        return "PIPELINING" in self.extensions

    @property
    def smtputf8(self) -> bool:
        return "SMTPUTF8" in self.extensions

    @property
    def eightbitmime(self) -> bool:
        return "8BITMIME" in self.extensions

    @property
    def max_size(self) -> int | None:
        """The relay's SIZE limit in bytes, None when it announces none."""
        raw = self.extensions.get("SIZE")
        if raw and raw.isdigit() and int(raw) > 0:
            return int(raw)
        return None

    async def connect(self) -> None:
        """Open the connection: greeting, EHLO, STARTTLS + EHLO, AUTH.

        Raises OSError (connection refused, TLS errors…), TimeoutError or SmtpError.
        Does nothing when already connected.
        """
        if self.is_connected:
            return
        self._abort()
        relay = self.relay
        if relay.username and relay.tls == "none" and not is_loopback(relay.host):
            raise InsecureAuthError(
                f"refusing to send credentials in clear text to {relay.host}: "
                "configure tls=starttls or tls=tls"
            )
        implicit = relay.tls == "tls"
        context = self._ssl() if relay.tls != "none" else None
        try:
            async with asyncio.timeout(self.timeout):
                self._reader, self._writer = await asyncio.open_connection(
                    relay.host,
                    relay.port,
                    ssl=context if implicit else None,
                    server_hostname=relay.host if implicit else None,
                )
            self.tls_active = implicit
            code, text = await self._command(None)
            if code != 220:
                raise SmtpError(f"relay greeting refused: {_text(code, text)}", code)
            await self._ehlo()
            if relay.tls == "starttls":
                if "STARTTLS" not in self.extensions:
                    raise StartTlsUnavailable(
                        f"relay {relay.host}:{relay.port} does not offer STARTTLS "
                        "(tls=starttls configured; refusing to send in clear text)"
                    )
                code, text = await self._command(b"STARTTLS\r\n")
                if code != 220:
                    raise SmtpError(f"STARTTLS refused: {_text(code, text)}", code)
                async with asyncio.timeout(self.timeout):
                    await self._writer.start_tls(context, server_hostname=relay.host)
                self.tls_active = True
                await self._ehlo()
            if relay.username:
                await self._auth(relay.username, relay.password or "")
        except BaseException:
            self._abort()
            raise

    async def close(self) -> None:
        """Say QUIT and close; errors are ignored. The client can `connect()` again."""
        reader, writer = self._reader, self._writer
        self._reader = self._writer = None
        self.extensions = {}
        self.tls_active = False
        if writer is None:
            return
        with contextlib.suppress(Exception):
            if reader is not None and not writer.is_closing():
                writer.write(b"QUIT\r\n")
                async with asyncio.timeout(min(self.timeout, 5)):
                    await reader.readuntil(b"\r\n")
        writer.close()
        with contextlib.suppress(Exception):
            async with asyncio.timeout(min(self.timeout, 5)):
                await writer.wait_closed()

    def _abort(self) -> None:
        writer = self._writer
        self._reader = self._writer = None
        self.extensions = {}
        self.tls_active = False
        if writer is not None:
            writer.transport.abort()

    def _ssl(self) -> ssl.SSLContext:
        if self.ssl_context is None:
            self.ssl_context = ssl.create_default_context()
        return self.ssl_context

    async def _ehlo(self) -> None:
        name = self.local_hostname or _default_local_hostname()
        if not name:
            sockname = self._writer.get_extra_info("sockname")
            addr = sockname[0] if sockname else "127.0.0.1"
            name = f"[IPv6:{addr}]" if ":" in addr else f"[{addr}]"
        code, text = await self._command(b"EHLO %s\r\n" % name.encode("ascii"))
        self.extensions = {}
        if code != 250:
            code, text = await self._command(b"HELO %s\r\n" % name.encode("ascii"))
            if code != 250:
                raise SmtpError(f"EHLO and HELO refused: {_text(code, text)}", code)
            return
        for line in text.decode("utf-8", "replace").split("\n")[1:]:
            keyword, _, params = line.strip().partition(" ")
            keyword = keyword.upper()
            if keyword.startswith("AUTH="):  # the pre-standard form, "AUTH=LOGIN PLAIN"
                params = f"{keyword[5:]} {params}"
                keyword = "AUTH"
                params = f"{self.extensions.get('AUTH', '')} {params}".strip()
            if keyword:
                self.extensions[keyword] = params.strip()

    async def _auth(self, username: str, password: str) -> None:
        if not may_send_credentials(self.relay.host, self.tls_active):
            raise InsecureAuthError(f"refusing to send credentials in clear to {self.relay.host}")
        mechanisms = self.extensions.get("AUTH", "").upper().split()
        user, secret = username.encode(), password.encode()
        if "PLAIN" in mechanisms:
            token = base64.b64encode(b"\0" + user + b"\0" + secret)
            code, text = await self._command(b"AUTH PLAIN %s\r\n" % token)
            if code == 334:  # the relay wants the initial response on its own line
                code, text = await self._command(token + b"\r\n")
        elif "LOGIN" in mechanisms:
            code, text = await self._command(b"AUTH LOGIN\r\n")
            if code == 334:
                code, text = await self._command(base64.b64encode(user) + b"\r\n")
            if code == 334:
                code, text = await self._command(base64.b64encode(secret) + b"\r\n")
        else:
            raise AuthError(
                f"relay offers no AUTH PLAIN or LOGIN (AUTH {' '.join(mechanisms) or 'absent'})"
            )
        if code != 235:
            if code == 334:  # a challenge we cannot answer: cancel the exchange
                await self._command(b"*\r\n")
            raise AuthError(f"relay login failed: {_text(code, text)}", code)

    async def _command(self, line: bytes | None) -> tuple[int, bytes]:
        """Write one command (None: just read) and read its reply, within the timeout."""
        if line is not None:
            self._writer.write(line)
        async with asyncio.timeout(self.timeout):
            return await self._read_reply()

    async def _read_reply(self) -> tuple[int, bytes]:
        """One reply: (code, text); lines of a multi-line reply are joined by "\\n"."""
        readuntil = self._reader.readuntil
        line = await readuntil(b"\r\n")
        head = line[:4]
        sep = head[3:]
        if len(line) < 5 or not head[:3].isdigit() or sep not in b" -\r" or line[0] not in b"2345":
            raise SmtpProtocolError(f"malformed reply from relay: {bytes(line[:80])!r}")
        code = int(head[:3])
        text = line[4:-2]
        if sep == b"-":
            lines = [text]
            while True:
                line = await readuntil(b"\r\n")
                if line[:3] != head[:3] or len(line) < 5 or line[3:4] not in b" -\r":
                    raise SmtpProtocolError(f"malformed reply from relay: {bytes(line[:80])!r}")
                lines.append(line[4:-2])
                if line[3:4] != b"-":
                    break
                if len(lines) > 1000:
                    raise SmtpProtocolError("reply from relay has too many lines")
            text = b"\n".join(lines)
        if code == 421:
            raise _ServiceClosing(_text(code, text), code)
        return code, text

    # --- sending ---------------------------------------------------------------------------

    async def send_batch(self, items: list[Envelope]) -> list[SendResult]:
        """Send each envelope; one result per envelope, in order. Never raises for relay or
        connection problems (those become "temporary" results); connects when needed."""
        results: list[SendResult | None] = [None] * len(items)
        todo: list[int] = []
        for i, env in enumerate(items):
            problem = _address_problem(env.sender, sender=True) or _address_problem(
                env.recipient, sender=False
            )
            if problem:
                results[i] = SendResult("unsupported", None, problem)
            else:
                todo.append(i)
        if todo:
            reused = self.is_connected
            if not reused and not await self._connect_for_batch(results, todo):
                return results  # type: ignore[return-value]
            prepared = self._prepare(items, todo, results)
            if prepared:
                await self._run(prepared, results, reused, items)
        return results  # type: ignore[return-value]

    async def _connect_for_batch(self, results: list[SendResult | None], todo: list[int]) -> bool:
        try:
            await self.connect()
            return True
        except AuthError as exc:
            log.error("relay %s refused our login: %s", self.relay.display, exc)
            failure = SendResult("temporary", exc.code, str(exc)[:TEXT_LIMIT])
        except SmtpError as exc:
            log.error("relay %s: %s", self.relay.display, exc)
            failure = SendResult(
                "temporary", exc.code, f"connection failed: {type(exc).__name__}: {exc}"[:1000]
            )
        except _CONNECTION_ERRORS as exc:
            log.warning("relay %s: connection failed: %r", self.relay.display, exc)
            failure = SendResult(
                "temporary", None, f"connection failed: {type(exc).__name__}: {exc}"[:1000]
            )
        for i in todo:
            results[i] = failure
        return False

    def _prepare(
        self, items: list[Envelope], todo: list[int], results: list[SendResult | None]
    ) -> list[tuple[int, bytes, bytes, bytes]]:
        """(index, MAIL command, RCPT command, data) for each message that can be sent."""
        smtputf8 = self.smtputf8
        eightbit = self.eightbitmime
        has_size = "SIZE" in self.extensions
        max_size = self.max_size
        prepared = []
        for i in todo:
            env = items[i]
            sender, recipient, data = env.sender, env.recipient, env.data
            params = b""
            if not (sender.isascii() and recipient.isascii()):
                if not smtputf8:
                    results[i] = SendResult(
                        "unsupported",
                        None,
                        "relay does not offer SMTPUTF8, needed for the internationalized "
                        f"address {recipient if not recipient.isascii() else sender!r}",
                    )
                    continue
                params = b" SMTPUTF8"
            size = len(data)
            if max_size is not None and size > max_size:
                results[i] = SendResult(
                    "unsupported",
                    552,
                    f"message is {size} bytes, larger than the relay's limit of "
                    f"{max_size} bytes (SIZE)",
                )
                continue
            if has_size:
                params = b" SIZE=%d%s" % (size, params)
            if not data.isascii():
                if eightbit:
                    params += b" BODY=8BITMIME"
                elif not params.endswith(b"SMTPUTF8"):
                    # Composed for a relay that offered 8BITMIME and no longer does: retried
                    # later, when the engine builds it as quoted-printable.
                    results[i] = SendResult(
                        "temporary",
                        None,
                        "relay no longer offers 8BITMIME, needed for this 8bit message",
                    )
                    continue
            prepared.append(
                (
                    i,
                    b"MAIL FROM:<%s>%s\r\n" % (sender.encode(), params),
                    b"RCPT TO:<%s>\r\n" % recipient.encode(),
                    data,
                )
            )
        return prepared

    async def _run(
        self,
        prepared: list[tuple[int, bytes, bytes, bytes]],
        results: list[SendResult | None],
        reused: bool,
        items: list[Envelope],
    ) -> None:
        for attempt in (1, 2):
            if attempt == 2:
                # Reconnected: the relay may offer something else now (8BITMIME, SIZE,
                # SMTPUTF8), so the commands are built again from its new EHLO.
                prepared = self._prepare(items, [i for i, *_ in prepared], results)
                if not prepared:
                    return
            self._progress = False
            try:
                if self.pipelining:
                    await self._send_pipelined(prepared, results)
                else:
                    await self._send_lockstep(prepared, results)
                return
            except _ServiceClosing as exc:
                self._abort()
                if attempt == 1 and reused and not self._progress and await self._reconnect():
                    continue
                log.warning("relay %s closed the connection: %s", self.relay.display, exc)
                pending = [i for i, *_ in prepared if results[i] is None]
                if pending:
                    results[pending[0]] = SendResult("temporary", exc.code, str(exc))
                rest = SendResult("temporary", exc.code, f"connection closed by relay: {exc}")
                for i in pending[1:]:
                    results[i] = rest
                return
            except (*_CONNECTION_ERRORS, SmtpProtocolError) as exc:
                self._abort()
                # A connection kept from an earlier batch may have been dropped by the relay
                # while idle. Nothing was answered (so no content was sent): retry once.
                if attempt == 1 and reused and not self._progress and await self._reconnect():
                    continue
                if isinstance(exc, TimeoutError):
                    reason = f"connection failed: TimeoutError: no reply within {self.timeout} s"
                else:
                    reason = f"connection failed: {type(exc).__name__}: {exc}"
                log.warning("relay %s: %s", self.relay.display, reason)
                failure = SendResult("temporary", None, reason[:TEXT_LIMIT])
                for i, *_ in prepared:
                    if results[i] is None:
                        results[i] = failure
                return
            except BaseException:  # cancelled mid-conversation: the session state is unknown
                self._abort()
                raise

    async def _reconnect(self) -> bool:
        try:
            await self.connect()
            return True
        except (*_CONNECTION_ERRORS, SmtpError):
            return False

    async def _send_pipelined(
        self, prepared: list[tuple[int, bytes, bytes, bytes]], results: list[SendResult | None]
    ) -> None:
        read = self._read_reply
        write = self._writer.write
        timeout = self.timeout
        n = len(prepared)
        # The first group; afterwards every write carries the previous message's content (or
        # RSET) and the next group, and every round trip reads their replies.
        _, mail_cmd, rcpt_cmd, _ = prepared[0]
        write(b"".join((mail_cmd, rcpt_cmd, _DATA)))
        end_for: int | None = None  # index whose end-of-data reply is due
        end_ok = False  # that content was the real message (MAIL and RCPT accepted)
        early: SendResult | None = None  # else the result decided by MAIL or RCPT
        rset_due = False
        k = 0
        while True:
            async with asyncio.timeout(timeout):
                if end_for is not None:
                    code, text = await read()
                    if end_ok:
                        if 200 <= code < 300:
                            results[end_for] = SendResult("sent", code, _text(code, text))
                        else:
                            results[end_for] = _refusal(code, text)
                    else:
                        results[end_for] = early
                    end_for = None
                if rset_due:
                    await read()
                    rset_due = False
                if k >= n:
                    return
                mail = await read()
                rcpt = await read()
                dcode, dtext = await read()
            self._progress = True
            idx, _, _, data = prepared[k]
            mcode, mtext = mail
            rcode, rtext = rcpt
            mail_ok = 200 <= mcode < 300
            if not mail_ok:
                early = _sender_refused(mcode, mtext)
            elif not 200 <= rcode < 300:
                early = _refusal(rcode, rtext)
            else:
                early = None
            parts: list[bytes]
            if dcode == 354:
                # The relay wants content. After a refused MAIL or RCPT (a relay that does
                # not follow RFC 2920 here) send an empty message; its reply is ignored.
                end_for = idx
                end_ok = early is None
                parts = [dot_stuff(data) if end_ok else _END_ONLY]
            else:
                results[idx] = early or _refusal(dcode, dtext)
                rset_due = mail_ok  # a transaction is open: MAIL was accepted
                parts = [_RSET] if rset_due else []
            k += 1
            if k < n:
                _, mail_cmd, rcpt_cmd, _ = prepared[k]
                parts += (mail_cmd, rcpt_cmd, _DATA)
            if parts:
                write(b"".join(parts))

    async def _send_lockstep(
        self, prepared: list[tuple[int, bytes, bytes, bytes]], results: list[SendResult | None]
    ) -> None:
        command = self._command
        for idx, mail_cmd, rcpt_cmd, data in prepared:
            code, text = await command(mail_cmd)
            self._progress = True
            if not 200 <= code < 300:
                results[idx] = _sender_refused(code, text)
                continue
            code, text = await command(rcpt_cmd)
            if 200 <= code < 300:
                code, text = await command(_DATA)
                if code == 354:
                    code, text = await command(dot_stuff(data))
                    if 200 <= code < 300:
                        results[idx] = SendResult("sent", code, _text(code, text))
                    else:
                        results[idx] = _refusal(code, text)
                    continue
            results[idx] = _refusal(code, text)
            await command(_RSET)
