"""The delivery engine: lanes that each pick a relay, claim a batch, render, sign and send it
over a persistent SMTP connection, and record the batch's results.

It depends only on a Store (database side, store.py) and a transport factory (SMTP side),
so it can be tested without a web process. Database work happens per batch, on one thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.db import connections
from django.utils import timezone

from mailwright.campaigns.rendering import TemplateError
from mailwright.conf import RelayConfig
from mailwright.delivery import heartbeats, ledger, wake
from mailwright.delivery.compose import Composer
from mailwright.delivery.limits import looks_like_rate_limit
from mailwright.delivery.mime import HeaderInjection
from mailwright.delivery.models import Delivery
from mailwright.delivery.relays import RelayChoice, pick
from mailwright.delivery.results import Envelope
from mailwright.delivery.smtp_client import SmtpClient
from mailwright.delivery.store import OrmStore, Store

log = logging.getLogger(__name__)
S = ledger.S
RELAY_REFRESH_SECONDS = 30
SEND_CHUNK = 50  # messages composed, then pipelined to the relay, at a time per lane
# A batch still sending after this long looks for service mail between its chunks (at once
# after a wake-up nudge), so a slow or rate-limited relay does not hold it behind marketing.
SERVICE_CHECK_SECONDS = 0.5
SERVICE = Delivery.Stream.SERVICE
STATE_FOR = {
    "sent": S.SENT,
    "temporary": S.DEFERRED,
    "permanent": S.BOUNCED,
    "unsupported": S.FAILED,
}


def default_transport(relay: RelayConfig):
    return SmtpClient(relay, timeout=settings.RELAY_TIMEOUT)


class Engine:
    def __init__(
        self,
        relay: RelayConfig | list[RelayChoice] | None = None,
        *,
        lanes: int | None = None,
        batch_size: int | None = None,
        lease_seconds: int | None = None,
        idle_seconds: float | None = None,
        worker_id: str | None = None,
        store: Store | None = None,
        transport_factory=None,
        heartbeat: bool = True,
    ) -> None:
        if isinstance(relay, RelayConfig):
            self._fixed_relays = [RelayChoice(key=relay.name[:64], config=relay)]
        else:
            self._fixed_relays = relay  # None: read from the store (UI rows, else settings)
        self.lanes = lanes or settings.WORKER_CONNECTIONS
        self.batch_size = batch_size or settings.WORKER_BATCH_SIZE
        self.lease_seconds = lease_seconds or settings.WORKER_LEASE_SECONDS
        self.idle_seconds = settings.WORKER_IDLE_SECONDS if idle_seconds is None else idle_seconds
        self.heartbeat = heartbeat
        self.worker_id = worker_id or heartbeats.new_worker_id(heartbeats.identity())
        self.store = store or OrmStore()
        self.transport_factory = transport_factory or default_transport
        self.composer = Composer()
        self.stopping = asyncio.Event()
        self.sent = 0
        self._relays: list[RelayChoice] = []
        self._relays_at = 0.0
        self._backed_off: dict[str, float] = {}  # relay key -> monotonic time it may resume
        self._backoff_at = 0.0
        # Wake-ups (wake.py): a count every lane compares with the last it saw, and the
        # idle lanes' futures, oldest first: a wake-up ends one lane's idle wait.
        self._wakeups = 0
        self._sleepers: list[asyncio.Future] = []

    def stop(self) -> None:
        """Finish the batches in flight, then return from run()."""
        self.stopping.set()
        for sleeper in self._sleepers:
            if not sleeper.done():
                sleeper.set_result(None)

    def wake(self) -> None:
        """Service mail was queued: one idle lane claims now (it takes all that is due; waking
        every lane would make the others claim nothing, once per message of a burst), and
        busy lanes look for it between their chunks."""
        self._wakeups += 1
        while self._sleepers:
            sleeper = self._sleepers.pop(0)
            if not sleeper.done():
                sleeper.set_result(None)
                return

    def _on_nudge(self, listener: wake.Listener) -> None:
        if listener.drain():
            self.wake()

    async def run(self, *, until_idle: bool = False) -> int:
        """Send until stopped (or, with until_idle, until nothing is due). Returns messages sent."""
        # All database work runs on one thread: batches are small, SQLite has one writer
        # anyway, and the thread's connection is closed when the engine stops.
        self._db = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mw-db")
        beat = heartbeats.Heartbeat(self.worker_id) if self.heartbeat else None
        beating = None
        loop = asyncio.get_running_loop()
        listener = wake.listen(self.worker_id)
        if listener is not None:
            loop.add_reader(listener.fileno(), self._on_nudge, listener)
        try:
            await self._refresh_relays(force=True)
            if beat is not None:
                # Registered, and dead predecessors' leases handed back, before any claim.
                await self._in_db(beat.start)
                beating = asyncio.create_task(self._beat(beat))
            log.info(
                "delivery worker %s: %d lanes, batches of %d, relays %s",
                self.worker_id,
                self.lanes,
                self.batch_size,
                ", ".join(r.config.display for r in self._relays),
            )
            await asyncio.gather(*(self._lane(i, until_idle) for i in range(self.lanes)))
        finally:
            if beating is not None:
                beating.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await beating
            if beat is not None:
                with contextlib.suppress(Exception):
                    await self._in_db(beat.stop)
            if listener is not None:
                loop.remove_reader(listener.fileno())
                listener.close()
            await self._in_db(connections.close_all)
            self._db.shutdown(wait=True)
        return self.sent

    async def _beat(self, beat: heartbeats.Heartbeat) -> None:
        """Every HEARTBEAT_SECONDS: the heartbeat row, and any dead worker on this host."""
        while True:
            await asyncio.sleep(heartbeats.HEARTBEAT_SECONDS)
            try:
                await self._in_db(beat.beat, self.sent)
            except Exception:  # a database hiccup must not stop sending
                log.exception("delivery worker %s: heartbeat failed", self.worker_id)

    async def _in_db(self, fn, *args):
        return await asyncio.get_running_loop().run_in_executor(self._db, fn, *args)

    async def _refresh_relays(self, force: bool = False) -> None:
        if self._fixed_relays is not None:
            self._relays = self._fixed_relays
            return
        if force or time.monotonic() - self._relays_at > RELAY_REFRESH_SECONDS:
            self._relays = await self._in_db(self.store.relays)
            self._relays_at = time.monotonic()

    async def _refresh_backoff(self) -> None:
        """Relays backed off by any worker (after 421 or rate-limit answers) are not used."""
        if time.monotonic() - self._backoff_at < 1.0:
            return
        keys = {r.key for r in self._relays}
        throttled = await self._in_db(self.store.throttled, keys)
        now = self._backoff_at = time.monotonic()  # only once known: lanes must not skip ahead
        for key in throttled:
            self._backed_off[key] = max(self._backed_off.get(key, 0), now + 1.0)

    async def _idle(self, seen: int) -> None:
        """Wait MW_WORKER_IDLE_SECONDS, or less: until stopped or woken (unless a wake-up came
        since the lane last looked, `seen`: then not at all)."""
        if self._wakeups != seen or self.stopping.is_set():
            return
        sleeper = asyncio.get_running_loop().create_future()
        self._sleepers.append(sleeper)
        try:
            await asyncio.wait_for(sleeper, timeout=self.idle_seconds)
        except TimeoutError:
            pass
        finally:
            if sleeper in self._sleepers:
                self._sleepers.remove(sleeper)

    async def _lane(self, index: int, until_idle: bool) -> None:
        transports: dict[str, object] = {}
        slots: dict[str, int] = {}
        owner = f"{self.worker_id}/{index}"
        resting: dict[str, float] = {}  # relay key -> monotonic time it may be tried again
        seen = self._wakeups
        urgent = False  # woken for service mail: the next claim is on a relay that carries it
        try:
            while not self.stopping.is_set():
                if seen != self._wakeups:
                    # Service mail was queued: the relays that carry it are worth a claim now.
                    seen, urgent = self._wakeups, True
                    service = {r.key for r in self._relays if SERVICE in r.streams}
                    resting = {k: t for k, t in resting.items() if k not in service}
                await self._refresh_relays()
                await self._refresh_backoff()
                now = time.monotonic()
                unavailable = {k for k, t in resting.items() if t > now}
                unavailable |= {k for k, t in self._backed_off.items() if t > now}
                choices = self._relays
                if urgent:
                    urgent = False
                    carry = [
                        r for r in choices if SERVICE in r.streams and r.key not in unavailable
                    ]
                    choices = carry or choices
                relay = pick(choices, unavailable)
                if relay is None:
                    if until_idle:
                        return
                    await self._idle(seen)
                    continue
                if relay.config.concurrency and relay.key not in slots:
                    slot = await self._in_db(
                        self.store.acquire_slot,
                        relay.key,
                        relay.config.concurrency,
                        owner,
                        self.lease_seconds,
                    )
                    if slot is None:  # every connection slot of this relay is in use
                        resting[relay.key] = now + max(self.idle_seconds, 0.2)
                        continue
                    slots[relay.key] = slot
                size = self.batch_size
                if relay.config.rate:
                    # About one second of the relay's rate across this worker's lanes, so a
                    # lane's next claim (which takes service mail first) is never booked far
                    # behind the others' marketing batches.
                    size = min(size, max(1, int(relay.config.rate / self.lanes)))
                batch = await self._in_db(
                    self.store.claim, self.worker_id, size, self.lease_seconds, relay
                )
                if not batch:
                    resting[relay.key] = now + self.idle_seconds
                    if relay.key in slots:
                        await self._in_db(
                            self.store.release_slot, relay.key, slots.pop(relay.key), owner
                        )
                    if until_idle and all(
                        r.key in resting or self._backed_off.get(r.key, 0) > now
                        for r in self._relays
                    ):
                        return
                    continue
                resting.clear()
                transport = transports.get(relay.key)
                if transport is None:
                    transport = transports[relay.key] = self.transport_factory(relay.config)
                outcomes = await self._send_batch(relay, transport, batch)
                await self._in_db(self.store.record, batch, outcomes)
        finally:
            for transport in transports.values():
                await transport.close()
            for key, slot in slots.items():
                await self._in_db(self.store.release_slot, key, slot, owner)

    def _prepare(self, batch):
        """On the database thread: what composing needs, and each campaign compiled (which
        stores its tracked links) before the event loop renders from the cache."""
        prepared = self.store.prepare(batch)
        self.composer.load_brand()
        wanted = {(d.campaign_id, d.variant): d.campaign for d in batch if d.campaign_id}
        for (_, variant), campaign in wanted.items():
            self.composer.compiled(campaign, variant=variant)
        return prepared

    async def _send_batch(
        self, relay: RelayChoice, transport, batch, *, service_check: bool = True
    ) -> list[ledger.Outcome]:
        """Compose and send the batch a chunk at a time (SEND_CHUNK messages pipelined per
        round trip): a lane holds one chunk's bytes, not the whole batch's (~16 KB each).
        Between chunks, service mail queued meanwhile goes first (_service_between)."""
        self.composer.refresh(*await self._in_db(self._prepare, batch))
        outcomes: dict[int, ledger.Outcome] = {}
        throttle_keys: dict[str, str] = {}
        ok = False
        checked = time.monotonic()
        seen = self._wakeups
        service_check = service_check and SERVICE in relay.streams
        for start in range(0, len(batch), SEND_CHUNK):
            chunk = batch[start : start + SEND_CHUNK]
            now = time.monotonic()
            if (
                start
                and service_check
                and (seen != self._wakeups or now - checked >= SERVICE_CHECK_SECONDS)
            ):
                seen, checked = self._wakeups, now
                await self._service_between(relay, transport)
            pending = self._compose_chunk(chunk, transport, outcomes)
            if not pending:
                continue
            if relay.config.rate:
                begin = await self._in_db(
                    self.store.schedule, relay.key, relay.config.rate, len(pending)
                )
                delay = (begin - timezone.now()).total_seconds()
                if delay > 0:
                    await asyncio.sleep(delay)
            results = await transport.send_batch([env for _, _, env in pending])
            for (d, message_id, _), result in zip(pending, results, strict=True):
                state = STATE_FOR[result.kind]
                if state == S.SENT:
                    self.sent += 1
                    ok = True
                elif state == S.DEFERRED and looks_like_rate_limit(result.code, result.text):
                    relay_level = result.code == 421 or result.text.startswith(
                        ("connection", "sender refused", "relay login")
                    )
                    key = relay.key if relay_level else f"domain:{d.domain}"
                    throttle_keys[key[:64]] = result.text
                outcomes[d.id] = ledger.Outcome(d.id, state, result.code, result.text, message_id)
        for key, reason in throttle_keys.items():
            until = await self._in_db(self.store.throttle, key, reason)
            log.warning("backing off %s until %s: %s", key, until, reason[:200])
            if key == relay.key:
                wait = max(0.0, (until - timezone.now()).total_seconds())
                self._backed_off[key] = time.monotonic() + wait
        if ok and not throttle_keys:
            await self._in_db(self.store.recover, {relay.key})
        return [outcomes[d.id] for d in batch]

    async def _service_between(self, relay: RelayChoice, transport) -> bool:
        """Claim, send and record the service mail that is due (one chunk's worth), in the
        middle of a marketing batch. Returns whether there was any."""
        urgent = await self._in_db(
            self.store.claim, self.worker_id, SEND_CHUNK, self.lease_seconds, relay, SERVICE
        )
        if not urgent:
            return False
        outcomes = await self._send_batch(relay, transport, urgent, service_check=False)
        await self._in_db(self.store.record, urgent, outcomes)
        return True

    def _compose_chunk(self, chunk, transport, outcomes) -> list[tuple[object, str, Envelope]]:
        """The chunk's messages, ready to send; those that cannot be sent get their outcome."""
        # What the relay said in its last EHLO (before the first connection: not known, so
        # quoted-printable); the client refuses an 8bit message if that changed since.
        eight_bit = settings.SMTP_8BITMIME and bool(getattr(transport, "eightbitmime", False))
        pending = []
        for d in chunk:
            if d.skip_reason:
                outcomes[d.id] = ledger.Outcome(d.id, S.SUPPRESSED, reply=d.skip_reason)
                continue
            if d.campaign_id is not None and d.contact is None:
                outcomes[d.id] = ledger.Outcome(d.id, S.FAILED, reply="contact deleted")
                continue
            try:
                message_id, data = self.composer.compose(d, eight_bit=eight_bit)
            except (TemplateError, HeaderInjection) as exc:
                outcomes[d.id] = ledger.Outcome(d.id, S.FAILED, reply=f"render failed: {exc}")
                continue
            except Exception as exc:
                # One bad message must not stop the batch (or the worker).
                log.exception("delivery %s could not be composed", d.id)
                reply = f"could not build the message: {type(exc).__name__}: {exc}"
                outcomes[d.id] = ledger.Outcome(d.id, S.FAILED, reply=reply)
                continue
            pending.append((d, message_id, Envelope(self.composer.sender(d), d.email, data)))
        return pending
