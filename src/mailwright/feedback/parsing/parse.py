"""parse_message: detect what an inbound message is (complaint, bounce, delay, auto-reply)
and reduce it to one Parsed result. Pure: no database, no settings, never raises."""

from __future__ import annotations

import logging
import re
from email.message import Message

from mailwright.feedback.parsing import autoreply, complaints, dsn, freetext, mime, verp
from mailwright.feedback.parsing.classify import classify, find_smtp_code, find_status
from mailwright.feedback.parsing.result import (
    BLOCKED,
    MAILBOX_FULL,
    MESSAGE_TOO_LARGE,
    OTHER,
    SPAM_REJECTED,
    Parsed,
    Recipient,
)

log = logging.getLogger(__name__)

# Headers of the returned original that the caller may use (in this spelling).
ORIGINAL_HEADERS = (
    "Message-ID",
    "X-Mailwright-Delivery",
    "Return-Path",
    "Feedback-ID",
    "From",
    "To",
    "Subject",
)

# Sender local parts of delivery-failure reports.
DAEMON_SENDERS = re.compile(
    r"^\s*(mailer-daemon|mailer_daemon|mailerdaemon|mail-daemon|postmaster|"
    r"mail delivery (subsystem|system)|microsoftexchange[0-9a-f]*)",
    re.I,
)
BOUNCE_SUBJECTS = re.compile(
    r"undeliver|undelivered mail|delivery status notification \(failure|"
    r"delivery (status )?fail|failure notice|returned mail|mail delivery failed|"
    r"non-?deliver|nondeliverable|delivery has failed|message not delivered|"
    r"mail system error|could not (be )?deliver|delivery_failure|delivery problem",
    re.I,
)

# Amazon SES bounce sub-types → reason when the status/diagnostic say nothing more.
SES_SUBTYPES: dict[str, str] = {
    "MailboxFull": MAILBOX_FULL,
    "MessageTooLarge": MESSAGE_TOO_LARGE,
    "ContentRejected": SPAM_REJECTED,
    "AttachmentRejected": BLOCKED,
}


def parse_message(
    raw: bytes,
    envelope_rcpt: str | None = None,
    *,
    bounce_domains: set[str] | None = None,
) -> Parsed:
    """What `raw` is, as a Parsed. Never raises: unreadable input gives a Parsed with every
    flag False."""
    domains = {d.lower().strip(".") for d in (bounce_domains or set()) if d}
    try:
        return _parse(raw, envelope_rcpt, domains)
    except Exception:  # includes RecursionError on pathological nesting
        log.debug("could not parse inbound message", exc_info=True)
        return Parsed(verp_token=verp.token_in(envelope_rcpt))


def _parse(raw: bytes, envelope_rcpt: str | None, domains: set[str]) -> Parsed:
    if not isinstance(raw, bytes | bytearray | memoryview):
        raw = str(raw).encode("utf-8", errors="replace")
    msg = mime.load(bytes(raw))
    result = Parsed()

    # 1. Complaints (ARF) come first: a feedback report is never a bounce.
    complaint = complaints.arf(msg)
    if complaint:
        _complaint(result, complaint)
        sender = complaint.fields.get("original-mail-from", "")
        _finish(result, msg, envelope_rcpt, complaint.original, domains, sender)
        return result

    # 2. RFC 3464 DSNs.
    if dsn.is_dsn(msg):
        result.automated = True
        original = mime.attached_original(msg)
        _from_dsn(result, msg)
        _finish(result, msg, envelope_rcpt, original, domains, dsn.envelope_sender(msg))
        return result

    # 3. Amazon SES notifications delivered by e-mail.
    report = mime.report_text(msg)
    notification = freetext.ses_notification(report) if "notificationType" in report else None
    if notification:
        result.automated = True
        original = _from_ses(result, notification)
        _finish(result, msg, envelope_rcpt, original, domains)
        return result

    # 4. Pre-ARF complaint formats.
    complaint = complaints.jmrp_legacy(msg)
    if complaint:
        _complaint(result, complaint)
        _finish(result, msg, envelope_rcpt, complaint.original, domains)
        return result

    # 5. Non-standard bounces.
    looks_like_bounce = _bounce_signals(msg)
    is_auto = autoreply.is_auto_reply(msg)
    body, original_text = freetext.split_original(report)
    original = mime.attached_original(msg) or (
        mime.parse_headers(original_text) if original_text else None
    )
    if looks_like_bounce or (not is_auto and freetext.BOUNCE_PHRASES.search(body)):
        _from_free_text(result, msg, body, looks_like_bounce)
    if result.bounce:
        result.automated = True
        _finish(result, msg, envelope_rcpt, original, domains)
        return result

    # 6. Auto-replies (never for something sent by a mailer daemon).
    if is_auto and not looks_like_bounce:
        result.auto_reply = True
    result.automated = result.auto_reply or looks_like_bounce
    _finish(result, msg, envelope_rcpt, None, domains)
    if not (result.auto_reply or result.bounce):
        log.debug("inbound message is neither a bounce, a complaint nor an auto-reply")
    return result


