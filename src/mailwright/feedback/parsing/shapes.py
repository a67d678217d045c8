"""Odd shapes a notice arrives in (issue 13, round 3): forwarded with every line quoted "> "
(Apple Mail, Thunderbird's inline forward), followed by the original's header lines with no
marker line, or naming its failed address only as an indented line above the server's reply.
Pure text functions; parse.py decides when to use them."""

from __future__ import annotations

import re
from email.message import Message
from email.utils import getaddresses

from mailwright.feedback.parsing import autoreply, freetext, mime, plaintext_formats, verp
from mailwright.feedback.parsing.classify import find_smtp_code, find_status
from mailwright.feedback.parsing.notice_places import _A

# A forward ("Fwd:", Outlook's "FW:", German "WG:", French "TR:", Spanish "RV:", Italian "I:",
# Dutch "Doorst:", Polish "PD:", Turkish "İlt:"), never a reply.
FORWARD_SUBJECT = re.compile(r"^\s*(?:fwd?|wg|tr|rv|i|doorst|pd|i̇lt|ilt)\s*:", re.I)
# Possessive blanks: "\s*(…)?\s*" split a long run of spaces every way (52 ms on 8 KB).
REPLY_SUBJECT = re.compile(r"\s*+(?:re|aw|sv|vs|odp|ynt|antw|rif|r)\s*+(?:\[\d{1,3}\]\s*+)?:", re.I)
# The heading mail programs put above a forwarded message, also when it is quoted.
FORWARD_HEADING = re.compile(
    r"^[ \t]*>[ \t>]*(?:Begin forwarded message:|-{2,}+[ \t]*+Forwarded message|"
    r"Anfang der weitergeleiteten Nachricht|"
    r"Début du message réexpédié|Inicio del mensaje reenviado)",
    re.I | re.M,
)
# The same heading unquoted (Gmail's, Apple Mail's, Thunderbird's, Outlook's localised).
FORWARD_LINE = re.compile(
    r"^[ \t>]*(?:Begin forwarded message:|-{2,}+[ \t]*+Forwarded message|"
    r"-{2,}+[ \t]*+Weitergeleitete Nachricht|Anfang der weitergeleiteten Nachricht|"
    r"Début du message réexpédié|Inicio del mensaje reenviado|"
    # Round 7: the Chinese, Japanese, Korean and Russian mail programs' headings.
    r"-{2,}+[ \t]*+(?:转发的邮件|转发邮件|轉寄的郵件|転送されたメッセージ|전달된 메시지|"
    r"Пересылаемое сообщение))",
    re.I | re.M,
)
# One to ten quote levels at the start of a line ("> ", ">> ", "> > ").
_QUOTE = re.compile(r"^(?:[ \t]{0,3}>[ \t]?){1,10}", re.M)
_QUOTED_LINE = re.compile(r"^[ \t]{0,3}>", re.M)


def unquote_forwarded(report: str, subject: str) -> str:
    """`report` with its "> " quoting removed when the message forwards a quoted notice (a
    forward subject or a quoted forward heading); unchanged otherwise. A person's reply that
    quotes a notice ("Re: Undelivered Mail…") is not a forward and keeps its quotes, so the
    notice's anchored signatures do not match inside it."""
    if not _QUOTED_LINE.search(report):
        return report
    if REPLY_SUBJECT.match(subject or ""):
        return report
    if not (FORWARD_SUBJECT.match(subject or "") or FORWARD_HEADING.search(report)):
        return report
    return _QUOTE.sub("", report)


# A line of the original's header block: a header name the returned copy always has.
_HEADER_LINE = re.compile(
    r"^(?:Return-Path|Received|From|To|Cc|Reply-To|Subject|Date|Message-ID|MIME-Version|"
    r"Content-Type|Sender|X-[\w-]{1,60}):[ \t]",
    re.I,
)
_KEY_HEADERS = re.compile(r"^(?:From|To|Subject|Message-ID|Return-Path):", re.I)


