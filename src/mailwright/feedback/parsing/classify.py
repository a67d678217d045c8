"""Classification: an enhanced status code and/or diagnostic text → (kind, reason), and the
suppression hint. Mapping tables, most specific first; text patterns are the fallback."""

from __future__ import annotations

import re

from mailwright.feedback.parsing.result import (
    BLOCKED,
    DOMAIN_NOT_FOUND,
    EXPIRED,
    MAILBOX_FULL,
    MESSAGE_TOO_LARGE,
    OTHER,
    SPAM_REJECTED,
    USER_UNKNOWN,
    Kind,
    Recipient,
)

# RFC 3463 enhanced status code ("5.1.1"); SMTP reply code ("550", "452-", "554:").
STATUS_RE = re.compile(r"(?<![\d.])([245])\.(\d{1,3})\.(\d{1,3})(?![\d.])")
SMTP_CODE_RE = re.compile(r"(?<![\d.#])([45][0-5]\d)(?=[\s:-]|$)")

# subject.detail of an enhanced code → reason (the class, 4 or 5, decides the kind).
# X.7.* is handled separately: blocked, unless the text says the content was judged spam.
STATUS_REASONS: dict[str, str] = {
    "1.1": USER_UNKNOWN,  # bad destination mailbox address
    "1.2": DOMAIN_NOT_FOUND,  # bad destination system address
    "1.3": USER_UNKNOWN,  # bad destination mailbox address syntax
    "1.6": USER_UNKNOWN,  # destination mailbox has moved, no forwarding address
    "1.10": USER_UNKNOWN,  # null MX; Exchange Online uses it for "recipient not found"
    "2.2": MAILBOX_FULL,
    "2.3": MESSAGE_TOO_LARGE,  # message length exceeds administrative limit
    "3.4": MESSAGE_TOO_LARGE,  # message too big for system
    "4.4": DOMAIN_NOT_FOUND,  # unable to route
    "4.7": EXPIRED,  # delivery time expired
}

# Text patterns, in order: the first that matches wins, so specific beats generic (a DNSBL
# listing is "blocked" although "spamhaus" contains "spam"; "domain does not exist" is not
# "user unknown").
TEXT_REASONS: list[tuple[str, re.Pattern[str]]] = [
    (
        EXPIRED,
        re.compile(
            r"delivery time expired|retry time(out)? (exceeded|not reached)|"
            r"message expired|in the queue too long|could not be delivered within|"
            r"maximum time in queue|expired after|timeout exceeded",
            re.I,
        ),
    ),
    (
        MESSAGE_TOO_LARGE,
        re.compile(
            r"message size exceeds|exceeds (the )?(maximum|max) (message )?size|"
            r"message (is )?too (large|big)|size limit|message length exceeds|too large",
            re.I,
        ),
    ),
    (
        DOMAIN_NOT_FOUND,
        re.compile(
            r"host or domain name not found|host not found|domain not found|"
            r"no such domain|domain (does not|doesn't) exist|unrouteable mail domain|"
            r"name service error|nxdomain|no mx (record|host)|bad destination system|"
            r"unable to route|domain .{0,40}not exist",
            re.I,
        ),
    ),
    (
        BLOCKED,
        re.compile(
            r"spamhaus|spamcop|barracuda|blacklist|blocklist|black list|block list|"
            r"dnsbl|\brbl\b|blocked using|(?<!not )listed (at|on|in) |poor reputation|"
            r"\breputation\b|sender ip .{0,40}blocked",
            re.I,
        ),
    ),
    (
        SPAM_REJECTED,
        re.compile(
            r"\bspam\b|unsolicited|junk mail|bulk mail|looks like spam|"
            r"message content rejected|content (was )?rejected|spam message",
            re.I,
        ),
    ),
    (
        BLOCKED,
        re.compile(
            r"\bblocked\b|rejected for policy reasons|policy (rejection|violation|reasons)|"
            r"\bdmarc\b|\bspf\b|\bdkim\b|access denied|not authorized|relay(ing)? denied|"
            r"administrative prohibition|denied by policy",
            re.I,
        ),
    ),
    (
        MAILBOX_FULL,
        re.compile(
            r"mailbox (is )?full|over ?quota|quota exceeded|exceeded (storage|quota)|"
            r"insufficient (system )?storage|mailbox size limit|out of storage|"
            r"storage allocation|\bfull\b.{0,20}mailbox",
            re.I,
        ),
    ),
    (
        USER_UNKNOWN,
        re.compile(
            r"user unknown|unknown user|no such user|no such (mailbox|recipient)|"
            r"(does not|doesn't|not) exist|recipient ?not ?found|unknown recipient|"
            r"invalid recipient|invalid (mailbox|address)|no mailbox here|mailbox not found|"
            r"address (couldn't|could not|can't|cannot) be found|not listed in|"
            r"doesn't have an? .{0,40}account|user (is )?not found|"
            r"recipient address rejected|account (has been )?disabled|no longer (active|valid)|"
            r"mailbox (is )?(unavailable|not available|disabled|inactive)",
            re.I,
        ),
    ),
]

