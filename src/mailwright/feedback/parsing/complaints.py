"""Complaints: RFC 5965 ARF feedback reports (generic FBLs, Yahoo CFL, Microsoft JMRP in its
ARF form) and the older Hotmail/JMRP format that forwards the original as message/rfc822."""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.message import Message
from email.utils import getaddresses, parseaddr

from mailwright.feedback.parsing import mime


@dataclass
class Complaint:
    feedback_type: str
    recipient: str | None
    original: Message | None
    fields: dict[str, str]


def _addr(value: str) -> str | None:
    value = (value or "").strip()
    if ";" in value and "@" not in value.split(";", 1)[0]:
        value = value.split(";", 1)[1]  # "rfc822; user@example.com"
    addr = parseaddr(value)[1] or value.strip("<> ")
    return addr if "@" in addr and " " not in addr else None


def _report_fields(part: Message) -> dict[str, str]:
    """message/feedback-report is a single header block; the parser may have made it a
    sub-message or left it as text."""
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


def original_recipient(original: Message | None) -> str | None:
    if original is None:
        return None
    for _, addr in getaddresses(mime.headers(original, "to")):
        if "@" in addr:
            return addr
    return None


def arf(msg: Message) -> Complaint | None:
    parts = mime.parts_of_type(msg, "message/feedback-report")
    if not parts and not (
        mime.content_type(msg) == "multipart/report"
        and mime.param(msg, "report-type") == "feedback-report"
    ):
        return None
    fields = _report_fields(parts[0]) if parts else {}
    original = mime.attached_original(msg)
    recipient = _addr(fields.get("original-rcpt-to", "")) or original_recipient(original)
    feedback_type = (fields.get("feedback-type", "") or "abuse").strip().lower()
    feedback_type = re.split(r"[\s;]", feedback_type)[0] or "abuse"
    return Complaint(feedback_type, recipient, original, fields)


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
    recipient = _addr(hm) or original_recipient(original)
    return Complaint("abuse", recipient, original, {"user-agent": "jmrp"})


def complaint(msg: Message) -> Complaint | None:
    return arf(msg) or jmrp_legacy(msg)