def header_block_start(text: str) -> int:
    """Where an unmarked copy of the original's headers starts (a blank line, then at least
    three header lines including two of From/To/Subject/Message-ID/Return-Path), after text
    that carries a status or reply code (so a forwarder's own "From:/Sent:/Subject:" block
    above the notice is never taken for it); -1 when there is none."""
    lines = text[: mime.MAX_TEXT].split("\n")
    offset = checked = 0
    previous_blank = coded_before = False
    for i, line in enumerate(lines[:2000]):
        if previous_blank and _HEADER_LINE.match(line):
            block = [x for x in lines[i : i + 12] if x.strip()]
            run = 0
            keys = 0
            for x in block:
                if _HEADER_LINE.match(x):
                    run += 1
                    keys += bool(_KEY_HEADERS.match(x))
                elif x[:1] in " \t" and run:
                    continue  # a folded header line
                else:
                    break
            if run >= 3 and keys >= 2:
                # The text before only grows: read each stretch of it once.
                coded_before = coded_before or coded(text[max(0, checked - 40) : offset])
                checked = offset
                if coded_before:
                    return offset
        previous_blank = not line.strip()
        offset += len(line) + 1
    return -1


# An address alone on a line (indented or in angle brackets), then its server's reply on the
# same line or within the next two ("    ana@example.com\n    Reason: 550 5.1.1 …").
# The blanks are possessive: "[ \t]*:?[ \t]*" before a bounded rest split a long run of tabs
# every way (a 15 KB line took minutes).
_ALONE = re.compile(rf"^[ \t]*+<?(?P<a>{_A})>?[ \t]*+(?::[ \t]*+)?(?P<rest>[^\n]{{0,300}})$", re.M)


def coded_addresses(report: str, excluded: set[str]) -> list[tuple[str, str]]:
    """(address, the lines that answer for it) for each address that stands alone on a line
    followed by an SMTP reply or enhanced status code: how unknown notice formats name a
    failed recipient. Addresses in sentences, header lines or `excluded` are not taken."""
    out: list[tuple[str, str]] = []
    seen: set[str] = set()
    text = report[: plaintext_formats.MAX_NOTICE]
    for m in _ALONE.finditer(text):
        addr = m.group("a").strip(".")
        low = addr.lower()
        if low in seen or low in excluded or plaintext_formats.NOT_RECIPIENTS.match(low):
            continue
        following = text[m.end() + 1 : m.end() + 4000].split("\n", 7)[:6]
        # The next two lines, and further lines of the address's indented block (Kerio's
        # "Error Type / Remote server / hop count / Error: 550 …" in any language).
        answer = " ".join([m.group("rest"), *following[:2], *_indented_run(following[2:])])
        if not (find_status(answer) or find_smtp_code(answer)):
            continue
        seen.add(low)
        out.append((addr, mime.collapse(f"{m.group(0)} {answer}", 1000)))
        if len(out) >= mime.MAX_RECIPIENTS:
            break
    return out


def _indented_run(lines: list[str]) -> list[str]:
    """The leading lines that are indented (still the block of the address above them)."""
    run = []
    for line in lines:
        if line[:1] not in (" ", "\t") or not line.strip():
            break
        run.append(line[:300])
    return run


def coded(text: str) -> bool:
    """True when `text` carries an enhanced status or an SMTP reply code."""
    return bool(find_status(text) or find_smtp_code(text))


def split_notice(text: str) -> tuple[str, str]:
    """(notice, original) of a free-text bounce: at a marker line, else where an unmarked
    copy of the original's headers starts after the notice."""
    body, original_text = freetext.split_original(text)
    if not original_text:
        at = header_block_start(text)
        if at > 0:
            return text[:at], text[at:]
    return body, original_text


def original_senders(original: Message | None) -> set[str]:
    """The returned original's own sender addresses (never failed recipients)."""
    return {
        a.lower()
        for name in ("from", "return-path", "sender", "reply-to")
        for _, a in getaddresses(mime.headers(original, name))
        if a
    }


def is_reply(msg: Message) -> bool:
    """A reply's subject ("Re:", "AW:", "SV:", …). A person's reply ("RE: Undeliverable: …",
    not from a mailer daemon, not an auto-reply) answers the notice quoted under its
    "-----Original Message-----" marker: parse.py does not read that notice (round 8)."""
    return bool(REPLY_SUBJECT.match(mime.header(msg, "subject")))


