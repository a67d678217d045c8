"""Test SMTP servers: `FastSink`, a minimal, fast asyncio SMTP receiver with injectable faults.

aiosmtpd spends 1.2–1.7 ms of CPU per message; FastSink is a plain asyncio.Protocol that
handles whatever pipelined input arrives in one `data_received` call and answers it with one
write, so it can take tens of thousands of messages in a test. It speaks just enough SMTP:
EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT, enforcing the command sequence (503 for MAIL
inside a transaction, RCPT without MAIL, DATA without MAIL; 554 for DATA without a valid
recipient) so that a client that gets the pipelining wrong notices.

Use it from a test:

    with FastSink(rcpt_replies={"x@example.com": "550 5.1.1 no such user"}) as sink:
        relay = sink.relay          # RelayConfig for smtp://127.0.0.1:<port>
        ...                         # send with any client
        sink.messages               # [Received(mail_from, rcpt, data)], data un-dot-stuffed

The server runs on its own event loop in a daemon thread. Options can be changed while it
runs (they are read per command). Run `python -m tests.smtp_servers --port 2525` for a
standalone sink (throughput measurements from another process).
"""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from dataclasses import dataclass

from mailwright.conf import RelayConfig


@dataclass(frozen=True, slots=True)
class Received:
    mail_from: str
    rcpt: str
    data: bytes
    mail_params: str = ""


