"""RFC 3464 delivery status notifications (and RFC 6533's internationalised ones): the
per-recipient fields of every delivery-status part of the report (not of an attached
original), and which recipients failed, were delayed or were delivered.

Where the address of a recipient comes from, in order (docs/bounces.md, "DSNs and relays"):
Original-Recipient (the address as we sent it, RFC 3461 ORCPT), Final-Recipient, the report's
text, the returned original's To / X-Original-To when it names exactly one address; else it
stays None and the caller relies on our VERP token."""

from __future__ import annotations

import base64
import binascii
import quopri
import re
from dataclasses import dataclass
from email.message import Message

from mailwright.feedback.parsing import mime

# A block that names its recipient only in X-Actual-Recipient (the mailbox an alias expanded
# to, Sendmail/Courier-style delivery agents): the address when the RFC fields are missing.
_ACTUAL = "x-actual-recipient"
# Per-recipient fields we read (RFC 3464 §2.3). Values are unfolded and collapsed.
_FIELDS = ("original-recipient", "final-recipient", "action", "status", "diagnostic-code")
# The delivery-status part types: RFC 3464, and RFC 6533 for UTF-8 addresses.
STATUS_TYPES = ("message/delivery-status", "message/global-delivery-status")
# Diagnostics when there is no Diagnostic-Code, in order (Exim writes X-Exim-Diagnostic for
# failures that had no SMTP reply, e.g. a retry timeout).
_DIAGNOSTIC_FIELDS = ("diagnostic-code", "x-exim-diagnostic", "x-supplementary-info")
# A delivery-status block sent as text/plain (some MTAs and relays mislabel the part).
_TEXT_DSN = re.compile(r"^(final|original)-recipient\s*:", re.I | re.M)
_TEXT_DSN_ACTION = re.compile(r"^(action|status)\s*:", re.I | re.M)
# RFC 6533 embedded-unicode-char in a utf-8 address ("\x{E9}").
_UNICODE_ESCAPE = re.compile(r"\\x\{([0-9A-Fa-f]{1,6})\}")
# RFC 3461 xtext: the characters an ORCPT commonly has to encode (+ and =).
_XTEXT = re.compile(r"\+(2B|3D)")
# A comment in an address field (RFC 5322 CFWS), one level deep.
_COMMENT = re.compile(r"\([^()\n]{0,200}\)")
# A plain mailbox after an address type we do not know (`LOCAL; <user@host.example>`).
_PLAIN_MAILBOX = re.compile(
    r"[^\s@<>()/=;,\"]{1,64}@[^\s@<>()/=;,\"]{1,255}\.[^\s@<>()/=;,\".]{2,63}\Z"
)

FAILED = ("fail", "error")  # "failed"; some MTAs write "error"
DELAYED = ("delay",)
DELIVERED = ("delivered", "relayed", "expanded")


@dataclass
class StatusBlock:
    action: str  # "failed", "delayed", "delivered", "relayed", "expanded", or ""
    status: str | None
    address: str | None
    diagnostic: str
    remote_mta: str = ""
    source: str = ""  # which field gave the address


def _fix(text: str, charset: str | None = None) -> str:
    """Text the parser decoded as ASCII with surrogate escapes (8-bit UTF-8 of RFC 6533
    reports, or 8-bit text in the part's declared charset, `charset=koi8-r`) as proper text."""
    try:
        raw = text.encode("utf-8", "surrogateescape")
    except (UnicodeError, ValueError):
        return text
    return mime.to_text(raw, charset or "utf-8")


def status_parts(msg: Message) -> list[Message]:
    """The delivery-status parts of the report; failing those, a text/plain part of a
    multipart/report that holds delivery-status fields (a mislabelled DSN)."""
    parts = [p for p in mime.walk(msg) if mime.content_type(p) in STATUS_TYPES]
    if parts or mime.content_type(msg) != "multipart/report":
        return parts
    for part in mime.walk(msg):
        if part is msg or mime.content_type(part) != "text/plain":
            continue
        text = mime.part_text(part)
        if _TEXT_DSN.search(text) and _TEXT_DSN_ACTION.search(text):
            parts.append(part)
    return parts


def is_dsn(msg: Message) -> bool:
    if status_parts(msg):
        return True
    return mime.content_type(msg) == "multipart/report" and (
        mime.param(msg, "report-type") in ("delivery-status", "global-delivery-status")
    )


