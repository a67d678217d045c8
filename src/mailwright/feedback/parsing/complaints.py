"""Complaints: RFC 5965 ARF feedback reports (generic FBLs, Yahoo CFL, AOL, Comcast, Mail.ru,
Yandex, Amazon SES forwarding, Microsoft JMRP in its ARF form) and the older Hotmail/JMRP
format that forwards the original as message/rfc822.

The complaining recipient is taken, in this order, from: the report's Original-Rcpt-To, its
Removal-Recipient, the reported message's X-HmXmrOriginalRecipient (JMRP), its To when that
names exactly one address, its X-Original-To, its Delivered-To, and the first address of its
To. Redacted addresses (RFC 6590: `xxxxx@example.com`, `redacted@aol.com`, `[redacted]@…`) are
never a recipient: the delivery then comes from our VERP token or Message-ID."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from email.message import Message
from email.utils import getaddresses, parseaddr

from mailwright.feedback.parsing import mime


@dataclass
class Complaint:
    feedback_type: str
    recipient: str | None
    original: Message | None
    fields: dict[str, str]
    # Which header gave the recipient (for --explain), e.g. "report Original-Rcpt-To".
    rule: str = ""
    redacted: list[str] = field(default_factory=list)


# Local parts a feedback loop puts in place of the real one (RFC 6590 section 3 leaves the
# choice to the reporter: a fixed string, a run of x's or stars, a hash-like placeholder).
_REDACTED_LOCAL = re.compile(
    r"^(\[?(redacted|removed|hidden|anonymi[sz]ed|privacy|undisclosed)\]?|x{3,}|\*{2,}|#{2,}|"
    r"\.{3,}|_{3,}|-{3,})$",
    re.I,
)
# A local part replaced by a one-way hash (RFC 6590 section 4): MD5, SHA-1 or SHA-256 in hex.
_HASHED_LOCAL = re.compile(r"^(?:[0-9a-f]{32}|[0-9a-f]{40}|[0-9a-f]{64})$", re.I)
# The receiving MTA's "Received: ... for <address>" clause in the reported message.
_RECEIVED_FOR = re.compile(r"\bfor[ \t\r\n]{1,8}<?([^\s<>;@]{1,256}@[^\s<>;@]{1,256})>?[;\s]", re.I)


def is_redacted(address: str | None) -> bool:
    if not address:
        return False
    local = address.rpartition("@")[0].strip("\"' ")
    # An empty local part is what "[redacted]@example.com" becomes once parsed.
    return (
        not local
        or bool(_REDACTED_LOCAL.match(local) or _HASHED_LOCAL.match(local))
        or "redacted" in local.lower()
    )


def _same_site(domain: str, senders: set[str]) -> bool:
    return any(domain == s or domain.endswith("." + s) or s.endswith("." + domain) for s in senders)


def _addr(value: str) -> str | None:
    value = (value or "").strip()
    if ";" in value and "@" not in value.split(";", 1)[0]:
        value = value.split(";", 1)[1]  # "rfc822; user@example.com"
    addr = parseaddr(value)[1] or value.strip("<> ")
    return addr if "@" in addr and " " not in addr else None


def _addresses(values: list[str]) -> list[str]:
    out = []
    for _, addr in getaddresses(values):
        addr = (addr or "").strip("<> ")
        if "@" in addr and " " not in addr:
            out.append(addr)
    return out


def _report_fields(part: Message) -> dict[str, str]:
    """message/feedback-report is a single header block; the parser may have made it a
    sub-message or left it as text. Fields that may repeat keep their first value."""
    payload = part.get_payload()
    text = ""
    if isinstance(payload, list):
        for block in payload:
            if isinstance(block, Message):
                text += "".join(f"{k}: {v}\n" for k, v in block.items())
                body = block.get_payload()
                if isinstance(body, str):
                    text += body
    else:
        text = mime.part_text(part)
    fields: dict[str, str] = {}
    msg = mime.parse_headers(text)
    for key, value in msg.items():
        fields.setdefault(key.lower(), mime.decode(value))
    return fields


def _candidates(fields: dict[str, str], original: Message | None) -> list[tuple[str, str]]:
    """(address, rule) in order of trust."""
    found: list[tuple[str, str]] = []
    for name in ("original-rcpt-to", "removal-recipient"):
        addr = _addr(fields.get(name, ""))
        if addr:
            found.append((addr, f"report {name.title()}"))
    if original is None:
        return found
    for value in mime.headers(original, "x-hmxmroriginalrecipient"):
        addr = _addr(value)
        if addr:
            found.append((addr, "original X-HmXmrOriginalRecipient"))
    to = _addresses(mime.headers(original, "to"))
    # A To in the sender's own domain (a list or "subscribers" address of the sender, mail
    # sent to it with the recipients in Bcc) is the sender's, not the complainer's: last.
    # "Own" also covers a sub- or parent domain of the From/Sender (lists.shop.example for
    # mail from shop.example).
    senders = {
        a.rpartition("@")[2].lower()
        for a in _addresses(mime.headers(original, "from") + mime.headers(original, "sender"))
    }
    own = [a for a in to if _same_site(a.rpartition("@")[2].lower(), senders)]
    to = [a for a in to if a not in own]
    if len(to) == 1:
        found.append((to[0], "original To"))
    for name in ("X-Original-To", "Delivered-To", "Envelope-To", "X-Envelope-To"):
        for addr in _addresses(mime.headers(original, name)):
            found.append((addr, f"original {name}"))
    # Yahoo's "X-Apparently-To: user@yahoo.com via 98.137.0.11; <date>": the first word.
    for value in mime.headers(original, "x-apparently-to"):
        addr = _addr((value.split() or [""])[0])
        if addr:
            found.append((addr, "original X-Apparently-To"))
    received_for = {
        m.group(1).lower()
        for value in mime.headers(original, "received")
        for m in _RECEIVED_FOR.finditer(value[:2000] + " ")
    }
    if len(received_for) == 1:  # one envelope recipient, named by the receiving MTA
        found.append((received_for.pop(), "original Received ... for <address>"))
    found.extend((addr, "original To (first of several)") for addr in to[1:] or to)
    found.extend((addr, "original To (in the sender's own domain)") for addr in own)
    return found


def choose_recipient(
    fields: dict[str, str], original: Message | None
) -> tuple[str | None, str, list[str]]:
    """(recipient, rule, redacted addresses seen) — the first candidate that is not
    redacted."""
    redacted = []
    for addr, rule in _candidates(fields, original):
        if is_redacted(addr):
            redacted.append(addr)
            continue
        return addr, rule, redacted
    return None, "", redacted


def original_recipient(original: Message | None) -> str | None:
    return choose_recipient({}, original)[0]


def _inline_original(msg: Message) -> Message | None:
    """A reported message sent inline as text (some reporters put it in a text/plain third
    part instead of message/rfc822): the last text part that reads as a header block of a
    message (From plus To or Message-ID)."""
    texts = [
        p
        for p in mime.walk(msg)
        if not p.is_multipart() and mime.content_type(p) in ("text/plain", "text/rfc822")
    ]
    for part in reversed(texts[1:]):
        headers = mime.parse_headers(mime.part_text(part).lstrip())
        if headers.get("from") and (headers.get("to") or headers.get("message-id")):
            return headers
    return None


# ARF feedback types that are not complaints (RFC 6591 authentication failure reports, the
# DMARC forensic reports of RFC 7489 section 7.3): why, for --explain.
NOT_COMPLAINTS = {
    "auth-failure": "ARF Feedback-Type: auth-failure (RFC 6591): an authentication failure "
    "report, not a complaint",
}


# Some feedback loops put the ARF fields at the top of the first text part instead of a
# message/feedback-report part; the reported message then follows attached or inline.
_FIELDS_IN_TEXT = re.compile(r"[ \t\r\n]{0,200}Feedback-Type:[ \t]{0,8}[A-Za-z]", re.I)
_INLINE_HEADERS = re.compile(
    r"^(?:Return-Path|Received|X-Original-To|Delivered-To|From):", re.I | re.M
)


def _fields_in_text(msg: Message) -> tuple[dict[str, str], Message | None] | None:
    """(fields, inline original) of a report whose first text part starts with the ARF
    fields, or None."""
    part = next(
        (
            p
            for p in mime.walk(msg)
            if not p.is_multipart() and mime.content_type(p) == "text/plain"
        ),
        None,
    )
    text = mime.part_text(part)[:64_000] if part is not None else ""
    if not _FIELDS_IN_TEXT.match(text):
        return None
    head, _, rest = text.lstrip().replace("\r\n", "\n").partition("\n\n")
    fields = {k.lower(): mime.decode(v) for k, v in mime.parse_headers(head + "\n").items()}
    start = _INLINE_HEADERS.search(rest)
    inline = mime.parse_headers(rest[start.start() :]) if start else None
    if inline is not None and not inline.get("from"):
        inline = None
    return fields, inline


def arf(msg: Message) -> Complaint | None:
    parts = mime.parts_of_type(msg, "message/feedback-report")
    in_text = None
    if not parts and not (
        mime.content_type(msg) == "multipart/report"
        and mime.param(msg, "report-type") == "feedback-report"
    ):
        in_text = _fields_in_text(msg)
        if in_text is None:
            return None
    fields = _report_fields(parts[0]) if parts else (in_text[0] if in_text else {})
    original = mime.attached_original(msg) or _inline_original(msg)
    if original is None and in_text is not None:
        original = in_text[1]
    recipient, rule, redacted = choose_recipient(fields, original)
    feedback_type = (fields.get("feedback-type", "") or "abuse").strip().lower()
    feedback_type = re.split(r"[\s;]", feedback_type)[0] or "abuse"
    return Complaint(feedback_type, recipient, original, fields, rule, redacted)


# The pre-ARF Hotmail/Outlook.com JMRP: a multipart/mixed whose message/rfc822 part carries
# X-HmXmrOriginalRecipient, sent from staff@hotmail.com with a fixed subject.
_JMRP_SUBJECT = re.compile(r"complaint about message from", re.I)


def jmrp_legacy(msg: Message) -> Complaint | None:
    original = mime.attached_original(msg)
    if original is None:
        return None
    hm = mime.header(original, "x-hmxmroriginalrecipient")
    if not hm and not _JMRP_SUBJECT.search(mime.header(msg, "subject")):
        return None
    recipient, rule, redacted = choose_recipient({}, original)
    return Complaint("abuse", recipient, original, {"user-agent": "jmrp"}, rule, redacted)


def complaint(msg: Message) -> Complaint | None:
    return arf(msg) or jmrp_legacy(msg)
