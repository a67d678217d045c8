"""The connection half of `SmtpClient`: connecting (implicit TLS or STARTTLS), EHLO, AUTH,
closing, and reading replies."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import functools
import ipaddress
import socket
import ssl

from mailwright.conf import RelayConfig
from mailwright.delivery.smtp_client.errors import (
    AuthError,
    InsecureAuthError,
    SmtpError,
    SmtpProtocolError,
    StartTlsUnavailable,
    _ServiceClosing,
)
from mailwright.delivery.smtp_client.wire import _text


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


class SmtpSession:
    """The connection to a relay that `SmtpClient` sends over; see `SmtpClient`."""

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
