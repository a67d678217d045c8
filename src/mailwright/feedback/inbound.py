"""The inbound SMTP server for the bounce/reply domain (aiosmtpd). Mail for unknown local
parts is refused at RCPT, not accepted and dropped; oversized mail is refused at DATA with
the limit in the reply. A message is answered 250 only once it is stored."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from concurrent.futures import ThreadPoolExecutor

from aiosmtpd.smtp import SMTP
from django.conf import settings
from django.db import close_old_connections, connections

from mailwright.feedback import processing
from mailwright.feedback.models import InboundMessage

log = logging.getLogger(__name__)
LOCAL_PARTS = ("bounce", "unsubscribe", "fbl", "abuse", "postmaster", "reply")


def accepts(address: str, domains: set[str]) -> bool:
    """Whether the server takes mail for this address."""
    local, _, domain = address.rpartition("@")
    if not local or (domains and domain.lower() not in domains):
        return False
    base = local.lower().split("+", 1)[0]
    return base in LOCAL_PARTS


class InboundHandler:
    def __init__(self, domains: set[str] | None = None) -> None:
        self.domains = (
            domains
            if domains is not None
            else ({settings.BOUNCE_DOMAIN.lower()} if settings.BOUNCE_DOMAIN else set())
        )
        self._db = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mw-inbound-db")

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if not accepts(address, self.domains):
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or b""
        loop = asyncio.get_running_loop()
        try:
            # Stored once for all its recipients (a hundred RCPTs are not a hundred copies).
            await loop.run_in_executor(
                self._db,
                self._store_and_process,
                raw,
                envelope.mail_from or "",
                list(envelope.rcpt_tos),
            )
        except Exception:
            log.exception("inbound message could not be stored")
            return "451 4.3.0 Could not store the message; try again later"
        return "250 2.0.0 OK"

    @staticmethod
    def _store_and_process(raw: bytes, mail_from: str, rcpts: list[str]) -> InboundMessage:
        close_old_connections()
        message = processing.store(
            raw, source=InboundMessage.Source.SMTP, mail_from=mail_from, rcpt_tos=rcpts
        )
        return processing.process(message)  # never raises; failures are kept on the row

    async def aclose(self) -> None:
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._db, connections.close_all)
        self._db.shutdown(wait=True)


def make_smtp(handler: InboundHandler, max_bytes: int) -> SMTP:
    return SMTP(
        handler,
        data_size_limit=max_bytes,
        enable_SMTPUTF8=True,
        decode_data=False,
        hostname=settings.BOUNCE_DOMAIN or "mailwright-inbound",
        ident="Mailwright inbound",
    )


async def serve(host: str, port: int, max_bytes: int) -> None:
    handler = InboundHandler()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: make_smtp(handler, max_bytes), host=host, port=port)
    log.info("inbound SMTP server listening on %s:%s", host, port)
    try:
        async with server:
            await server.serve_forever()
    finally:
        with contextlib.suppress(Exception):
            await handler.aclose()