def _address(value: str) -> str | None:
    """`rfc822; user@example.com` → `user@example.com` (None for an empty or hidden one);
    `utf-8; user@exämple.com` and RFC 6533's `\\x{E4}` escapes give the UTF-8 address."""
    value = (value or "").strip()
    if ";" in value:
        addr_type, _, value = value.partition(";")
        addr_type = addr_type.strip().lower()
        if addr_type not in ("rfc822", "utf-8", "unknown", "x-unknown", ""):
            # Old gateways write `LOCAL; <user@host>`, `X-LOCAL;`, `SMTP;`: an address type
            # we do not know still names the recipient when its value is a plain mailbox
            # (never an X.400 O/R name or a Notes name, whose "@" is not a mail domain).
            value = _COMMENT.sub("", value).strip().strip("<>").strip()
            return value if len(value) <= 320 and _PLAIN_MAILBOX.match(value) else None
        if addr_type == "utf-8":
            value = _UNICODE_ESCAPE.sub(lambda m: _chr(m.group(1)), value)
    value = _XTEXT.sub(lambda m: chr(int(m.group(1), 16)), value)
    # RFC 5322 comments ("user@example.pl (Jan Kowalski)") are not part of the address.
    value = _COMMENT.sub("", value).strip().strip("<>").strip()
    if "@" not in value or " " in value or len(value) > 320:
        return None
    return value


def _chr(hexa: str) -> str:
    try:
        return chr(int(hexa, 16))
    except (ValueError, OverflowError):
        return ""


def _diagnostic(value: str) -> str:
    """`smtp; 550 5.1.1 …` → `550 5.1.1 …` (the diagnostic type is dropped). A multi-line
    reply folded into the field (`550-5.1.1 … 550-5.1.1 … 550 5.1.1 …`) keeps its first code
    only."""
    value = mime.collapse(value or "")
    head, sep, rest = value.partition(";")
    if sep and head.strip().lower() in (
        "smtp",
        "x-unix",
        "x-postfix",
        "x-local",
        "unix",
        "x-str",
        "x-exim",
    ):
        value = rest.strip()
    m = re.match(r"([245]\d\d)[ -]((?:[245]\.\d{1,3}\.\d{1,3})?)\s*", value)
    if m:
        again = re.compile(
            r"\s" + m.group(1) + r"[ -]" + (re.escape(m.group(2)) + r"\s" if m.group(2) else "")
        )
        value = f"{m.group(1)} {m.group(2)} ".replace("  ", " ") + again.sub(" ", value[m.end() :])
    return value.strip()


def _decoded_blocks(part: Message, limit: int = mime.MAX_RECIPIENTS + 1) -> list[dict[str, str]]:
    """The header blocks of a delivery-status part: the first is per-message, the rest are
    per-recipient (at most `limit` blocks in all). Copes with encoded bodies and with blocks
    the parser left as text."""
    if mime.content_type(part) == "text/plain":
        return _text_blocks(mime.part_text(part), limit)
    cte = str(part.get("content-transfer-encoding", "") or "").strip().lower()
    try:
        payload = part.get_payload()
    except Exception:
        return []
    # A declared charset (`message/delivery-status; charset=iso-8859-1`) decodes 8-bit text.
    charset = _declared_charset(part)
    if isinstance(payload, list) and cte not in ("base64", "quoted-printable"):
        blocks = []
        for block in payload[:limit]:
            if not isinstance(block, Message):
                continue
            blocks.extend(_split_run_on(block.raw_items(), charset))
            # A block whose fields the parser could not read ends up in its body (and an
            # RFC 6533 part, read as one message, has every further block there): keep it.
            body = block.get_payload(decode=True)
            if isinstance(body, bytes) and b":" in body:
                blocks.extend(_text_blocks(mime.to_text(body, charset), limit))
        return blocks[:limit]
    if isinstance(payload, list):
        text = "\n\n".join(b.as_string() for b in payload if isinstance(b, Message))
    else:
        text = str(payload or "")
    raw = text.encode("utf-8", errors="surrogateescape")
    try:
        if cte == "base64":
            raw = base64.b64decode(re.sub(rb"[^A-Za-z0-9+/=]", b"", raw) + b"==", validate=False)
        elif cte == "quoted-printable":
            raw = quopri.decodestring(raw)
    except (binascii.Error, ValueError):
        pass
    return _text_blocks(mime.to_text(raw, charset), limit)