def is_forward(subject: str, report: str) -> bool:
    """A person forwarding something (a forward subject or heading), not replying to it."""
    if REPLY_SUBJECT.match(subject or ""):
        return False
    return bool(FORWARD_SUBJECT.match(subject or "") or FORWARD_LINE.search(report[:65536]))


# The To line of the header block a mail program puts under its forward heading.
_FORWARDED_TO = re.compile(
    r"^[ \t>]*+(?:To|An|Para|À|A|Aan|Til|Till|Do|Kime|Кому|宛先)[ \t]*+:[ \t]*+([^\n]{1,300})$",
    re.I | re.M,
)
# Outlook's forward has no heading: its header block is the heading ("From:" then "Sent:" on
# the next line, in the mailbox's language: Von/Gesendet, De/Envoyé, Od/Wysłane, De/Enviado
# el, Da/Inviato, Van/Verzonden, …).
OUTLOOK_BLOCK = re.compile(
    r"^[ \t>]{0,12}(?:From|Von|De|Od|Da|Van|Fra|Från|Lähettäjä|Kimden|От|差出人)[ \t]{0,3}:"
    r"[^\n]{1,300}\n[ \t>]{0,12}(?:Sent|Gesendet|Envoyé|Wysłane|Wysłano|Enviado el|Enviado|"
    r"Inviato|Verzonden|Sendt|Skickat|Lähetetty|Gönderildi|Отправлено|送信日時)[ \t]{0,3}:",
    re.I | re.M,
)


# Who sends a delivery notice, as the forwarded block's From line names it.
_NOTICE_SENDER = re.compile(
    r"mailer[-_]?daemon|postmaster|mail delivery|microsoft ?outlook|microsoftexchange|"
    r"mail administrator|mail system",
    re.I,
)


def _forward_heading(report: str) -> re.Match | None:
    """The first forward heading line, or Outlook's forwarded header block."""
    marks = [m for m in (FORWARD_LINE.search(report), OUTLOOK_BLOCK.search(report)) if m]
    return min(marks, key=lambda m: m.start()) if marks else None


def forwards_own_notice(msg: Message, report: str, domains: set[str]) -> bool:
    """A person forwarding us a delivery notice that was sent to themselves (the header block
    under the forward heading, or Outlook's "From:/Sent:/To:" block, names as its To the
    forwarder, or a person the forwarder's text names, such as a helpdesk ticket's
    requester): it reports on that person's own mail, not ours. Not when the notice went to
    the organisation the forward is sent to (staff passing on a bounce to a colleague) or
    when the text names one of our bounce addresses (the notice, or one forwarded inside it,
    was about our mail)."""
    if not is_forward(mime.header(msg, "subject"), report) and not OUTLOOK_BLOCK.search(
        report[:65536]
    ):
        return False
    forwarder = {a.lower() for _, a in getaddresses(mime.headers(msg, "from")) if "@" in a}
    heading = _forward_heading(report[:65536])
    if len(forwarder) != 1 or heading is None:
        return False
    outer = {
        a.lower().rpartition("@")[2]
        for _, a in getaddresses([*mime.headers(msg, "to"), *mime.headers(msg, "cc")])
        if "@" in a
    }
    named = {
        a.lower()
        for a in freetext._ADDR.findall(report[max(0, heading.start() - 4000) : heading.start()])
    }
    block = re.split(r"\n[ \t>]*\n", report[heading.start() : heading.end() + 2000], maxsplit=1)[0]
    if not _NOTICE_SENDER.search(block):
        return False  # the block is not a notice's (an original quoted in a report)
    to = _FORWARDED_TO.search(block)
    addressed = {a.lower() for _, a in getaddresses([to.group(1)])} if to else set()
    if not addressed or not addressed <= forwarder | named:
        return False
    if any(a.rpartition("@")[2] in outer for a in addressed):
        return False
    return not any(verp.is_ours(a, domains) for a in freetext._ADDR.findall(report[:65536]))


# The header lines a mail program writes under its forward heading ("From: …", "发件人：…"):
# a short label, a colon, the value; up to the blank line.
_FORWARD_HEADER_LINES = re.compile(r"(?:[ \t>]*+[^\s:：][^\n:：]{0,24}[:：][^\n]{0,300}\n){1,12}")


