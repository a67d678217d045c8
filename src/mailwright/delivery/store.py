"""The engine's database side, behind one small class: claim a batch, record a batch, and
the shared limits (slots, rate schedule, back-off). Every method is called from the engine's
database thread, never per message."""

from __future__ import annotations

from typing import Protocol

from django.db import close_old_connections

from mailwright.consent import organisation
from mailwright.delivery import ledger, limits, policy, relays
from mailwright.delivery.dkim import signer_for


class Store(Protocol):
    def relays(self) -> list[relays.RelayChoice]: ...
    def claim(self, worker: str, size: int, lease: int, relay, stream=None) -> list: ...
    def record(self, batch: list, outcomes: list[ledger.Outcome]) -> None: ...
    def organisation(self): ...
    def prepare(self, batch: list) -> tuple[object, dict]: ...
    def acquire_slot(self, key: str, slots: int, owner: str, ttl: int) -> int | None: ...
    def release_slot(self, key: str, slot: int, owner: str) -> None: ...
    def schedule(self, key: str, rate: float, count: int): ...
    def throttle(self, key: str, reason: str): ...
    def recover(self, keys: set[str]) -> None: ...
    def throttled(self, keys: set[str]) -> set[str]: ...


class OrmStore:
    """The Store over Django's ORM (SQLite or PostgreSQL)."""

    def relays(self):
        close_old_connections()
        return relays.configured()

    def claim(self, worker, size, lease, relay, stream=None):
        close_old_connections()
        batch = ledger.claim_batch(worker, size, lease, relay, stream)
        if not batch:
            return batch
        # The consent policy is checked again at send time: someone may have unsubscribed,
        # paused or been suppressed since the audience was frozen.
        suppressed = policy.service_blocked({d.email for d in batch})
        # Says why (a message's state shows it): one more query, only when some are.
        reasons = policy.suppression_reasons(suppressed) if suppressed else {}
        marketing = [d for d in batch if d.campaign_id is not None]
        allowed = policy.marketing_still_allowed(marketing) if marketing else set()
        for d in batch:
            d.skip_reason = ""
            if d.email in suppressed:
                d.skip_reason = reasons.get(d.email) or "address is suppressed"
            elif d.campaign_id is not None and d.id not in allowed:
                d.skip_reason = "contact no longer consents (unsubscribed, paused or inactive)"
        return batch

    def record(self, batch, outcomes):
        ledger.record_batch(batch, outcomes)

    def organisation(self):
        return organisation.current()

    def prepare(self, batch):
        """What composing this batch needs from the database, fetched once: the organisation
        and a DKIM signer (or None) for every From domain in the batch."""
        org = organisation.current()
        domains = {
            ((d.campaign.from_email if d.campaign else "") or org.from_email)
            .rpartition("@")[2]
            .lower()
            for d in batch
        }
        return org, {domain: signer_for(domain) for domain in domains}

    def acquire_slot(self, key, slots, owner, ttl):
        return limits.acquire_slot(key, slots, owner, ttl)

    def release_slot(self, key, slot, owner):
        limits.release_slot(key, slot, owner)

    def schedule(self, key, rate, count):
        return limits.schedule(key, rate, count)

    def throttle(self, key, reason):
        return limits.throttle(key, reason)

    def recover(self, keys):
        limits.recover(keys)

    def throttled(self, keys):
        return limits.throttled(keys)
