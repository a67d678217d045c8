"""parse_message: detect what an inbound message is (complaint, bounce, delay, auto-reply)
and reduce it to one Parsed result. Pure: no database, no settings, never raises."""

from __future__ import annotations

import logging
from email.message import Message

from mailwright.feedback.parsing import (
    autoreply,
    carriers,
    complaints,
    dsn,
    esp_events,
    forwarded_complaints,
    freetext,
    mime,
    notice_fallback,
    plaintext_formats,
    ses,
    shapes,
    verp,
)
from mailwright.feedback.parsing.classify import (
    classify_explained,
    find_smtp_code,
    find_status,
    message_budget,
)
from mailwright.feedback.parsing.notice_reasons import says_temporary
from mailwright.feedback.parsing.phrases import reason_from_text
from mailwright.feedback.parsing.result import (
    EXPIRED,
    NETWORK_ERROR,
    OTHER,
    SYSTEM_ERROR,
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

# A DSN that says "Action: failed" with a 4.x.x status gave up on a transient condition: the
# queue lifetime ran out (Postfix maximal_queue_lifetime, sendmail Timeout.queuereturn). Only
# when the status names the path, not the address (a full mailbox stays mailbox_full).
GAVE_UP_ON = frozenset({NETWORK_ERROR, SYSTEM_ERROR, OTHER})


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
        with message_budget():
            return _parse(raw, envelope_rcpt, domains)
    except Exception:  # includes RecursionError on pathological nesting
        log.debug("could not parse inbound message", exc_info=True)
        return Parsed(verp_token=verp.token_in(envelope_rcpt))


def _parse(raw: bytes, envelope_rcpt: str | None, domains: set[str]) -> Parsed:
    if not isinstance(raw, bytes | bytearray | memoryview):
        raw = str(raw).encode("utf-8", errors="replace")
    return _parse_msg(mime.load(bytes(raw)), envelope_rcpt, domains)


def _parse_msg(msg: Message, envelope_rcpt: str | None, domains: set[str], nested=False) -> Parsed:
    result = Parsed()

    # 1. Complaints (ARF) come first: a feedback report is never a bounce.
    complaint = complaints.arf(msg)
    if complaint and complaint.feedback_type in complaints.NOT_COMPLAINTS:
        # An RFC 6591 authentication failure (DMARC forensic) report: machine mail about our
        # authentication, not a person's complaint: it must not unsubscribe anyone.
        result.automated = True
        result.feedback_type = complaint.feedback_type
        _trace(result, "complaint", False, complaints.NOT_COMPLAINTS[complaint.feedback_type])
        _finish(result, msg, envelope_rcpt, complaint.original, domains)
        return result
    if complaint:
        _trace(result, "complaint", True, "ARF feedback report (RFC 5965)")
        _complaint(result, complaint)
        sender = complaint.fields.get("original-mail-from", "")
        _finish(result, msg, envelope_rcpt, complaint.original, domains, sender)
        return result

    # 2. RFC 3464 / RFC 6533 DSNs (also a delivery-status block sent as text/plain).
    if dsn.is_dsn(msg):
        result.automated = True
        original = mime.attached_original(msg)
        sender = dsn.envelope_sender(msg)
        _from_dsn(result, msg, original, sender)
        _trace(result, "bounce", result.bounce, _dsn_rule(result))
        if result.delay:
            _trace(result, "delay", True, "RFC 3464 DSN: a status block says Action: delayed")
        _finish(result, msg, envelope_rcpt, original, domains, sender)
        return result

    # 3. Amazon SES notifications delivered by e-mail (or the notification JSON itself).
    report = mime.report_text(msg)
    if "notificationType" in report or "eventType" in report:
        notification = freetext.ses_notification(report)
        if notification:
            original = ses.read(result, notification)
            _finish(result, msg, envelope_rcpt, original, domains)
            return result
    if esp_events.MARKERS.search(report) and esp_events.read(result, report):
        _finish(result, msg, envelope_rcpt, None, domains)
        return result
    event = esp_events.MARKERS.search(report) and esp_events.complaint_event(report)
    if event:
        _trace(result, "complaint", True, f"a relay's spam-complaint event JSON ({event[1]})")
        _complaint(result, complaints.Complaint("abuse", event[0], None, {}, event[1]))
        _finish(result, msg, envelope_rcpt, None, domains)
        return result

    # 4. Pre-ARF complaint formats.
    complaint = complaints.jmrp_legacy(msg) or forwarded_complaints.complaint(msg)
    if complaint:
        how = complaint.fields.get("how", "pre-ARF Microsoft JMRP report")
        _trace(result, "complaint", True, how)
        _complaint(result, complaint)
        _finish(result, msg, envelope_rcpt, complaint.original, domains)
        return result

    # 5. Non-standard bounces (also one a person forwarded as an attachment).
    attached = None if nested else shapes.forwarded_notice(msg)
    if attached is not None:
        inner = _parse_msg(attached, envelope_rcpt, domains, nested=True)
        if inner.bounce or inner.delay:
            _trace(inner, "bounce", inner.bounce, "a notice forwarded as an attached message")
            return inner
    own_forward = shapes.forwards_own_notice(msg, report, domains)  # a person's, not ours
    looks_like_bounce = shapes.bounce_signals(msg) and not own_forward
    is_auto = autoreply.is_auto_reply(msg)
    listed = (not looks_like_bounce and shapes.list_or_receipt(msg)) or own_forward
    report = shapes.unquote_forwarded(report, mime.header(msg, "subject"))
    body, original_text = shapes.split_notice(report)
    person_reply = shapes.is_reply(msg) and not (looks_like_bounce or is_auto)  # shapes.is_reply
    if original_text and not person_reply and not plaintext_formats.family_of(body):
        # A notice forwarded under Outlook's "-----Original Message-----": the marker cut off
        # the notice itself; read the notice from after it (its own marker ends it). Also a
        # notice in no known format, when only the text after the marker carries a code.
        inner, inner_original = shapes.split_notice(original_text)
        if plaintext_formats.family_of(inner) or (
            not shapes.coded(body) and shapes.coded(inner) and freetext.BOUNCE_PHRASES.search(inner)
        ):
            body, original_text = inner, inner_original
    if shapes.is_forward(mime.header(msg, "subject"), report):
        body = shapes.from_signature(body)
    original = mime.attached_original(msg) or (
        mime.parse_headers(original_text) if original_text else None
    )
    # A plain-text notice in a known format (its own opening sentence), headers or not.
    notice = (
        None
        if listed
        else plaintext_formats.read_notice(
            body, original, mime.header(msg, "from"), freetext.diagnostic_for
        )
    )
    if notice is not None:
        _from_notice(result, notice, body)
    elif not listed and (
        looks_like_bounce or (not is_auto and freetext.BOUNCE_PHRASES.search(body))
    ):
        _from_free_text(result, msg, body, looks_like_bounce, original)
        _still_retrying(result, body)
    if result.bounce or result.delay:
        result.automated = True
        if notice is None:
            flag = "bounce" if result.bounce else "delay"
            rule = _free_text_rule(msg, body, looks_like_bounce)
            if result.delay:
                rule = f"{rule}; all soft and the text says it is still retrying"
            _trace(result, flag, True, rule)
        _finish(result, msg, envelope_rcpt, original, domains)
        return result

    # 6. Auto-replies (never for something sent by a mailer daemon); read receipts are
    # machine mail but nothing to act on.
    if is_auto and not looks_like_bounce:
        result.auto_reply = True
        result.trace.append(
            {"field": "auto_reply", "value": True, "rule": autoreply.why_auto_reply(msg)}
        )
    result.automated = result.auto_reply or looks_like_bounce or autoreply.is_receipt(msg)
    _finish(result, msg, envelope_rcpt, None, domains)
    if not (result.auto_reply or result.bounce):
        _trace(result, "bounce", False, "no DSN, feedback report or failed recipient found")
        log.debug("inbound message is neither a bounce, a complaint nor an auto-reply")
    return result


# --- detection steps -----------------------------------------------------------------------


def _complaint(result: Parsed, complaint: complaints.Complaint) -> None:
    result.complaint = True
    result.automated = True
    result.feedback_type = complaint.feedback_type
    result.complaint_recipient = complaint.recipient
    rule = complaint.rule or "no address in the report or the reported message"
    if complaint.redacted:
        rule += f" (redacted, skipped: {', '.join(complaint.redacted[:3])})"
    result.trace.append(
        {"field": "complaint_recipient", "value": complaint.recipient, "rule": rule}
    )


def _from_dsn(result: Parsed, msg: Message, original: Message | None, sender: str) -> None:
    """Only failed recipients make a bounce; a report whose problems are all delays is a
    delay notice; one that only says delivered/relayed/expanded is a delivery report."""
    blocks = dsn.status_blocks(msg)
    report, _ = freetext.split_original(mime.report_text(msg))
    returned_from = {
        a.lower()
        for a in (sender, mime.header(original, "return-path").strip("<> "))
        if a and "@" in a
    }
    failed: list[Recipient] = []
    delayed: list[Recipient] = []
    for block in blocks:
        outcome = dsn.outcome(block)
        if outcome not in ("failed", "delayed"):
            if outcome == "delivered":
                result.trace.append(
                    {"field": "automated", "value": block.action, "rule": "DSN Action"}
                )
            continue
        if block.address and block.address.lower() in returned_from:
            continue  # the envelope sender is never a failed recipient
        diagnostic = block.diagnostic
        if not diagnostic and block.address:
            diagnostic = _coded_paragraph(block.address, report)
        permanent = False if outcome == "delayed" else None
        kind, reason, status, why = classify_explained(
            block.status, diagnostic, permanent=permanent
        )
        if (
            block.action.startswith(dsn.FAILED)
            and (status or "").startswith("4.")
            and reason in GAVE_UP_ON
        ):
            reason = EXPIRED
            why["reason"] = f"DSN Action: failed with status {status} (the queue gave up)"
        if outcome == "delayed" and reason == EXPIRED:
            # Still queued, so not expired (Exchange marks its delay notices 4.4.7): the
            # text says what keeps failing, when it says.
            cause = reason_from_text(diagnostic)
            if cause and cause[0] != EXPIRED:
                reason, why["reason"] = (
                    cause[0],
                    f"{cause[1]} (delayed: status {status} is no expiry)",
                )
        why["address"] = (
            f"DSN {block.source}" if block.address else "not in the DSN (the VERP token decides)"
        )
        recipient = Recipient(block.address, kind, reason, status, diagnostic, why)
        (failed if outcome == "failed" else delayed).append(recipient)
    chosen = _one_per_address(failed) or _one_per_address(delayed)
    result.recipients.extend(chosen)
    result.bounce = bool(failed)
    result.delay = not failed and bool(delayed)

    hidden = [r for r in chosen if not r.address]
    if hidden:
        # Some MTAs leave Final-Recipient empty and name the address in the text only.
        known = {b.address.lower() for b in blocks if b.address} | returned_from
        found = [f for f in freetext.failures_in_report(msg) if f.address.lower() not in known]
        if len(found) == len(hidden):
            for recipient, failure in zip(hidden, found, strict=True):
                recipient.address = failure.address
                recipient.diagnostic = recipient.diagnostic or failure.diagnostic
                recipient.why["address"] = "DSN without an address: named in the report text"
        elif len(hidden) == 1:
            # Else the returned original's X-Original-To / Delivered-To / To when it names
            # one address (else the address stays None: our VERP token says who it was).
            address = plaintext_formats.recipient_from_original(original)
            if address and address.lower() not in known and not verp.token_in(address):
                hidden[0].address = address
                hidden[0].why["address"] = "DSN without an address: the returned original's To"

    if not blocks:
        # A DSN that lost its status part (truncated, mangled): read it like free text.
        _from_free_text(result, msg, report, True)


def _still_retrying(result: Parsed, body: str) -> None:
    """A free-text notice whose failures are all soft and that says it is still retrying
    (and nowhere that it gave up) is a delay warning, not a bounce."""
    if not (result.bounce and result.recipients):
        return
    if all(r.kind == "soft" for r in result.recipients) and says_temporary(
        body[: plaintext_formats.MAX_HINT]
    ):
        result.bounce, result.delay = False, True


def _one_per_address(recipients: list[Recipient]) -> list[Recipient]:
    """A relay that wraps the next hop's report sends two status parts for one recipient
    (its own generic 5.0.0 and the inner server's 5.1.1): one recipient, the most specific
    block decides (a placed reason beats `other`, a specific status beats an x.0.0)."""

    def specific(r: Recipient) -> tuple[bool, bool]:
        return (r.reason != OTHER, not (r.status or "x.0.0").endswith(".0.0"))

    out: list[Recipient] = []
    for r in recipients:
        same = next(
            (o for o in out if r.address and (o.address or "").lower() == r.address.lower()),
            None,
        )
        if same is None:
            out.append(r)
        elif specific(r) > specific(same):
            out[out.index(same)] = r
    return out


def _from_free_text(
    result: Parsed, msg: Message, body: str, daemon: bool, original: Message | None = None
) -> None:
    whole: dict[bool, tuple] = {}  # what the whole report says, read once (it can be long)
    for failure in freetext.failures(msg):
        diagnostic = failure.diagnostic
        kind, reason, status, why = classify_explained(
            None, diagnostic, permanent=None if failure.permanent else False
        )
        if reason == OTHER and not status and not find_smtp_code(diagnostic):
            # Nothing specific next to the address: use what the whole report says.
            if failure.permanent not in whole:
                permanent = None if failure.permanent else False
                found = classify_explained(None, body, permanent=permanent)
                whole[failure.permanent] = found
            kind, reason, status, why = whole[failure.permanent]
            why = {k: f"{v} (whole report)" for k, v in why.items()}
        why["address"] = "free-text notice (failure detector)"
        result.recipients.append(Recipient(failure.address, kind, reason, status, diagnostic, why))
    if not (daemon and shapes.coded(body)):
        result.bounce = bool(result.recipients)
        return
    # An unknown format that puts each address alone on a line above the server's reply.
    original = mime.attached_original(msg) or original
    excluded = shapes.original_senders(original)
    known = {(r.address or "").lower() for r in result.recipients}
    for address, diagnostic in shapes.coded_addresses(body, excluded | known):
        kind, reason, status, why = classify_explained(None, diagnostic)
        why["address"] = "free-text notice: the address above the server's reply"
        result.recipients.append(Recipient(address, kind, reason, status, diagnostic, why))
    if result.recipients:
        result.bounce = True
        return
    # A failure report that does not name the recipient in a known format: one address in a
    # recipient placement, else the returned original's one recipient, else none (the VERP
    # token will say).
    kind, reason, status, why = classify_explained(None, body)
    diagnostic = shapes.status_line(body)
    address, rule = notice_fallback.named_recipient(body, original, mime.header(msg, "from"))
    if address and address.lower() in excluded:
        address = None
    why["address"] = (
        f"free-text notice: {rule}"
        if address
        else "not named in the report (the VERP token decides)"
    )
    result.recipients.append(Recipient(address or None, kind, reason, status, diagnostic, why))
    result.bounce = True


def _from_notice(result: Parsed, notice: plaintext_formats.Notice, body: str) -> None:
    whole: dict[bool | None, tuple] = {}  # what the whole report says, read once
    # Each recipient's own status: the whole notice's code, when it is another recipient's,
    # is not borrowed by a recipient whose own text has none.
    own = [find_status(f.diagnostic) for f in notice.failures]
    for i, failure in enumerate(notice.failures):
        permanent = None if failure.permanent else False
        kind, reason, status, why = classify_explained(
            None, failure.diagnostic, permanent=permanent
        )
        if reason == OTHER and not status and not find_smtp_code(failure.diagnostic):
            # Nothing specific next to the address: use what the whole report says.
            if permanent not in whole:
                head = body[: plaintext_formats.MAX_HINT]
                hinted = head + " " + plaintext_formats.local_hint(head)
                whole[permanent] = classify_explained(None, hinted, permanent=permanent)
            if not (whole[permanent][2] and whole[permanent][2] in own[:i] + own[i + 1 :]):
                kind, reason, status, why = whole[permanent]
                why = {k: f"{v} (whole notice)" for k, v in why.items()}
        rule = {"report": "notice's address block", "original": "returned original To"}
        why["address"] = rule.get(failure.source, "none")
        recipient = Recipient(failure.address, kind, reason, status, failure.diagnostic, why)
        result.recipients.append(recipient)
    flag = "bounce" if any(f.permanent for f in notice.failures) else "delay"
    setattr(result, flag, True)
    result.trace.append(
        {"field": flag, "value": True, "rule": f"{notice.family} plain-text notice"}
    )


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
    for r in result.recipients:
        if verp.is_ours(r.address, domains):
            _trace(result, "recipients", r.address, "dropped: our own bounce address")
    result.recipients = [r for r in result.recipients if not verp.is_ours(r.address, domains)]
    carriers.refine(result, msg)
    for i, r in enumerate(result.recipients):
        for name in ("address", "kind", "reason"):
            if name in r.why:
                _trace(result, f"recipients[{i}].{name}", getattr(r, name), r.why[name])
    if result.complaint_recipient and verp.is_ours(result.complaint_recipient, domains):
        result.complaint_recipient = None


def _trace(result: Parsed, name: str, value, rule: str) -> None:
    """--explain: which rule decided `name`."""
    result.trace.append({"field": name, "value": value, "rule": rule})


def _dsn_rule(result: Parsed) -> str:
    if result.bounce:
        return "RFC 3464 DSN: a status block says Action: failed"
    if result.delay:
        return "RFC 3464 DSN: no status block says failed"
    return "RFC 3464 DSN with no failed recipient (delivered, relayed or expanded)"


def _free_text_rule(msg: Message, body: str, daemon: bool) -> str:
    if not daemon:
        m = freetext.BOUNCE_PHRASES.search(body)
        return f"free-text bounce: body says /{m.group(0) if m else ''}/"
    if mime.headers(msg, "x-failed-recipients"):
        return "free-text bounce: X-Failed-Recipients header"
    return "free-text bounce: mailer-daemon sender, bounce subject or NDR header"


def _coded_paragraph(address: str, report: str) -> str:
    """The report's paragraph about `address` that carries a status or reply code (Exchange
    names the address first in a list, then again above the remote server's answer), else
    the first paragraph about it."""
    first = freetext.diagnostic_for(address, report)
    if find_status(first) or find_smtp_code(first):
        return first
    lowered, needle = report.lower(), address.lower()
    at = lowered.find(needle)
    for _ in range(10):  # a few mentions at most in a real notice
        at = lowered.find(needle, at + len(needle))
        if at < 0:
            break
        paragraph = freetext.diagnostic_for(address, report[report.rfind("\n", 0, at) + 1 :])
        if find_status(paragraph) or find_smtp_code(paragraph):
            return paragraph
    return first
