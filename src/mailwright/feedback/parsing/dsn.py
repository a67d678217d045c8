"""RFC 3464 delivery status notifications: the per-recipient fields of every
message/delivery-status part of the report (not of an attached original)."""

from __future__ import annotations

import base64
import binascii
import quopri
import re
from dataclasses import dataclass
from email.message import Message

from mailwright.feedback.parsing import mime

# Per-recipient fields we read (RFC 3464 §2.3). Values are unfolded and collapsed.
_FIELDS = ("original-recipient", "final-recipient", "action", "status", "diagnostic-code")


@dataclass
class StatusBlock:
    action: str  # "failed", "delayed", "delivered", "relayed", "expanded", or ""
    status: str | None
    address: str | None
    diagnostic: str


def is_dsn(msg: Message) -> bool:
    if mime.parts_of_type(msg, "message/delivery-status"):
        return True
    return mime.content_type(msg) == "multipart/report" and (
        mime.param(msg, "report-type") == "delivery-status"
    )


def _address(value: str) -> str | None:
    """`rfc822; user@example.com` → `user@example.com` (None for an empty or hidden one)."""
    value = (value or "").strip()
    if ";" in value:
        addr_type, _, value = value.partition(";")
        if addr_type.strip().lower() not in ("rfc822", "utf-8", "unknown", "x-unknown", ""):
            return None
    value = value.strip().strip("<>").strip()
    if "@" not in value or " " in value or len(value) > 320:
        return None
    return value


def _diagnostic(value: str) -> str:
    """`smtp; 550 5.1.1 …` → `550 5.1.1 …` (the diagnostic type is dropped)."""
    value = mime.collapse(value or "")
    head, sep, rest = value.partition(";")
    if sep and head.strip().lower() in ("smtp", "x-unix", "x-postfix", "x-local", "unix"):
        return rest.strip()
    return value


def _decoded_blocks(part: Message, limit: int = mime.MAX_RECIPIENTS + 1) -> list[dict[str, str]]:
    """The header blocks of a delivery-status part: the first is per-message, the rest are
    per-recipient (at most `limit` blocks in all). Copes with encoded bodies and with blocks
    the parser left as text."""
    cte = str(part.get("content-transfer-encoding", "") or "").strip().lower()
    try:
        payload = part.get_payload()
    except Exception:
        return []
    if isinstance(payload, list) and cte not in ("base64", "quoted-printable"):
        blocks = []
        for block in payload[:limit]:
            if not isinstance(block, Message):
                continue
            fields = {k.lower(): mime.decode(v) for k, v in block.items()}
            blocks.append(fields)
            # A block whose fields the parser could not read ends up in its body: keep it.
            body = block.get_payload()
            if isinstance(body, str) and ":" in body:
                blocks.extend(_text_blocks(body, limit))
        return blocks[:limit]
    if isinstance(payload, list):
        text = "\n\n".join(b.as_string() for b in payload if isinstance(b, Message))
    else:
        text = str(payload or "")
    raw = text.encode("latin-1", errors="replace")
    try:
        if cte == "base64":
            raw = base64.b64decode(re.sub(rb"[^A-Za-z0-9+/=]", b"", raw) + b"==", validate=False)
        elif cte == "quoted-printable":
            raw = quopri.decodestring(raw)
    except (binascii.Error, ValueError):
        pass
    return _text_blocks(mime.to_text(raw, "utf-8"), limit)


def _text_blocks(text: str, limit: int) -> list[dict[str, str]]:
    blocks = []
    for chunk in re.split(r"\r?\n\s*\r?\n", text, maxsplit=limit)[:limit]:
        fields: dict[str, str] = {}
        name = None
        for line in chunk.splitlines():
            if line[:1] in (" ", "\t") and name:
                fields[name] += " " + line.strip()
                continue
            key, sep, value = line.partition(":")
            if sep and re.fullmatch(r"[A-Za-z0-9-]+", key.strip()):
                name = key.strip().lower()
                fields.setdefault(name, value.strip())
        if fields:
            blocks.append(fields)
    return blocks


def status_blocks(msg: Message) -> list[StatusBlock]:
    out = []
    for part in mime.parts_of_type(msg, "message/delivery-status"):
        for fields in _decoded_blocks(part):
            if not any(f in fields for f in _FIELDS[:4]):
                continue  # the per-message block (Reporting-MTA, Arrival-Date, …)
            address = _address(fields.get("original-recipient", "")) or _address(
                fields.get("final-recipient", "")
            )
            action = (fields.get("action", "") or "").strip().lower()
            out.append(
                StatusBlock(
                    action=action.split()[0] if action else "",
                    status=fields.get("status", "").strip() or None,
                    address=address,
                    diagnostic=_diagnostic(fields.get("diagnostic-code", "")),
                )
            )
    return out


def envelope_sender(msg: Message) -> str:
    """The original envelope sender some MTAs put in the per-message block
    (Postfix: X-Postfix-Sender)."""
    for part in mime.parts_of_type(msg, "message/delivery-status"):
        for fields in _decoded_blocks(part, 1):
            return fields.get("x-postfix-sender", "") or fields.get("x-original-sender", "")
    return ""