# Text that says "temporary" without a code.
SOFT_TEXT = re.compile(
    r"try again|temporar|delayed|will (be )?retr|still trying|greylist|deferred", re.I
)
# Characters of a diagnostic (or of a whole report) the text patterns are run over.
MAX_DIAGNOSTIC = 16 * 1024

# "mailbox unavailable" is ambiguous (RFC 5321 uses it for both 450 and 550).
_AMBIGUOUS_USER = re.compile(r"mailbox (is )?(unavailable|not available)", re.I)


def find_status(text: str) -> str | None:
    """The most specific enhanced status code in `text` (x.0.0 only if nothing better)."""
    best = None
    for m in STATUS_RE.finditer(text or ""):
        if m.group(1) == "2":
            continue
        code = ".".join(m.groups())
        if m.group(2) != "0" or m.group(3) != "0":
            return code
        best = best or code
    return best


def find_smtp_code(text: str) -> str | None:
    m = SMTP_CODE_RE.search(text or "")
    return m.group(1) if m else None


def normalize_status(value: str | None) -> str | None:
    m = STATUS_RE.search(value or "")
    return ".".join(m.groups()) if m else None


def reason_from_text(text: str) -> str | None:
    for reason, pattern in TEXT_REASONS:
        if pattern.search(text or ""):
            return reason
    return None


def reason_from_status(status: str | None, text: str) -> str | None:
    if not status:
        return None
    _, subject, detail = status.split(".")
    if subject == "7":
        # Security/policy: the sender's reputation or the content, never the address.
        return SPAM_REJECTED if reason_from_text(text) == SPAM_REJECTED else BLOCKED
    return STATUS_REASONS.get(f"{subject}.{detail}")


def classify(
    status: str | None, diagnostic: str, *, permanent: bool | None = None
) -> tuple[Kind, str, str | None]:
    """(kind, reason, status) for one recipient.

    `status` is the DSN Status field when there is one; a more specific code in the
    diagnostic wins over a generic x.0.0. `permanent` is what the container said (DSN
    Action: failed → True, delayed → False; None when unknown).
    """
    # The evidence is in the first lines; the patterns cost time on every character.
    diagnostic = (diagnostic or "")[:MAX_DIAGNOSTIC]
    status = normalize_status(status)
    in_text = find_status(diagnostic)
    if not status or (status.endswith(".0.0") and in_text and in_text[0] == status[0]):
        status = in_text or status
    smtp = find_smtp_code(diagnostic)

    reason = reason_from_status(status, diagnostic)
    if reason is None:
        reason = reason_from_text(diagnostic)
        if reason == USER_UNKNOWN and _AMBIGUOUS_USER.search(diagnostic or ""):
            # "mailbox unavailable" means unknown only with a permanent code.
            first = (status or smtp or "")[:1]
            if first != "5":
                reason = None
    reason = reason or OTHER

    if status:
        kind: Kind = "hard" if status.startswith("5") else "soft"
    elif smtp:
        kind = "hard" if smtp.startswith("5") else "soft"
    elif permanent is False:
        kind = "soft"
    elif reason == MAILBOX_FULL or SOFT_TEXT.search(diagnostic or ""):
        kind = "soft"  # ambiguous: a full mailbox or a "try again" is a transient condition
    else:
        kind = "hard"
    if reason == EXPIRED:
        # A final failure, but of a transient condition: the address may well be fine.
        kind = "soft"
    if permanent is False:
        kind = "soft"
    return kind, reason, status


# Which hard bounces suppress the address at once. Anything else is False: soft bounces are
# counted by a threshold elsewhere; blocks and spam rejections are about the sender's
# reputation or content, not the address.
SUPPRESS_HARD: dict[str, bool] = {
    USER_UNKNOWN: True,
    DOMAIN_NOT_FOUND: True,
    MAILBOX_FULL: False,
    BLOCKED: False,
    SPAM_REJECTED: False,
    MESSAGE_TOO_LARGE: False,
    EXPIRED: False,
    OTHER: False,  # …unless the status says the address is bad (5.1.x), below
}


def should_suppress(r: Recipient) -> bool:
    """The suppression hint for one recipient (docs/bounces.md has the table)."""
    if r.kind != "hard":
        return False
    if r.reason == OTHER:
        return bool(r.status and r.status.startswith("5.1."))
    return SUPPRESS_HARD.get(r.reason, False)
