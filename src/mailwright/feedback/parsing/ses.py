"""Amazon SES notifications (SNS e-mail subscriptions, or the JSON itself): bounces with their
bounce type and sub-type, complaints, deliveries and delivery delays, as AWS documents them
("Amazon SNS notification contents for Amazon SES" and event publishing)."""

from __future__ import annotations

from email.message import Message

from mailwright.feedback.parsing import dsn
from mailwright.feedback.parsing.classify import classify
from mailwright.feedback.parsing.result import (
    CONTENT_REJECTED,
    MAILBOX_FULL,
    MESSAGE_TOO_LARGE,
    OTHER,
    SPAM_DETECTED,
    USER_UNKNOWN,
    VIRUS_DETECTED,
    Parsed,
    Recipient,
)

# bounceSubType → reason. The sub-type is SES's own verdict and wins over the diagnostic text,
# except that a content rejection the receiver explained as spam or a virus stays that.
# "Suppressed" (a recent history of bouncing as an invalid address) and
# "OnAccountSuppressionList" (on our account's suppression list): SES will refuse every send
# to the address, so it is as good as unknown to us — and suppressed here too.
SUBTYPES: dict[str, str] = {
    "NoEmail": USER_UNKNOWN,
    "Suppressed": USER_UNKNOWN,
    "OnAccountSuppressionList": USER_UNKNOWN,
    "MailboxFull": MAILBOX_FULL,
    "MessageTooLarge": MESSAGE_TOO_LARGE,
    "ContentRejected": CONTENT_REJECTED,
    "AttachmentRejected": CONTENT_REJECTED,
}
_MORE_SPECIFIC = {SPAM_DETECTED, VIRUS_DETECTED}


def original_of(note: dict) -> Message:
    """The original's headers, from mail.headers (only sent when "include original headers"
    is on) or mail.commonHeaders."""
    mail = note.get("mail") if isinstance(note.get("mail"), dict) else {}
    original = Message()
    for item in mail.get("headers") or []:
        if isinstance(item, dict) and item.get("name"):
            original[str(item["name"])] = str(item.get("value", ""))
    common = mail.get("commonHeaders") if isinstance(mail.get("commonHeaders"), dict) else {}
    for key, name in (("messageId", "Message-ID"), ("subject", "Subject")):
        if common.get(key) and name not in original:
            original[name] = str(common[key])
    for key, name in (("from", "From"), ("to", "To")):
        values = common.get(key)
        if isinstance(values, list) and values and name not in original:
            original[name] = ", ".join(str(v) for v in values)
    if mail.get("source") and "Return-Path" not in original:
        original["Return-Path"] = f"<{mail['source']}>"
    return original


def _recipient(item: dict, permanent: bool | None, sub_type: str) -> Recipient:
    diagnostic = dsn._diagnostic(str(item.get("diagnosticCode", "") or ""))
    status = item.get("status")
    kind, reason, status = classify(
        str(status) if status else None, diagnostic, permanent=permanent
    )
    mapped = SUBTYPES.get(sub_type)
    if mapped and not (mapped == CONTENT_REJECTED and reason in _MORE_SPECIFIC):
        reason = mapped
    if permanent is True:
        kind = "hard"
    elif permanent is False:
        kind = "soft"
    address = str(item.get("emailAddress", "") or "") or None
    return Recipient(address, kind, reason or OTHER, status, diagnostic)


def read(result: Parsed, note: dict) -> Message:
    """Fill `result` from one SES notification; returns the original's headers."""
    kind_of = str(note.get("notificationType") or note.get("eventType") or "").lower()
    rule = f"SES {kind_of} notification"
    if kind_of == "bounce" and isinstance(note.get("bounce"), dict):
        bounce = note["bounce"]
        bounce_type = str(bounce.get("bounceType", ""))
        sub_type = str(bounce.get("bounceSubType", ""))
        permanent = {"Permanent": True, "Transient": False}.get(bounce_type)
        for item in bounce.get("bouncedRecipients") or []:
            if isinstance(item, dict):
                result.recipients.append(_recipient(item, permanent, sub_type))
        result.bounce = bool(result.recipients)
        result.trace.append({"field": "bounce", "value": f"{bounce_type}/{sub_type}", "rule": rule})
    elif kind_of == "deliverydelay" and isinstance(note.get("deliveryDelay"), dict):
        delay = note["deliveryDelay"]
        for item in delay.get("delayedRecipients") or []:
            if isinstance(item, dict):
                result.recipients.append(_recipient(item, False, ""))
        result.delay = bool(result.recipients)
        result.trace.append(
            {"field": "delay", "value": str(delay.get("delayType", "")), "rule": rule}
        )
    elif kind_of == "complaint" and isinstance(note.get("complaint"), dict):
        complaint = note["complaint"]
        result.complaint = True
        result.feedback_type = str(complaint.get("complaintFeedbackType") or "abuse").lower()
        for item in complaint.get("complainedRecipients") or []:
            if isinstance(item, dict) and item.get("emailAddress"):
                result.complaint_recipient = str(item["emailAddress"])
                break
        result.trace.append({"field": "complaint", "value": True, "rule": rule})
        result.trace.append(
            {
                "field": "complaint_recipient",
                "value": result.complaint_recipient,
                "rule": "SES complaint complainedRecipients",
            }
        )
    elif kind_of == "delivery":
        result.trace.append({"field": "automated", "value": "delivered", "rule": rule})
    result.automated = True
    return original_of(note)
