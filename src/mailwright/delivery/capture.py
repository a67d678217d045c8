"""The capture relay: a local SMTP server that stores every message it receives, so the
default install can be used end to end without mail leaving the machine (Outbox → Captured).

Messages are written in batches; a client gets "250" only after its message is committed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from concurrent.futures import ThreadPoolExecutor
from email import policy
from email.parser import BytesHeaderParser

from aiosmtpd.smtp import SMTP, Envelope, Session
from django.db import close_old_connections, connections
from django.utils import timezone

from mailwright.delivery.models import CapturedMessage

log = logging.getLogger(__name__)
_headers = BytesHeaderParser(policy=policy.default)


def _header(msg, name: str, limit: int) -> str:
    try:
        value = msg.get(name)
        return " ".join(str(value).split())[:limit] if value is not None else ""
    except (ValueError, TypeError, IndexError, AttributeError):
        raw = msg.get_all(name, failobj=[""])[0] if hasattr(msg, "get_all") else ""
        return str(raw)[:limit]


def captured_from(mail_from: str, rcpt_tos: list[str], data: bytes) -> CapturedMessage:
    msg = _headers.parsebytes(data)
    return CapturedMessage(
        mail_from=mail_from[:320],
        recipients=[r[:320] for r in rcpt_tos],
        to=(rcpt_tos[0] if rcpt_tos else "")[:320],
        subject=_header(msg, "Subject", 998),
        message_id=_header(msg, "Message-ID", 300),
        size=len(data),
        raw=data,
        received_at=timezone.now(),
    )


class CaptureHandler:
    """aiosmtpd handler: queue each message for the batch writer, answer when it is stored."""

    def __init__(self, max_batch: int = 200) -> None:
        self.queue: asyncio.Queue[tuple[CapturedMessage, asyncio.Future]] = asyncio.Queue()
        self.max_batch = max_batch
        self._writer: asyncio.Task | None = None
        self._db = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mw-capture-db")
        self.stored = 0

    async def aclose(self) -> None:
        """Stop the writer and close the database connection of its thread."""
        if self._writer is not None:
            self._writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._writer
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._db, connections.close_all)
        self._db.shutdown(wait=True)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self._writer is None or self._writer.done():
            self._writer = asyncio.get_running_loop().create_task(self._write_loop())
        data = envelope.original_content or b""
        try:
            item = captured_from(envelope.mail_from or "", list(envelope.rcpt_tos), data)
        except Exception:
            log.exception("capture relay could not read a message's headers")
            return "451 4.3.0 Could not read the message; try again"
        done = asyncio.get_running_loop().create_future()
        await self.queue.put((item, done))
        try:
            await done
        except Exception:
            log.exception("capture relay could not store a message")
            return "451 4.3.0 Could not store the message; try again"
        return "250 2.0.0 OK: captured"

    async def _write_loop(self) -> None:
        while True:
            batch = [await self.queue.get()]
            while len(batch) < self.max_batch and not self.queue.empty():
                batch.append(self.queue.get_nowait())
            try:
                loop = asyncio.get_running_loop()
                await loop.run_in_executor(self._db, self._store, [item for item, _ in batch])
            except Exception as exc:
                for _, fut in batch:
                    if not fut.done():
                        fut.set_exception(exc)
            else:
                self.stored += len(batch)
                for _, fut in batch:
                    if not fut.done():
                        fut.set_result(None)

    @staticmethod
    def _store(items: list[CapturedMessage]) -> None:
        close_old_connections()
        CapturedMessage.objects.bulk_create(items, batch_size=200)


def make_smtp(handler: CaptureHandler, max_bytes: int) -> SMTP:
    return SMTP(
        handler,
        data_size_limit=max_bytes,
        enable_SMTPUTF8=True,
        decode_data=False,
        hostname="mailwright-capture",
        ident="Mailwright capture relay",
    )


async def serve(host: str, port: int, max_bytes: int, started: asyncio.Event | None = None):
    """Run the capture relay until cancelled."""
    handler = CaptureHandler()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: make_smtp(handler, max_bytes), host=host, port=port)
    log.info("capture relay listening on %s:%s", host, port)
    if started is not None:
        started.set()
    try:
        async with server:
            await server.serve_forever()
    finally:
        await handler.aclose()