class BackgroundLoop:
    """An asyncio loop in a daemon thread, for servers and workers that tests run beside.

    close() closes the loop too: a loop left open warns when it is collected, and a collection
    that happens deep in another test's stack turns that warning into an error there."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def submit(self, coro):
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=5)
        if not self.thread.is_alive():
            self.loop.close()


def _reply(text: str | bytes) -> bytes:
    if isinstance(text, str):
        text = text.encode()
    return text if text.endswith(b"\r\n") else text + b"\r\n"


class FastSink:
    """A fast SMTP sink on 127.0.0.1 with an ephemeral port.

    Options (all may be changed while running):
      pipelining, eightbitmime, smtputf8: advertise these extensions (default True).
      size: advertise SIZE with this limit (None: no SIZE line; 0: "SIZE 0", no limit).
      starttls: advertise STARTTLS (it is never actually implemented: the reply is 454).
      rcpt_replies: recipient -> reply to its RCPT (e.g. "550 5.1.1 no such user").
      mail_reply: a reply to every MAIL FROM (e.g. "530 5.7.0 Authentication required").
      data_replies: recipient -> reply to DATA for a transaction to it.
      data_end_replies: recipient -> reply after the content of a message to it.
      disconnect_after: close the connection once this many messages were stored in total,
        right after answering the last one.
      reply_421_after: once this many messages were stored, answer the next command with
        421 and close.
      garbage_after: once this many messages were stored, answer the next command with a
        line that is not an SMTP reply.
      reply_delay: seconds to hold back every reply after the greeting.
      store: keep the messages (False only counts them, for throughput runs).
    Counters: count (stored messages), mail_commands, rset_commands, connections,
    lockstep_violations (several commands in one read while pipelining is off).
    """

    def __init__(
        self,
        *,
        pipelining: bool = True,
        eightbitmime: bool = True,
        smtputf8: bool = True,
        size: int | None = None,
        starttls: bool = False,
        rcpt_replies: dict[str, str] | None = None,
        mail_reply: str | None = None,
        data_replies: dict[str, str] | None = None,
        data_end_replies: dict[str, str] | None = None,
        disconnect_after: int | None = None,
        reply_421_after: int | None = None,
        garbage_after: int | None = None,
        reply_delay: float = 0,
        store: bool = True,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.pipelining = pipelining
        self.eightbitmime = eightbitmime
        self.smtputf8 = smtputf8
        self.size = size
        self.starttls = starttls
        self.rcpt_replies = dict(rcpt_replies or {})
        self.mail_reply = mail_reply
        self.data_replies = dict(data_replies or {})
        self.data_end_replies = dict(data_end_replies or {})
        self.disconnect_after = disconnect_after
        self.reply_421_after = reply_421_after
        self.garbage_after = garbage_after
        self.reply_delay = reply_delay
        self.store = store
        self.host = host
        self.port = port
        self.messages: list[Received] = []
        self.count = 0
        self.mail_commands = 0
        self.rset_commands = 0
        self.connections = 0
        self.max_live = 0  # most connections open at the same time
        self.rcpt_counts: Counter[str] = Counter()  # kept even with store=False
        self.lockstep_violations = 0
        self._bg: BackgroundLoop | None = None
        self._server: asyncio.AbstractServer | None = None

    # --- lifecycle -------------------------------------------------------------------------

    @property
    def relay(self) -> RelayConfig:
        return RelayConfig(f"smtp://{self.host}:{self.port}")

    def relay_url(self, query: str = "") -> str:
        return f"smtp://{self.host}:{self.port}{query}"

    async def serve(self) -> asyncio.AbstractServer:
        """Start listening on the running loop (for use without the background thread)."""
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: _SinkProtocol(self), host=self.host, port=self.port, backlog=512
        )
        self.port = self._server.sockets[0].getsockname()[1]
        return self._server

    def start(self) -> FastSink:
        self._bg = BackgroundLoop()
        self._bg.submit(self.serve()).result(timeout=5)
        return self

    def stop(self) -> None:
        if self._bg is None:
            return
        server, bg = self._server, self._bg
        self._bg = None

        async def shutdown():
            server.close()
            for protocol in list(_SinkProtocol.live.get(id(self), ())):
                protocol.transport.abort()

        bg.submit(shutdown()).result(timeout=5)
        bg.close()

    def __enter__(self) -> FastSink:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def recipients(self) -> list[str]:
        return [m.rcpt for m in self.messages]

    def _record(self, mail_from: str, rcpt: str, data: bytes, params: str) -> None:
        self.count += 1
        self.rcpt_counts[rcpt] += 1
        if self.store:
            self.messages.append(Received(mail_from, rcpt, data, params))


def _unstuff(content: bytes) -> bytes:
    if content[:2] == b"..":
        content = content[1:]
    return content.replace(b"\r\n..", b"\r\n.")


def _path(arg: bytes, prefix: bytes) -> tuple[str, str] | None:
    """Parse 'FROM:<addr> PARAMS' -> (addr, params) or None."""
    if arg[: len(prefix)].upper() != prefix:
        return None
    rest = arg[len(prefix) :].lstrip()
    if rest[:1] != b"<":
        return None
    end = rest.find(b">")
    if end < 0:
        return None
    return rest[1:end].decode("utf-8", "replace"), rest[end + 1 :].strip().decode()


class _SinkProtocol(asyncio.Protocol):
    live: dict[int, set[_SinkProtocol]] = {}

    def __init__(self, sink: FastSink) -> None:
        self.sink = sink
        self.buf = bytearray()
        self.in_data = False
        self.data_start = 0
        self.mail_from: str | None = None
        self.mail_params = ""
        self.rcpts: list[str] = []
        self.closing = False
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport) -> None:
        self.transport = transport
        self.sink.connections += 1
        live = self.live.setdefault(id(self.sink), set())
        live.add(self)
        self.sink.max_live = max(self.sink.max_live, len(live))
        transport.write(b"220 fastsink ESMTP\r\n")

    def connection_lost(self, exc) -> None:
        self.live.get(id(self.sink), set()).discard(self)

    def _send(self, out: list[bytes], close: bool) -> None:
        if not out and not close:
            return
        payload = b"".join(out)
        delay = self.sink.reply_delay
        if delay:
            loop = asyncio.get_running_loop()
            loop.call_later(delay, self._deliver, payload, close)
        else:
            self._deliver(payload, close)
        if close:
            self.closing = True

    def _deliver(self, payload: bytes, close: bool) -> None:
        if self.transport.is_closing():
            return
        if payload:
            self.transport.write(payload)
        if close:
            self.transport.close()

    def data_received(self, data: bytes) -> None:
        if self.closing:
            return
        buf = self.buf
        buf += data
        out: list[bytes] = []
        pos = 0
        close = False
        sink = self.sink
        commands_here = 0
        while True:
            if self.in_data:
                end = buf.find(b"\r\n.\r\n", max(self.data_start - 2, pos - 2, 0))
                if end < 0:
                    break
                content = bytes(buf[self.data_start : end + 2]) if end >= self.data_start else b""
                pos = end + 5
                self.in_data = False
                out.append(self._end_of_data(_unstuff(content)))
                if sink.disconnect_after is not None and sink.count >= sink.disconnect_after:
                    close = True
                    break
                continue
            eol = buf.find(b"\r\n", pos)
            if eol < 0:
                break
            line = bytes(buf[pos:eol])
            pos = eol + 2
            commands_here += 1
            if commands_here > 1 and not sink.pipelining:
                sink.lockstep_violations += 1
            if sink.garbage_after is not None and sink.count >= sink.garbage_after:
                out.append(b"garbage, not SMTP\r\n")
                close = True
                break
            if sink.reply_421_after is not None and sink.count >= sink.reply_421_after:
                out.append(b"421 4.3.2 fastsink shutting down\r\n")
                close = True
                break
            reply, close = self._command(line)
            out.append(reply)
            if close:
                break
            if self.in_data:
                self.data_start = pos
        if self.in_data:
            # keep the CRLF before the content so a terminator right at its start is found
            keep = max(self.data_start - 2, 0)
            del buf[:keep]
            self.data_start -= keep
        else:
            del buf[:pos]
        self._send(out, close)

    def _reset(self) -> None:
        self.mail_from = None
        self.mail_params = ""
        self.rcpts = []

    def _command(self, line: bytes) -> tuple[bytes, bool]:
        sink = self.sink
        verb = line[:4].upper()
        arg = line[5:] if len(line) > 4 else b""
        if verb == b"MAIL":
            sink.mail_commands += 1
            if self.mail_from is not None:
                return b"503 5.5.1 nested MAIL command\r\n", False
            parsed = _path(arg, b"FROM:")
            if parsed is None:
                return b"501 5.5.4 syntax: MAIL FROM:<address>\r\n", False
            if sink.mail_reply:
                return _reply(sink.mail_reply), False
            address, params = parsed
            words = params.upper().split()
            if not address.isascii() and "SMTPUTF8" not in words:
                return b"553 5.6.7 non-ASCII address needs SMTPUTF8\r\n", False
            for word in words:
                if word.startswith("SIZE=") and sink.size and int(word[5:]) > sink.size:
                    return b"552 5.3.4 message too big\r\n", False
            self.mail_from, self.mail_params = address, params
            return b"250 2.1.0 Ok\r\n", False
        if verb == b"RCPT":
            if self.mail_from is None:
                return b"503 5.5.1 need MAIL command\r\n", False
            parsed = _path(arg, b"TO:")
            if parsed is None:
                return b"501 5.5.4 syntax: RCPT TO:<address>\r\n", False
            address = parsed[0]
            if address in sink.rcpt_replies:
                return _reply(sink.rcpt_replies[address]), False
            if not address.isascii() and "SMTPUTF8" not in self.mail_params.upper():
                return b"553 5.6.7 non-ASCII address needs SMTPUTF8\r\n", False
            self.rcpts.append(address)
            return b"250 2.1.5 Ok\r\n", False
        if verb == b"DATA":
            if self.mail_from is None:
                return b"503 5.5.1 need MAIL command\r\n", False
            if not self.rcpts:
                return b"554 5.5.1 no valid recipients\r\n", False
            for rcpt in self.rcpts:
                if rcpt in sink.data_replies:
                    return _reply(sink.data_replies[rcpt]), False
            self.in_data = True
            return b"354 End data with <CR><LF>.<CR><LF>\r\n", False
        if verb == b"RSET":
            sink.rset_commands += 1
            self._reset()
            return b"250 2.0.0 Ok\r\n", False
        if verb == b"NOOP":
            return b"250 2.0.0 Ok\r\n", False
        if verb == b"QUIT":
            return b"221 2.0.0 Bye\r\n", True
        if verb in (b"EHLO", b"HELO"):
            self._reset()
            if verb == b"HELO":
                return b"250 fastsink\r\n", False
            lines = ["fastsink"]
            if sink.pipelining:
                lines.append("PIPELINING")
            if sink.size is not None:
                lines.append(f"SIZE {sink.size}")
            if sink.eightbitmime:
                lines.append("8BITMIME")
            if sink.smtputf8:
                lines.append("SMTPUTF8")
            if sink.starttls:
                lines.append("STARTTLS")
            body = "".join(f"250-{item}\r\n" for item in lines[:-1])
            return f"{body}250 {lines[-1]}\r\n".encode(), False
        if verb == b"STAR":
            return b"454 4.7.0 TLS not available\r\n", False
        return b"502 5.5.2 command not recognized\r\n", False

    def _end_of_data(self, content: bytes) -> bytes:
        sink = self.sink
        mail_from, rcpts, params = self.mail_from, self.rcpts, self.mail_params
        self._reset()
        for rcpt in rcpts:
            if rcpt in sink.data_end_replies:
                return _reply(sink.data_end_replies[rcpt])
        if sink.size and len(content) > sink.size:
            return b"552 5.3.4 message too big\r\n"
        for rcpt in rcpts:
            sink._record(mail_from, rcpt, content, params)
        return b"250 2.0.0 Ok: queued as %d\r\n" % sink.count


def _main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description="run a FastSink SMTP server")
    parser.add_argument("--port", type=int, default=2525)
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args()
    sink = FastSink(host=args.host, port=args.port, store=False)

    async def run():
        server = await sink.serve()
        print(f"FastSink listening on {sink.host}:{sink.port}", flush=True)
        async with server:
            while True:
                await asyncio.sleep(5)
                print(f"{sink.count} messages", flush=True)

    asyncio.run(run())


if __name__ == "__main__":
    _main()
