"""The delivery engine: lanes that claim a batch, render and send it over a persistent SMTP
connection, and record the batch's results. Database work happens per batch, in a thread."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.db import close_old_connections, connections

from mailwright.campaigns import organisation
from mailwright.campaigns.rendering import TemplateError
from mailwright.conf import RelayConfig
from mailwright.consent import policy
from mailwright.delivery import ledger
from mailwright.delivery.compose import Composer
from mailwright.delivery.mime import HeaderInjection
from mailwright.delivery.transport import SmtpConnection

log = logging.getLogger(__name__)
S = ledger.S


class Engine:
    def __init__(
        self,
        relay: RelayConfig | None = None,
        *,
        lanes: int | None = None,
        batch_size: int | None = None,
        lease_seconds: int | None = None,
        idle_seconds: float | None = None,
        worker_id: str | None = None,
    ) -> None:
        self.relay = relay or settings.RELAY
        self.lanes = lanes or settings.WORKER_CONNECTIONS
        self.batch_size = batch_size or settings.WORKER_BATCH_SIZE
        self.lease_seconds = lease_seconds or settings.WORKER_LEASE_SECONDS
        self.idle_seconds = settings.WORKER_IDLE_SECONDS if idle_seconds is None else idle_seconds
        self.worker_id = worker_id or f"{socket.gethostname()}-{os.getpid()}"
        self.composer = Composer()
        self.stopping = asyncio.Event()
        self.sent = 0

    def stop(self) -> None:
        """Finish the batches in flight, then return from run()."""
        self.stopping.set()

    async def run(self, *, until_idle: bool = False) -> int:
        """Send until stopped (or, with until_idle, until nothing is due). Returns messages sent."""
        log.info(
            "delivery worker %s: %d lanes, batches of %d, relay %s",
            self.worker_id,
            self.lanes,
            self.batch_size,
            self.relay.display,
        )
        # All database work runs on one thread: batches are small, SQLite has one writer
        # anyway, and the thread's connection is closed when the engine stops.
        self._db = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mw-db")
        try:
            await asyncio.gather(*(self._lane(i, until_idle) for i in range(self.lanes)))
        finally:
            await self._in_db(connections.close_all)
            self._db.shutdown(wait=True)
        return self.sent

    async def _in_db(self, fn, *args):
        return await asyncio.get_running_loop().run_in_executor(self._db, fn, *args)

    async def _lane(self, index: int, until_idle: bool) -> None:
        conn = SmtpConnection(self.relay, timeout=settings.RELAY_TIMEOUT)
        try:
            while not self.stopping.is_set():
                batch = await self._in_db(self._claim)
                if not batch:
                    if until_idle:
                        return
                    await self._idle()
                    continue
                outcomes = await self._send_batch(conn, batch)
                await self._in_db(self._record, batch, outcomes)
        finally:
            await conn.close()

    async def _idle(self) -> None:
        try:
            await asyncio.wait_for(self.stopping.wait(), timeout=self.idle_seconds)
        except TimeoutError:
            pass

    def _claim(self):
        close_old_connections()
        batch = ledger.claim_batch(self.worker_id, self.batch_size, self.lease_seconds)
        if not batch:
            return batch
        # The consent policy is checked again at send time: someone may have unsubscribed,
        # paused or been suppressed since the audience was frozen.
        suppressed = policy.service_blocked({d.email for d in batch})
        marketing = [d for d in batch if d.campaign_id is not None]
        allowed = policy.marketing_still_allowed(marketing) if marketing else set()
        for d in batch:
            d.skip_reason = ""
            if d.email in suppressed:
                d.skip_reason = "address is suppressed"
            elif d.campaign_id is not None and d.id not in allowed:
                d.skip_reason = "contact no longer consents (unsubscribed, paused or inactive)"
        self.composer.organisation = organisation.current()
        return batch

    def _record(self, batch, outcomes) -> None:
        ledger.record_batch(batch, outcomes)

    async def _send_batch(self, conn: SmtpConnection, batch) -> list[ledger.Outcome]:
        outcomes = []
        for d in batch:
            if d.skip_reason:
                outcomes.append(ledger.Outcome(d.id, S.SUPPRESSED, reply=d.skip_reason))
                continue
            if d.campaign_id is not None and d.contact is None:
                outcomes.append(ledger.Outcome(d.id, S.FAILED, reply="contact deleted"))
                continue
            try:
                message_id, data = self.composer.compose(d)
            except (TemplateError, HeaderInjection) as exc:
                outcomes.append(ledger.Outcome(d.id, S.FAILED, reply=f"render failed: {exc}"))
                continue
            except Exception as exc:
                # One bad message must not stop the batch (or the worker): record it as
                # failed with the reason, keep going.
                log.exception("delivery %s could not be composed", d.id)
                reply = f"could not build the message: {type(exc).__name__}: {exc}"
                outcomes.append(ledger.Outcome(d.id, S.FAILED, reply=reply))
                continue
            result = await conn.send(self.composer.sender(d), d.email, data)
            state = {
                "sent": S.SENT,
                "temporary": S.DEFERRED,
                "permanent": S.BOUNCED,
                "unsupported": S.FAILED,
            }[result.kind]
            if state == S.SENT:
                self.sent += 1
            outcomes.append(ledger.Outcome(d.id, state, result.code, result.text, message_id))
        return outcomes
