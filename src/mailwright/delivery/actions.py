"""Delivery actions outside the worker's batch record (which has its own batched writer in
`ledger.py`): a later bounce, relays, destination-domain policies, DKIM keys. Each atomic and
audited; secrets (relay passwords, private keys) never reach the audit log."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from mailwright.audit import log as audit
from mailwright.audit.actors import Actor
from mailwright.delivery import dkim
from mailwright.delivery.models import CapturedMessage, Delivery, DkimKey, DomainPolicy, Relay
from mailwright.delivery.relays import redact_relay_url


@transaction.atomic
def do_mark_bounced(delivery: Delivery, detail: str, *, by: Actor) -> bool:
    """A message the relay accepted bounced later (a DSN or a relay's webhook)."""
    changed = Delivery.objects.filter(pk=delivery.pk, state=Delivery.State.SENT).update(
        state=Delivery.State.BOUNCED, last_reply=f"bounced later: {detail}".strip()[:1000]
    )
    if changed:
        delivery.state = Delivery.State.BOUNCED
        audit.record(
            by,
            "delivery.bounced",
            "delivery",
            delivery.pk,
            before={"state": Delivery.State.SENT},
            after={"state": Delivery.State.BOUNCED},
        )
    return bool(changed)


# --- relays, destination-domain policies, DKIM keys ------------------------------------------

RELAY_FIELDS = ("name", "url", "stream", "weight", "enabled")
POLICY_FIELDS = ("domain", "hourly_cap", "warmup_start", "warmup_growth")


def _relay_view(relay: Relay) -> dict:
    """What the audit log keeps of a relay: never its credentials."""
    return {
        "name": relay.name,
        "url": redact_relay_url(relay.url),
        "stream": relay.stream,
        "weight": relay.weight,
        "enabled": relay.enabled,
    }


@transaction.atomic
def do_save_relay(relay: Relay | None, data: dict, *, by: Actor) -> Relay:
    """Create (relay=None) or change a relay; IntegrityError for a name in use."""
    before = _relay_view(relay) if relay is not None else None
    relay = relay or Relay()
    for name in RELAY_FIELDS:
        if name in data:
            setattr(relay, name, data[name])
    relay.save()
    action = "relay.create" if before is None else "relay.update"
    audit.record(by, action, "relay", relay.pk, before=before, after=_relay_view(relay))
    return relay


@transaction.atomic
def do_set_relay_enabled(relay: Relay, enabled: bool, *, by: Actor) -> None:
    Relay.objects.filter(pk=relay.pk).update(enabled=enabled)
    audit.record(
        by,
        "relay.enable" if enabled else "relay.disable",
        "relay",
        relay.pk,
        before={"enabled": relay.enabled},
        after={"enabled": enabled},
    )
    relay.enabled = enabled


@transaction.atomic
def do_delete_relay(relay: Relay, *, by: Actor) -> None:
    audit.record(by, "relay.delete", "relay", relay.pk, before=_relay_view(relay))
    relay.delete()


def _policy_view(policy: DomainPolicy) -> dict:
    return {name: getattr(policy, name) for name in POLICY_FIELDS}


@transaction.atomic
def do_save_domain_policy(policy: DomainPolicy | None, data: dict, *, by: Actor) -> DomainPolicy:
    """Create (policy=None) or change a domain's hourly cap and warm-up; IntegrityError for
    a domain that has a policy already."""
    before = _policy_view(policy) if policy is not None else None
    policy = policy or DomainPolicy()
    for name in POLICY_FIELDS:
        setattr(policy, name, data[name])
    policy.save()
    action = "domain_policy.create" if before is None else "domain_policy.update"
    audit.record(by, action, "domain_policy", policy.pk, before=before, after=_policy_view(policy))
    return policy


@transaction.atomic
def do_delete_domain_policy(policy: DomainPolicy, *, by: Actor) -> None:
    audit.record(
        by, "domain_policy.delete", "domain_policy", policy.pk, before=_policy_view(policy)
    )
    policy.delete()


@transaction.atomic
def do_start_warmup(policy: DomainPolicy, *, by: Actor) -> None:
    now = timezone.now()
    DomainPolicy.objects.filter(pk=policy.pk).update(warmup_started_at=now)
    policy.warmup_started_at = now
    audit.record(
        by, "domain_policy.warmup", "domain_policy", policy.pk, after={"started_at": str(now)}
    )


def do_generate_dkim_key(domain: str, algorithm: str, *, by: Actor) -> DkimKey:
    with transaction.atomic():
        key = dkim.generate_key(domain, algorithm)
        audit.record(by, "dkim_key.generate", "dkim_key", key.pk, after=_key_view(key))
    return key


def do_rotate_dkim_key(domain: str, algorithm: str | None, *, by: Actor) -> DkimKey:
    with transaction.atomic():
        key = dkim.rotate(domain, algorithm)
        audit.record(by, "dkim_key.rotate", "dkim_key", key.pk, after=_key_view(key))
    return key


def _key_view(key: DkimKey) -> dict:
    """The public facts of a key (never the private key)."""
    return {"domain": key.domain, "selector": key.selector, "algorithm": key.algorithm}


@transaction.atomic
def do_clear_captured(*, by: Actor) -> int:
    """Delete every message the capture relay caught (Outbox → Captured, DELETE
    /outbox/captured); the audit row says who and how many. Returns the count."""
    deleted, _ = CapturedMessage.objects.all().delete()
    audit.record(by, "outbox.captured_cleared", "outbox", "captured", after={"deleted": deleted})
    return deleted
