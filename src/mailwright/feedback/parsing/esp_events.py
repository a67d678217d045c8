"""Sending relays' bounce events as JSON, when a customer forwards a webhook payload or an
event export by e-mail: SendGrid's Event Webhook, Mailgun's webhooks (event "failed"),
SparkPost's message events, Postmark's bounce webhook and Mandrill's `mandrill_events`, as each
vendor documents them, and their spam-complaint events (SendGrid "spamreport", Mailgun
"complained", Postmark "SpamComplaint"), which are complaints. Only the event's own
recipient field is read; the status and diagnostic decide kind and reason as for any bounce,
the vendor's own verdict (severity, bounce type, bounce class) fills in when the text does
not say."""

from __future__ import annotations

import re

from mailwright import jsonsafe
from mailwright.feedback.parsing.classify import classify_explained
from mailwright.feedback.parsing.result import (
    BLOCKED,
    CONTENT_REJECTED,
    EXPIRED,
    HOST_UNKNOWN,
    MAILBOX_FULL,
    MESSAGE_TOO_LARGE,
    OTHER,
    POLICY,
    SPAM_DETECTED,
    USER_UNKNOWN,
    VIRUS_DETECTED,
    Parsed,
    Recipient,
)

# A payload of one of these vendors is in the text (cheap test before any JSON is read).
MARKERS = re.compile(
    r'"msys"|"event-data"|"RecordType"|mandrill_events|"sg_event_id"|"SpamComplaint"'
)
MAX_JSON = 200_000

# SparkPost bounce classification codes → (permanent, reason).
SPARKPOST_CLASSES: dict[str, tuple[bool, str]] = {
    "10": (True, USER_UNKNOWN),
    "20": (False, OTHER),
    "21": (False, HOST_UNKNOWN),
    "22": (False, MAILBOX_FULL),
    "23": (False, MESSAGE_TOO_LARGE),
    "25": (True, POLICY),
    "30": (True, USER_UNKNOWN),
    "50": (True, BLOCKED),
    "51": (True, SPAM_DETECTED),
    "52": (True, SPAM_DETECTED),
    "53": (True, CONTENT_REJECTED),
    "54": (True, POLICY),
}
# Postmark bounce Type → (permanent, reason).
POSTMARK_TYPES: dict[str, tuple[bool, str]] = {
    "HardBounce": (True, USER_UNKNOWN),
    "BadEmailAddress": (True, USER_UNKNOWN),
    "SoftBounce": (False, OTHER),
    "Transient": (False, OTHER),
    "DnsError": (False, HOST_UNKNOWN),
    "Blocked": (True, BLOCKED),
    "ContentRelated": (True, CONTENT_REJECTED),
    "VirusNotification": (True, VIRUS_DETECTED),
    "SpamNotification": (True, SPAM_DETECTED),
}
# Mandrill bounce_description → reason.
MANDRILL_REASONS: dict[str, str] = {
    "bad_mailbox": USER_UNKNOWN,
    "invalid_domain": HOST_UNKNOWN,
    "mailbox_full": MAILBOX_FULL,
    "spam_related": SPAM_DETECTED,
    "invalid_content": CONTENT_REJECTED,
}
# Mailgun "reason" of a failed event → reason (suppress-bounce: a previous hard bounce).
MAILGUN_REASONS: dict[str, str] = {"suppress-bounce": USER_UNKNOWN}
SENDGRID_TYPES: dict[str, tuple[bool, str]] = {
    "bounce": (True, OTHER),
    "blocked": (False, BLOCKED),
}