def _after_forward_headers(text: str) -> int:
    """Where the forwarded text starts below its forward heading's header block (0 when
    there is no heading)."""
    heading = FORWARD_LINE.search(text[:65536])
    if heading is None:
        return 0
    line_end = text.find("\n", heading.end())
    if line_end < 0:
        return 0
    block = _FORWARD_HEADER_LINES.match(text, line_end + 1)
    return block.end() if block else line_end + 1


def from_signature(body: str) -> str:
    """A forwarded notice read from the line its format's signature starts on: the
    forwarder's own text, headers and signature above it name no failed recipient."""
    fmt = plaintext_formats.family_of(body)
    if fmt is None:
        return body
    text = body[: plaintext_formats.MAX_NOTICE]
    # Not the forward's own header block ("主题：退信 - …" names the signature too).
    m = fmt.signature.search(text, _after_forward_headers(text)) or fmt.signature.search(text)
    if not m:
        return body
    return body[body.rfind("\n", 0, m.start()) + 1 :]


def list_traffic(msg: Message) -> bool:
    """A mailing list's post or digest (List-Id, a multipart/digest): a bounce quoted or
    forwarded in it is list traffic, not a notice about our mail."""
    return bool(mime.header(msg, "list-id") or mime.parts_of_type(msg, "multipart/digest"))


def list_or_receipt(msg: Message) -> bool:
    """List traffic, or a read receipt (Notes' "Your document: … was received by:" shares a
    Notes failure notice's first line): never read as a notice (round 8)."""
    return list_traffic(msg) or autoreply.is_receipt(msg)


def forwarded_notice(msg: Message) -> Message | None:
    """The delivery notice a person forwarded as an attachment ("FW:" with the NDR attached
    as an .eml): the first attached message that is a DSN or comes from a mailer daemon.
    Without a forward subject (a person's note with the notice attached), only an attached
    RFC 3464 report counts, and never in list traffic (a list's bounce to its owner)."""
    forward = bool(FORWARD_SUBJECT.match(mime.header(msg, "subject")))
    if not forward and list_traffic(msg):
        return None
    for part in mime.walk(msg):
        if part is msg or mime.content_type(part) != "message/rfc822":
            continue
        inner = mime.attached_message(part)
        if inner is None or not inner.keys():
            continue
        if mime.content_type(inner) == "multipart/report":
            if forward or mime.parts_of_type(inner, "message/delivery-status"):
                return inner
        elif forward and plaintext_formats.DAEMON.search(mime.header(inner, "from")):
            return inner
    return None


def status_line(text: str) -> str:
    """The first line of `text` with a status or reply code ("" when none)."""
    for line in text.splitlines()[:1000]:
        if find_status(line) or find_smtp_code(line):
            return mime.collapse(line, 1000)
    return ""


# Sender local parts of delivery-failure reports.
DAEMON_SENDERS = re.compile(
    r"^\s*(mailer-daemon|mailer_daemon|mailerdaemon|mail-daemon|postmaster|"
    r"mail delivery (subsystem|system)|microsoftexchange[0-9a-f]*|mdaemon@)",
    re.I,
)
BOUNCE_SUBJECTS = re.compile(
    r"undeliver|undelivered mail|delivery status notification \(failure|"
    r"delivery (status )?fail|failure notice|returned mail|mail delivery failed|"
    r"non-?deliver|nondeliverable|delivery has failed|message not delivered|"
    r"mail system error|could not (be )?deliver|delivery_failure|delivery problem",
    re.I,
)


def bounce_signals(msg: Message) -> bool:
    """A header, sender or subject of a delivery-failure report."""
    if (
        mime.headers(msg, "x-failed-recipients")
        or msg.get("x-ms-exchange-message-is-ndr") is not None
    ):
        return True
    sender = mime.header(msg, "from")
    local = sender.rpartition("<")[2] if "<" in sender else sender
    if DAEMON_SENDERS.search(local) or DAEMON_SENDERS.search(sender):
        return True
    subject = mime.header(msg, "subject")
    # "Re: Undelivered Mail Returned to Sender" is a person answering about a notice (a
    # forwarded notice, "Fwd: …", still carries it).
    return bool(BOUNCE_SUBJECTS.search(subject)) and not REPLY_SUBJECT.match(subject)
