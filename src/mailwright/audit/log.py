"""Writing and reading the audit log. `record` runs inside the caller's action transaction."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils import timezone

from mailwright.audit.actors import Actor
from mailwright.audit.models import AuditEntry


def truncate_ip(ip: str) -> str:
    """Keep a /24 (IPv4) or /48 (IPv6) network: enough for abuse review, not a person."""
    if not ip:
        return ""
    if ":" in ip:
        groups = ip.split(":")[:3]
        return ":".join(groups) + "::/48"
    octets = ip.split(".")
    if len(octets) == 4:
        return ".".join(octets[:3]) + ".0/24"
    return ""


def entry(
    by: Actor,
    action: str,
    object_type: str,
    object_id: object = "",
    *,
    before: dict | None = None,
    after: dict | None = None,
) -> AuditEntry:
    """An unsaved audit row (batched actions can `AuditEntry.objects.bulk_create` them)."""
    return AuditEntry(
        at=timezone.now(),
        actor_kind=by.kind if by.kind in Actor.KINDS else "system",
        actor=by.actor[:200],
        actor_ref=by.ref[:64],
        channel=by.channel[:32],
        action=action[:64],
        object_type=object_type[:32],
        object_id=str(object_id if object_id is not None else "")[:64],
        before=before,
        after=after,
        source_ip=truncate_ip(by.source_ip),
        user_agent=by.user_agent[:400],
    )


def record(by: Actor, action: str, object_type: str, object_id: object = "", **changes):
    """Write one audit row (`before=` / `after=` where the change matters)."""
    row = entry(by, action, object_type, object_id, **changes)
    row.save()
    return row


def search(
    *, actor: str = "", object_type: str = "", object_id: str = "", action: str = ""
) -> QuerySet[AuditEntry]:
    """The audit log, newest first, filtered as the API and the UI offer."""
    rows = AuditEntry.objects.all()
    if actor:
        rows = rows.filter(actor__icontains=actor[:200])
    if object_type:
        rows = rows.filter(object_type=object_type[:32])
    if object_id:
        rows = rows.filter(object_id=object_id[:64])
    if action:
        rows = rows.filter(action__startswith=action[:64])
    return rows