# --- detection steps -----------------------------------------------------------------------


def _complaint(result: Parsed, complaint: complaints.Complaint) -> None:
    result.complaint = True
    result.automated = True
    result.feedback_type = complaint.feedback_type
    result.complaint_recipient = complaint.recipient


def _from_dsn(result: Parsed, msg: Message) -> None:
    blocks = dsn.status_blocks(msg)
    report, _ = freetext.split_original(mime.report_text(msg))
    hidden: list[Recipient] = []
    for block in blocks:
        action = block.action
        if not action and block.status:
            # A truncated or sloppy block without Action: judge by the status class.
            action = "failed" if block.status.strip()[:1] in "45" else ""
        if action.startswith(("fail", "error")):
            permanent = None
        elif action.startswith("delay"):
            permanent = False
        else:
            continue  # delivered, relayed, expanded: not a problem
        diagnostic = block.diagnostic
        if not diagnostic and block.address:
            diagnostic = freetext.diagnostic_for(block.address, report)
        kind, reason, status = classify(block.status, diagnostic, permanent=permanent)
        recipient = Recipient(block.address, kind, reason, status, diagnostic)
        result.recipients.append(recipient)
        if permanent is False:
            result.delay = True
        else:
            result.bounce = True
        if not block.address:
            hidden.append(recipient)

    if hidden:
        # Some MTAs leave Final-Recipient empty and name the address in the text only.
        known = {r.address.lower() for r in result.recipients if r.address}
        found = [f for f in freetext.failures(msg) if f.address.lower() not in known]
        if len(found) == len(hidden):
            for recipient, failure in zip(hidden, found, strict=True):
                recipient.address = failure.address
                if not recipient.diagnostic:
                    recipient.diagnostic = failure.diagnostic

    if not blocks:
        # A DSN that lost its status part (truncated, mangled): read it like free text.
        _from_free_text(result, msg, report, True)


def _from_free_text(result: Parsed, msg: Message, body: str, daemon: bool) -> None:
    whole: dict[bool, tuple] = {}  # what the whole report says, read once (it can be long)
    for failure in freetext.failures(msg):
        diagnostic = failure.diagnostic
        kind, reason, status = classify(
            None, diagnostic, permanent=None if failure.permanent else False
        )
        if reason == OTHER and not status and not find_smtp_code(diagnostic):
            # Nothing specific next to the address: use what the whole report says.
            if failure.permanent not in whole:
                permanent = None if failure.permanent else False
                whole[failure.permanent] = classify(None, body, permanent=permanent)
            kind, reason, status = whole[failure.permanent]
        result.recipients.append(Recipient(failure.address, kind, reason, status, diagnostic))
    if result.recipients:
        result.bounce = True
        return
    if daemon and (find_status(body) or find_smtp_code(body)):
        # A failure report that does not name the recipient (the VERP token will).
        kind, reason, status = classify(None, body)
        diagnostic = _status_line(body)
        result.recipients.append(Recipient(None, kind, reason, status, diagnostic))
        result.bounce = True


