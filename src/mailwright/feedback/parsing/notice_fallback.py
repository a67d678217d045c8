"""The failed address of a mailer-daemon notice in no known format (round 3, Asian notices):
the notice is a bounce (its sender, subject or NDR header says so) and carries a status, but
no family's signature and no failure detector named the address. Before leaving it to the
VERP token, look where notices put it — a label ("送信先：addr", "收件人：" then the address on
the next line), the recipient words of a CJK sentence ("宛先(addr)へ", "发往 <addr> 的"), an
English sentence, a "<addr>:" line or the server's reply ("550 5.2.1 <addr> …") — and
else the returned original's one recipient.

Only one address counts: a notice naming several in those places is not read this way."""

from __future__ import annotations

import re
from email.message import Message
from email.utils import getaddresses

from mailwright.feedback.parsing import mime
from mailwright.feedback.parsing import notice_phrases_intl as intl
from mailwright.feedback.parsing.notice_places import (
    ANGLE_LINE,
    CJK_AFTER_ADDR,
    CJK_BEFORE_ADDR,
    INTL_BEFORE_ADDR,
    LABEL_NEXT_LINE,
    LABELLED,
    REPLY_ADDR,
    SENTENCE,
)
from mailwright.feedback.parsing.plaintext_formats import (
    MAX_NOTICE,
    Format,
    recipient_from_original,
    recipients_in,
)

_PLACES = Format(
    "fallback",
    re.compile(r"(?!)"),
    (
        LABELLED,
        LABEL_NEXT_LINE,
        CJK_BEFORE_ADDR,
        CJK_AFTER_ADDR,
        SENTENCE,
        ANGLE_LINE,
        INTL_BEFORE_ADDR,
        REPLY_ADDR,
    ),
)


def named_recipient(body: str, original: Message | None, notice_from: str) -> tuple[str, str]:
    """(address, rule) — ("", "") when neither the notice nor the original names one."""
    excluded = {a.lower() for _, a in getaddresses([notice_from]) if a}
    if original is not None:
        for name in ("from", "return-path", "sender", "reply-to"):
            excluded |= {a.lower() for _, a in getaddresses(mime.headers(original, name)) if a}
    found = recipients_in(_PLACES, body[:MAX_NOTICE].translate(intl.FOLD), excluded)
    if len(found) == 1:
        return found[0], "the notice's recipient label or sentence"
    if found:
        return "", ""
    addr = recipient_from_original(original)
    if addr and addr.lower() not in excluded:
        return addr, "returned original To"
    return "", ""