def _event(item: dict) -> tuple[str, bool | None, str, str, str] | None:
    """(address, permanent, status, diagnostic, vendor reason) of one bounce event, or None."""
    if isinstance(item.get("msys"), dict):
        inner = next((v for v in item["msys"].values() if isinstance(v, dict)), {})
        if inner.get("type") in ("bounce", "out_of_band"):
            permanent, hint = SPARKPOST_CLASSES.get(str(inner.get("bounce_class")), (None, OTHER))
            return (
                str(inner.get("rcpt_to") or ""),
                permanent,
                "",
                str(inner.get("raw_reason") or ""),
                hint,
            )
        return None
    if isinstance(item.get("event-data"), dict):
        item = item["event-data"]
    if item.get("event") == "failed" and item.get("recipient"):
        status = (
            item.get("delivery-status") if isinstance(item.get("delivery-status"), dict) else {}
        )
        text = (
            f"{status.get('code', '')} {status.get('message', '')} {status.get('description', '')}"
        )
        permanent = {"permanent": True, "temporary": False}.get(str(item.get("severity")))
        return (
            str(item["recipient"]),
            permanent,
            "",
            text.strip(),
            MAILGUN_REASONS.get(str(item.get("reason")), OTHER),
        )
    # str(): a list or object in "Type" is unhashable (a dict lookup would raise).
    if item.get("RecordType") == "Bounce" and str(item.get("Type")) in POSTMARK_TYPES:
        permanent, hint = POSTMARK_TYPES[str(item["Type"])]
        text = str(item.get("Details") or item.get("Description") or "")
        return (str(item.get("Email") or ""), permanent, "", text, hint)
    if item.get("event") in ("hard_bounce", "soft_bounce") and isinstance(item.get("msg"), dict):
        m = item["msg"]
        hint = MANDRILL_REASONS.get(str(m.get("bounce_description")), OTHER)
        return (
            str(m.get("email") or ""),
            item["event"] == "hard_bounce",
            "",
            str(m.get("diag") or ""),
            hint,
        )
    if item.get("event") == "bounce" and item.get("email"):
        permanent, hint = SENDGRID_TYPES.get(str(item.get("type") or "bounce"), (True, OTHER))
        return (
            str(item["email"]),
            permanent,
            str(item.get("status") or ""),
            str(item.get("reason") or ""),
            hint,
        )
    return None


def _load(text: str):
    starts = [i for i in (text.find("{"), text.find("[")) if i >= 0]
    if not starts:
        return None
    start = min(starts)
    end = max(text.rfind("}"), text.rfind("]"))
    if end <= start or end - start > MAX_JSON:
        return None
    try:
        return jsonsafe.loads(text[start : end + 1])
    except ValueError:
        return None


def complaint_event(text: str) -> tuple[str, str] | None:
    """(recipient, event name) of the first spam-complaint event in a relay's JSON payload:
    SendGrid's "spamreport", Mailgun's "complained", Postmark's SpamComplaint record."""
    data = _load(text)
    items = data if isinstance(data, list) else [data]
    if isinstance(data, dict) and isinstance(data.get("Bounces"), list):
        items = data["Bounces"]  # Postmark's bounces API: {"TotalCount": n, "Bounces": [...]}
    for item in items[:1000]:
        if not isinstance(item, dict):
            continue
        if isinstance(item.get("event-data"), dict):
            item = item["event-data"]
        if item.get("event") == "spamreport":
            address, name = item.get("email"), "SendGrid spamreport event"
        elif item.get("event") == "complained":
            address, name = item.get("recipient"), "Mailgun complained event"
        elif "SpamComplaint" in (item.get("RecordType"), item.get("Type")):
            address, name = item.get("Email"), "Postmark SpamComplaint record"
        else:
            continue
        if isinstance(address, str) and "@" in address:
            return address.strip(), name
    return None


def read(result: Parsed, text: str) -> bool:
    """Fill `result` from the bounce events of a relay's JSON payload in `text`; False when
    there is none."""
    data = _load(text)
    items = data if isinstance(data, list) else [data]
    for item in items[:1000]:
        found = _event(item) if isinstance(item, dict) else None
        if not found or "@" not in found[0]:
            continue
        address, permanent, status, diagnostic, hint = found
        # The code and the text decide first; the vendor's verdict only where they do not.
        kind, reason, status_code, why = classify_explained(status or None, diagnostic)
        if permanent is not None and "defaults to" in why.get("kind", ""):
            if reason not in (MAILBOX_FULL, EXPIRED):
                kind = "hard" if permanent else "soft"
                why["kind"] = f"the relay's own verdict → {kind}"
        if reason == OTHER and hint != OTHER:
            reason, why["reason"] = hint, f"the relay's own verdict → {hint}"
        why["address"] = "the relay event's recipient field"
        result.recipients.append(Recipient(address, kind, reason, status_code, diagnostic, why))
    if not result.recipients:
        return False
    result.bounce = result.automated = True
    result.trace.append({"field": "bounce", "value": True, "rule": "a relay's bounce event JSON"})
    return True
