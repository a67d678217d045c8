"""The SMTP side of the engine: one persistent aiosmtplib connection per lane."""

from __future__ import annotations

import logging

import aiosmtplib

from mailwright.conf import RelayConfig
from mailwright.delivery.results import Envelope, SendResult

log = logging.getLogger(__name__)


class SmtpConnection:
    """A lazily opened, reused SMTP connection that reconnects after any failure."""

    def __init__(self, relay: RelayConfig, timeout: float = 30) -> None:
        self.relay = relay
        self.timeout = timeout
        self._smtp: aiosmtplib.SMTP | None = None

    async def _connect(self) -> aiosmtplib.SMTP:
        smtp = aiosmtplib.SMTP(
            hostname=self.relay.host,
            port=self.relay.port,
            use_tls=self.relay.tls == "tls",
            start_tls=True if self.relay.tls == "starttls" else False,
            timeout=self.timeout,
        )
        await smtp.connect()
        if self.relay.username:
            await smtp.login(self.relay.username, self.relay.password or "")
        return smtp

    async def send(self, sender: str, recipient: str, data: bytes) -> SendResult:
        try:
            if self._smtp is None or not self._smtp.is_connected:
                self._smtp = await self._connect()
            options = ["SMTPUTF8"] if not (sender.isascii() and recipient.isascii()) else None
            _, reply = await self._smtp.sendmail(sender, [recipient], data, mail_options=options)
            return SendResult("sent", 250, reply[:1000])
        except aiosmtplib.SMTPNotSupported as exc:
            return SendResult("unsupported", None, f"relay cannot send this message: {exc}"[:1000])
        except aiosmtplib.SMTPRecipientsRefused as exc:
            refused = exc.recipients[0]
            return _classify(refused.code, refused.message, recipient_stage=True)
        except aiosmtplib.SMTPSenderRefused as exc:
            # The relay refused *our* sender: not the recipient's fault, never a bounce.
            log.error(
                "relay %s refused the sender: %s %s", self.relay.display, exc.code, exc.message
            )
            return SendResult("temporary", exc.code, f"sender refused: {exc.message}"[:1000])
        except aiosmtplib.SMTPAuthenticationError as exc:
            await self.close()
            log.error("relay %s refused our login: %s", self.relay.display, exc.code)
            return SendResult("temporary", exc.code, f"relay login failed: {exc.message}"[:1000])
        except aiosmtplib.SMTPResponseException as exc:
            if exc.code in (421,) or exc.code < 200:
                await self.close()
            return _classify(exc.code, exc.message, recipient_stage=True)
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            await self.close()
            return SendResult(
                "temporary", None, f"connection failed: {type(exc).__name__}: {exc}"[:1000]
            )

    async def close(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            if smtp.is_connected:
                await smtp.quit()
        except (aiosmtplib.SMTPException, OSError, TimeoutError):
            smtp.close()


def _classify(code: int, message: str, *, recipient_stage: bool) -> SendResult:
    text = f"{code} {message}"[:1000]
    if 500 <= code < 600 and recipient_stage:
        return SendResult("permanent", code, text)
    return SendResult("temporary", code, text)


class AiosmtplibTransport:
    """The Transport protocol over aiosmtplib, one message at a time (no pipelining)."""

    def __init__(self, relay: RelayConfig, timeout: float = 30) -> None:
        self.conn = SmtpConnection(relay, timeout)

    async def send_batch(self, envelopes: list[Envelope]) -> list[SendResult]:
        return [await self.conn.send(e.sender, e.recipient, e.data) for e in envelopes]

    async def close(self) -> None:
        await self.conn.close()


def make_transport(relay: RelayConfig, timeout: float = 30):
    """The transport the engine uses for a relay: the lean pipelined client (smtp_client/);
    aiosmtplib's per-message overhead is too high for bulk mail (PERFORMANCE.md)."""
    from mailwright.delivery.smtp_client import SmtpClient

    return SmtpClient(relay, timeout=timeout)
