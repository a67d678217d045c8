"""What the SMTP side of the engine takes and gives back."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Envelope:
    """One message for one recipient. `data` is the whole message (headers and body) with
    CRLF line endings, not dot-stuffed."""

    sender: str
    recipient: str
    data: bytes


@dataclass(frozen=True)
class SendResult:
    """What the relay said. kind: "sent", "temporary" (retry), "permanent" (hard bounce) or
    "unsupported" (this relay cannot carry the message at all; not the address's fault)."""

    kind: str
    code: int | None
    text: str
