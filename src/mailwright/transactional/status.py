"""What a service message's state is and what happened to it, for the API and the UI."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from mailwright.feedback.models import Event
from mailwright.transactional.models import Message

# queued/sending/sent/deferred/bounced/failed (the delivery's), suppressed (refused when
# accepted, or by the worker when the address was suppressed since).
STATES = ("queued", "sending", "sent", "deferred", "bounced", "failed", "suppressed")
FINAL = ("sent", "bounced", "failed", "suppressed")


def state(msg: Message) -> str:
    if msg.refused_reason:
        return "suppressed"
    return msg.delivery.state if msg.delivery_id else "failed"


def reason(msg: Message) -> str:
    """Why a message is refused, deferred or failed: the relay's last reply or the
    suppression ("suppressed: hard bounce on 2026-12-01")."""
    if msg.refused_reason:
        return msg.refused_reason
    if not msg.delivery_id or msg.delivery.state in ("queued", "sending", "sent"):
        return ""
    return msg.delivery.last_reply


def events(msg: Message) -> list[dict]:
    """The message's events, oldest first: the feedback events of its delivery (queued,
    sent, deferred, bounced, complained, opened, clicked …) and the ledger's own times
    where no event says so."""
    out = []
    if msg.delivery_id:
        for e in Event.objects.filter(delivery_id=msg.delivery_id).order_by("created_at", "id"):
            data = {k: v for k, v in (e.data or {}).items() if k in ("code", "reply", "url")}
            out.append({"type": e.type, "at": e.created_at, "machine": e.machine, **data})
    types = {e["type"] for e in out}
    if "queued" not in types and not msg.refused_reason:
        out.insert(0, {"type": "queued", "at": msg.created_at, "machine": False})
    if msg.refused_reason and "suppressed" not in types:
        out.insert(0, {"type": "suppressed", "at": msg.created_at, "machine": False})
    d = msg.delivery if msg.delivery_id else None
    if d is not None and d.sent_at and "sent" not in types:
        out.append({"type": "sent", "at": d.sent_at, "machine": False})
    out.sort(key=lambda e: e["at"])  # stable: equal times keep the order above
    return out


def search(*, to: str = "", state_: str = "", template: str = "") -> QuerySet[Message]:
    """Messages, newest first, filtered by recipient (case-insensitive), state and
    template key."""
    qs = Message.objects.select_related("delivery").order_by("-id")
    if to:
        qs = qs.filter(to_email__iexact=to.strip())
    if template:
        qs = qs.filter(template_key=template.strip())
    if state_:
        if state_ == "suppressed":
            qs = qs.filter(~Q(refused_reason="") | Q(delivery__state="suppressed"))
        else:
            qs = qs.filter(refused_reason="", delivery__state=state_)
    return qs