def _declared_charset(part: Message) -> str:
    try:
        return str(part.get_param("charset") or "").strip().lower() or "utf-8"
    except Exception:  # a malformed parameter is no charset
        return "utf-8"


# Fields that open a per-recipient block (RFC 3464 section 2.3). Some MTAs write the blocks
# without the blank line between them: a second one of these starts the next block.
RECIPIENT_OPENERS = ("original-recipient", "final-recipient")


def _split_run_on(items, charset: str | None = None) -> list[dict[str, str]]:
    """(name, value) pairs of one block → one block, or several when the blank lines between
    blocks were left out: a recipient field the block already has, or one after its address
    and Action, starts a new block; per-message fields before the first recipient field make
    their own block."""
    blocks: list[dict[str, str]] = []
    fields: dict[str, str] = {}
    for key, value in items:
        name = key.strip().lower()
        opens = name in RECIPIENT_OPENERS
        has_address = any(k in fields for k in RECIPIENT_OPENERS)
        if opens and (name in fields or ("action" in fields and has_address)):
            blocks.append(fields)
            fields = {}
        elif opens and fields and not has_address:
            if "reporting-mta" in fields or "arrival-date" in fields:
                blocks.append(fields)  # the per-message fields ran into the first block
                fields = {}
        fields.setdefault(name, mime.decode(_fix(str(value), charset)))
    if fields:
        blocks.append(fields)
    return blocks


def _text_blocks(text: str, limit: int = mime.MAX_RECIPIENTS + 1) -> list[dict[str, str]]:
    blocks = []
    for chunk in re.split(r"\r?\n\s*\r?\n", text, maxsplit=limit)[:limit]:
        items: list[list[str]] = []
        for line in chunk.splitlines():
            if line[:1] in (" ", "\t") and items and items[-1][0]:
                items[-1][1] += " " + line.strip()
                continue
            key, sep, value = line.partition(":")
            if sep and re.fullmatch(r"[A-Za-z0-9-]+", key.strip()):
                items.append([key.strip(), value.strip()])
            elif items:
                items.append(["", ""])  # ends the folding of the field before
        blocks.extend(_split_run_on((k, v) for k, v in items if k))
    return blocks[:limit] if len(blocks) > limit else blocks


def status_blocks(msg: Message) -> list[StatusBlock]:
    out = []
    for part in status_parts(msg):
        for fields in _decoded_blocks(part):
            if not any(f in fields for f in (*_FIELDS[:4], _ACTUAL)):
                continue  # the per-message block (Reporting-MTA, Arrival-Date, …)
            address, source = None, ""
            for name in ("original-recipient", "final-recipient", _ACTUAL):
                address = _address(fields.get(name, ""))
                if address:
                    source = name
                    break
            action = (fields.get("action", "") or "").strip().lower()
            diagnostic = next(
                (_diagnostic(fields[f]) for f in _DIAGNOSTIC_FIELDS if fields.get(f)), ""
            )
            out.append(
                StatusBlock(
                    action=action.split()[0] if action else "",
                    status=fields.get("status", "").strip() or None,
                    address=address,
                    diagnostic=diagnostic,
                    remote_mta=fields.get("remote-mta", "").partition(";")[2].strip(),
                    source=source,
                )
            )
    return out


def outcome(block: StatusBlock) -> str:
    """ "failed", "delayed", "delivered" or "" (unknown) for one recipient block. A block
    without Action is judged by its status class."""
    action = block.action
    if not action and block.status:
        first = block.status.strip()[:1]
        # (4.x too: a truncated block is more often a failure than a delay notice)
        action = {"5": "failed", "4": "failed", "2": "delivered"}.get(first, "")
    if action.startswith(FAILED):
        return "failed"
    if action.startswith(DELAYED):
        return "delayed"
    if action.startswith(DELIVERED):
        return "delivered"
    return ""


def envelope_sender(msg: Message) -> str:
    """The original envelope sender some MTAs put in the per-message block
    (Postfix: X-Postfix-Sender)."""
    for part in status_parts(msg):
        for fields in _decoded_blocks(part, 1):
            value = fields.get("x-postfix-sender", "") or fields.get("x-original-sender", "")
            return _address(value) or value
    return ""
