"""GET /api/v1/audit-log: who changed what, when and from where."""

from __future__ import annotations

from datetime import datetime

from django.http import HttpResponse
from ninja import Router, Schema

from mailwright.api.pagination import page
from mailwright.audit import log as audit

router = Router(tags=["audit"])


class AuditEntryOut(Schema):
    id: int
    at: datetime
    actor_kind: str
    actor: str
    actor_ref: str
    channel: str
    action: str
    object_type: str
    object_id: str
    before: dict | None
    after: dict | None
    source_ip: str


@router.get("", response=list[AuditEntryOut])
def list_audit_log(
    request,
    response: HttpResponse,
    actor: str = "",
    object_type: str = "",
    object_id: str = "",
    type: str = "",
    limit: int = 100,
    offset: int = 0,
):
    """Newest first. `actor` matches part of the actor's name, `object_type` and `object_id`
    name the changed object, `type` is an action or its prefix (`suppression.`)."""
    rows = audit.search(actor=actor, object_type=object_type, object_id=object_id, action=type)
    return page(request, response, rows, limit, offset)