def _from_ses(result: Parsed, note: dict) -> Message | None:
    kind_of = str(note.get("notificationType") or note.get("eventType") or "").lower()
    mail = note.get("mail") if isinstance(note.get("mail"), dict) else {}
    original = Message()
    for item in mail.get("headers") or []:
        if isinstance(item, dict) and item.get("name"):
            original[str(item["name"])] = str(item.get("value", ""))
    if kind_of == "bounce" and isinstance(note.get("bounce"), dict):
        bounce = note["bounce"]
        bounce_type = str(bounce.get("bounceType", ""))
        sub_type = str(bounce.get("bounceSubType", ""))
        for item in bounce.get("bouncedRecipients") or []:
            if not isinstance(item, dict):
                continue
            diagnostic = dsn._diagnostic(str(item.get("diagnosticCode", "")))
            status = item.get("status")
            kind, reason, status = classify(
                str(status) if status else None,
                diagnostic,
                permanent=False if bounce_type == "Transient" else None,
            )
            if reason == OTHER:
                reason = SES_SUBTYPES.get(sub_type, OTHER)
            if bounce_type == "Permanent" and reason not in (MAILBOX_FULL,):
                kind = "hard"
            address = str(item.get("emailAddress", "")) or None
            result.recipients.append(Recipient(address, kind, reason, status, diagnostic))
        result.bounce = bool(result.recipients)
    elif kind_of == "complaint" and isinstance(note.get("complaint"), dict):
        complaint = note["complaint"]
        result.complaint = True
        result.automated = True
        result.feedback_type = str(complaint.get("complaintFeedbackType") or "abuse").lower()
        for item in complaint.get("complainedRecipients") or []:
            if isinstance(item, dict) and item.get("emailAddress"):
                result.complaint_recipient = str(item["emailAddress"])
                break
    return original


# --- shared finishing: original message, VERP token, own-address filter --------------------


def _finish(
    result: Parsed,
    msg: Message,
    envelope_rcpt: str | None,
    original: Message | None,
    domains: set[str],
    original_sender: str = "",
) -> None:
    if original is not None:
        for name in ORIGINAL_HEADERS:
            value = mime.header(original, name)
            if value:
                result.original_headers[name] = value
        result.original_message_id = result.original_headers.get("Message-ID") or None

    result.verp_token = verp.first_token(
        [
            envelope_rcpt,
            *mime.headers(msg, "delivered-to"),
            *mime.headers(msg, "x-original-to"),
            *mime.headers(msg, "to"),
            result.original_headers.get("Return-Path"),
            result.original_headers.get("From"),
            original_sender,
        ]
    )

    # A bounce of our own bounce (or of mail to a bounce address) must never suppress our
    # own address.
    result.recipients = [r for r in result.recipients if not verp.is_ours(r.address, domains)]
    if result.complaint_recipient and verp.is_ours(result.complaint_recipient, domains):
        result.complaint_recipient = None


def _status_line(text: str) -> str:
    for line in text.splitlines()[:1000]:
        if find_status(line) or find_smtp_code(line):
            return mime.collapse(line, 1000)
    return ""


def _bounce_signals(msg: Message) -> bool:
    if (
        mime.headers(msg, "x-failed-recipients")
        or msg.get("x-ms-exchange-message-is-ndr") is not None
    ):
        return True
    sender = mime.header(msg, "from")
    local = sender.rpartition("<")[2] if "<" in sender else sender
    if DAEMON_SENDERS.search(local) or DAEMON_SENDERS.search(sender):
        return True
    return bool(BOUNCE_SUBJECTS.search(mime.header(msg, "subject")))
