"""The one normalized result every inbound message is reduced to, whatever produced it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Kind = Literal["hard", "soft"]

# The reason vocabulary (docs/bounces.md explains each one).
USER_UNKNOWN = "user_unknown"
MAILBOX_FULL = "mailbox_full"
DOMAIN_NOT_FOUND = "domain_not_found"
BLOCKED = "blocked"
SPAM_REJECTED = "spam_rejected"
MESSAGE_TOO_LARGE = "message_too_large"
EXPIRED = "expired"
OTHER = "other"

REASONS = (
    USER_UNKNOWN,
    MAILBOX_FULL,
    DOMAIN_NOT_FOUND,
    BLOCKED,
    SPAM_REJECTED,
    MESSAGE_TOO_LARGE,
    EXPIRED,
    OTHER,
)


@dataclass
class Recipient:
    """One failed (or delayed) recipient. `address` is None when the report hides it; the
    caller then relies on the VERP token to know who it was."""

    address: str | None
    kind: Kind
    reason: str
    status: str | None  # RFC 3463 enhanced status code, e.g. "5.1.1"
    diagnostic: str

    def as_dict(self) -> dict:
        return {
            "address": self.address,
            "kind": self.kind,
            "reason": self.reason,
            "status": self.status,
            "diagnostic": self.diagnostic,
        }


@dataclass
class Parsed:
    bounce: bool = False
    auto_reply: bool = False
    complaint: bool = False
    delay: bool = False
    recipients: list[Recipient] = field(default_factory=list)
    verp_token: str | None = None
    original_message_id: str | None = None
    original_headers: dict[str, str] = field(default_factory=dict)
    feedback_type: str | None = None
    complaint_recipient: str | None = None
    # Machine-generated (a delivery report, mail from a mailer daemon, a feedback report, an
    # auto-reply) even when none of the flags above is set — e.g. a "delivered" DSN or a
    # daemon's message we could not read. Not a person replying.
    automated: bool = False
