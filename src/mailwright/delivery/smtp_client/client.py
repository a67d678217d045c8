"""The sending half of `SmtpClient`: checking and preparing a batch, then sending it
pipelined (RFC 2920) or in lock-step, with one reconnect for a connection dropped while idle.
The classification rules are in the package docstring."""

from __future__ import annotations

import asyncio
import logging

from mailwright.delivery.results import Envelope, SendResult
from mailwright.delivery.smtp_client.errors import (
    AuthError,
    SmtpError,
    SmtpProtocolError,
    _ServiceClosing,
)
from mailwright.delivery.smtp_client.session import SmtpSession
from mailwright.delivery.smtp_client.wire import (
    _DATA,
    _END_ONLY,
    _RSET,
    TEXT_LIMIT,
    _address_problem,
    _refusal,
    _sender_refused,
    _text,
    dot_stuff,
)

# The logger keeps the name it had when this was one module.
log = logging.getLogger("mailwright.delivery.smtp_client")

_CONNECTION_ERRORS = (
    OSError,
    EOFError,  # asyncio.IncompleteReadError: the relay closed mid-reply
    asyncio.LimitOverrunError,  # a reply line longer than the stream limit
    TimeoutError,
)


class SmtpClient(SmtpSession):
    """One SMTP connection to a relay. Not safe for concurrent use: one coroutine at a time.

    `timeout` bounds every wait for the relay (connecting, each reply round trip).
    `ssl_context` defaults to `ssl.create_default_context()` (system trust store, hostname
    checked); pass your own to trust a private CA or, in tests, a self-signed certificate.
    `local_hostname` is the EHLO name; default `socket.getfqdn()`, else the socket's address.
    """

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
