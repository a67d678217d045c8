"""Complaints that are not ARF reports.

- A spam report forwarded by an abuse desk, a postmaster or a reporting service (SpamCop): the
  reported message attached as message/rfc822 or quoted in the text ("> Received: …" or after
  SpamCop's "[ Offending message ]"), with the reporter's own words ("reported … as spam",
  "unsolicited", "abuse report"). It takes both signals: a reporter (its From is abuse@,
  postmaster@, spamcop@, … or its Subject says spam/abuse/complaint) and that wording, so a
  person forwarding our newsletter ("it went to my spam folder") is not a complaint. The
  complaining recipient is read from the reported message as for ARF
  (`complaints.choose_recipient`); the reporter's own addresses never count.
- A feedback-loop aggregate per Feedback-ID (Gmail's feedback loop: spam rates per
  identifier, never per user): a complaint that names no recipient, by design."""

from __future__ import annotations

import re
from email.message import Message
from email.utils import parseaddr

from mailwright.feedback.parsing import complaints, mime

# The reporter's From local part: an abuse desk, a postmaster, a reporting service.
_REPORTER = re.compile(r"^(?:abuse|postmaster|hostmaster|spamcop|spam|fbl|noc|security)\b", re.I)
_REPORT_SUBJECT = re.compile(
    r"\[SpamCop\b|\bspam\b|\babuse\b|\bunsolicited\b|\bcomplaint\b|\bUCE\b|\bSpam", re.I
)
# A delivery failure notice (from postmaster@ too) speaking of spam is a bounce, not a report.
_BOUNCE_SUBJECT = re.compile(
    r"undeliver|returned|failure|failed|delivery status|non[- ]?delivery|unzustellbar|rejected",
    re.I,
)
# The reporter's words: someone reported the message as spam / it is unsolicited mail.
_REPORT_TEXT = re.compile(
    r"\breported\b.{0,80}?\b(?:spam|unsolicited|junk|abuse)"
    r"|\bspam[ \t]{1,3}(?:complaint|report)"
    r"|\bunsolicited[ \t\r\n]{1,3}(?:(?:commercial|bulk)[ \t\r\n]{1,3})?(?:e-?mail|message)"
    r"|\babuse[ \t]{1,3}(?:report|complaint)"
    # A reporter speaking of its users: "Our users marked the following messages as spam".
    r"|\b(?:users?|customers?|subscribers?|members?)\b.{0,40}?\bmarked\b.{0,80}?"
    r"\bas[ \t\r\n]{1,3}(?:spam|junk)\b"
    r"|\[ SpamCop V",
    re.I | re.S,
)
# Where a quoted original's header block starts (also "> "-quoted).
_QUOTED_HEADER = re.compile(
    r"^[ \t]{0,4}(?:>[ \t]?)?(?:Return-Path|Received|X-Original-To|Delivered-To|From|Message-ID):",
    re.I | re.M,
)
_QUOTE_MARK = re.compile(r"^[ \t]{0,4}>[ \t]?", re.M)
_MAX_TEXT = 16_000
# A receiver's SMTP refusal in the notice's own words ("554 5.7.1 … unsolicited", "host said:
# 550 …"): a delivery failure notice, whatever its subject, not somebody's spam report.
_SMTP_REFUSAL = re.compile(
    r"^[ \t]{0,8}[45][0-5]\d[ -]\S|(?<![\d.])[45][0-5]\d[ -][45]\.\d{1,3}\.\d{1,3}\b"
    r"|\b(?:said|replied|responded|answered|returned)\b[^\n]{0,20}?(?<![\d.])[45][0-5]\d\b",
    re.I | re.M,
)

# A feedback-loop aggregate: rates per Feedback-ID identifier.
_FEEDBACK_ID = re.compile(r"\bFeedback[- ]ID\b", re.I)
_AGGREGATE = re.compile(r"\bspam[ \t]rate\b|\bcomplaint[ \t]rate\b", re.I)
_FEEDBACK_LOOP = re.compile(r"\bfeedback[ \t]loop\b", re.I)


def _quoted_original(text: str) -> Message | None:
    """The header block of a message quoted in `text` (From plus To, Delivered-To or
    Message-ID), the quoting marks removed."""
    for n, match in enumerate(_QUOTED_HEADER.finditer(text)):
        if n >= 5:
            break
        block = _QUOTE_MARK.sub("", text[match.start() : match.start() + 8000])
        headers = mime.parse_headers(block)
        if headers.get("from") and (
            headers.get("to") or headers.get("delivered-to") or headers.get("message-id")
        ):
            return headers
    return None


def _refuses(text: str) -> bool:
    """The reporter's own words (above a quoted original) carry an SMTP refusal: a bounce."""
    quoted = _QUOTED_HEADER.search(text)
    words = text[: quoted.start()] if quoted else text
    words = words.split("[ Offending message ]", 1)[0]
    return bool(_SMTP_REFUSAL.search(words))


def _first_text(msg: Message) -> str:
    for part in mime.walk(msg):
        if not part.is_multipart() and mime.content_type(part) == "text/plain":
            return mime.part_text(part)[:_MAX_TEXT]
    return mime.report_text(msg)[:_MAX_TEXT]


def forwarded_spam_report(msg: Message) -> complaints.Complaint | None:
    sender = parseaddr(mime.header(msg, "from"))[1]
    subject = mime.header(msg, "subject")
    if not (_REPORTER.match(sender) or _REPORT_SUBJECT.search(subject)):
        return None
    if _BOUNCE_SUBJECT.search(subject):
        return None
    text = _first_text(msg)
    if not _REPORT_TEXT.search(text):
        return None
    attached = mime.attached_original(msg)
    original = attached or _quoted_original(text)
    if original is None:
        return None
    if _refuses(text):
        return None
    recipient, rule, redacted = complaints.choose_recipient({}, original)
    how = "a spam report forwarded by an abuse desk or reporting service, the message "
    how += "attached" if attached is not None else "quoted"
    return complaints.Complaint("abuse", recipient, original, {"how": how}, rule, redacted)


def feedback_id_aggregate(msg: Message) -> complaints.Complaint | None:
    if mime.attached_original(msg) is not None or mime.header(msg, "list-id"):
        return None
    text = f"{mime.header(msg, 'subject')}\n{_first_text(msg)}"
    if not (_FEEDBACK_ID.search(text) and _AGGREGATE.search(text)):
        return None
    if not _FEEDBACK_LOOP.search(text):
        return None
    how = "a feedback-loop aggregate per Feedback-ID: it never names who complained"
    return complaints.Complaint("abuse", None, None, {"how": how}, "", [])


def complaint(msg: Message) -> complaints.Complaint | None:
    return forwarded_spam_report(msg) or feedback_id_aggregate(msg)
