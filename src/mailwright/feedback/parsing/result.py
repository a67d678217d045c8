"""The one normalized result every inbound message is reduced to, whatever produced it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Kind = Literal["hard", "soft"]

# The reason vocabulary (docs/bounces.md explains each one and its decision).
# About the address:
USER_UNKNOWN = "user_unknown"  # no such mailbox
MAILBOX_DISABLED = "mailbox_disabled"  # exists but disabled, suspended, inactive
HOST_UNKNOWN = "host_unknown"  # the domain does not exist or has no mail host
NOT_ACCEPTING_MAIL = "not_accepting_mail"  # null MX (RFC 7505), "does not accept mail"
HAS_MOVED = "has_moved"  # the mailbox moved, no forwarding (5.1.6)
MAILBOX_FULL = "mailbox_full"  # over quota
# Transient or about the path:
NETWORK_ERROR = "network_error"  # connection refused/timed out, DNS failure, TLS
EXPIRED = "expired"  # retried until the queue lifetime ran out
SYSTEM_ERROR = "system_error"  # the receiving system failed (disk, config, 4.3.x)
MAIL_LOOP = "mail_loop"  # too many hops, routing loop
RATE_LIMITED = "rate_limited"  # too many messages/connections from us
# About us or our message (never suppress the address):
BLOCKED = "blocked"  # our IP or domain is on a block list / has a poor reputation
POLICY = "policy"  # refused by the receiver's policy (relay denied, sender rejected)
SPAM_DETECTED = "spam_detected"  # the content was judged spam
VIRUS_DETECTED = "virus_detected"
CONTENT_REJECTED = "content_rejected"  # content or attachment type refused
SECURITY_ERROR = "security_error"  # SPF, DKIM, DMARC or authentication failures
MESSAGE_TOO_LARGE = "message_too_large"
OTHER = "other"  # a failure we cannot place
# Not failures:
DELIVERED = "delivered"
DELAYED = "delayed"
VACATION = "vacation"

REASONS = (
    USER_UNKNOWN,
    MAILBOX_DISABLED,
    HOST_UNKNOWN,
    NOT_ACCEPTING_MAIL,
    HAS_MOVED,
    MAILBOX_FULL,
    NETWORK_ERROR,
    EXPIRED,
    SYSTEM_ERROR,
    MAIL_LOOP,
    RATE_LIMITED,
    BLOCKED,
    POLICY,
    SPAM_DETECTED,
    VIRUS_DETECTED,
    CONTENT_REJECTED,
    SECURITY_ERROR,
    MESSAGE_TOO_LARGE,
    OTHER,
    DELIVERED,
    DELAYED,
    VACATION,
)
# Former names, still found in events recorded before the taxonomy grew.
DOMAIN_NOT_FOUND = HOST_UNKNOWN
SPAM_REJECTED = SPAM_DETECTED


@dataclass
class Recipient:
    """One failed (or delayed) recipient. `address` is None when the report hides it; the
    caller then relies on the VERP token to know who it was."""

    address: str | None
    kind: Kind
    reason: str
    status: str | None  # RFC 3463 enhanced status code, e.g. "5.1.1"
    diagnostic: str
    # --explain: the rule that decided "address", "kind" and "reason" (not in as_dict()).
    why: dict[str, str] = field(default_factory=dict, repr=False, compare=False)

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
    # --explain: which rule decided each field, in order ({"field", "value", "rule"}).
    trace: list[dict] = field(default_factory=list)
    # Machine-generated (a delivery report, mail from a mailer daemon, a feedback report, an
    # auto-reply) even when none of the flags above is set — e.g. a "delivered" DSN or a
    # daemon's message we could not read. Not a person replying.
    automated: bool = False
