"""Where plain-text notices put a failed address: one pattern per placement (group "a"),
shared by several families in plaintext_formats.FORMATS."""

from __future__ import annotations

import re

from mailwright.feedback.parsing import notice_phrases_asia as asia
from mailwright.feedback.parsing import notice_phrases_intl as intl
from mailwright.feedback.parsing.classify import find_status

_A = r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+"
ADDRESS = re.compile(_A)

# Where formats put a failed address (group "a"), shared by several families.
# Postfix names an expanded alias after the address: "<local@x> (expanded from <sent@x>):".
ANGLE_LINE = re.compile(
    rf"^[ \t]*<(?P<a>{_A})>(?:[ \t]*\(expanded from <{_A}>\))?[ \t]*:", re.M
)  # qmail, Postfix, Yahoo
# Exim, Domino. One blank run before and one after the optional colon: two adjacent
# `[ \t]*` could split a long run of blanks every way (quadratic; fuzz input #73593).
BARE_LINE = re.compile(rf"^[ \t]*<?(?P<a>{_A})>?[ \t]*(?::[ \t]*)?$", re.M)
SENDMAIL_LINE = re.compile(rf"^[ \t]*<(?P<a>{_A})>(?:\.\.\.|[ \t]*$)", re.M)
RCPT_TO = re.compile(rf"RCPT TO:[ \t]*<(?P<a>{_A})>", re.I)
EXCHANGE_ON = re.compile(rf"^[ \t]*'?(?P<a>{_A})'? on \d", re.M)  # Exchange 2003
# Exchange 2007/2010 localised: "'addr' am 03.03.2025" (de), "le" (fr), "el" (es), "il" (it),
# "em" (pt), "op" (nl), "den" (sv/da), "dnia" (pl).
EXCHANGE_ON_LOCAL = re.compile(rf"^[ \t]*'(?P<a>{_A})' (?:am|le|el|il|em|op|den|dnia) \d", re.M)
# au/KDDI (ezweb): "Could not be delivered to: <addr>".
DELIVERED_TO_COLON = re.compile(rf"could not be delivered to:[ \t]*<?(?P<a>{_A})", re.I)
# Korean notices name the recipient as "addr 님" ("addr 님에게 보낸 메일이 반송되었습니다").
KOREAN_NIM = re.compile(rf"^[ \t]*<?(?P<a>{_A})>?[ \t]*님", re.M)
# MailEnable's "Recipient: [SMTP:addr]" (its address type in brackets).
SMTP_BRACKET = re.compile(rf"\[SMTP:(?P<a>{_A})\]", re.I)
PAREN_REASON = re.compile(rf"^[ \t]*(?P<a>{_A})[ \t]+\(", re.M)  # GroupWise
# "addr: 550 5.1.1 …" — the address, a colon, the reply on the same line (OpenSMTPD).
COLON_REPLY = re.compile(rf"^[ \t]*<?(?P<a>{_A})>?:[ \t]+[245]\d\d\b", re.M)
# "Failed to deliver to 'addr'" (SmarterMail).
# CommuniGate Pro writes it in angle brackets too: "Failed to deliver to '<addr>'".
FAILED_TO = re.compile(rf"^[ \t]*Failed to deliver to '<?(?P<a>{_A})>?'", re.M | re.I)
# MDaemon's session transcript names the recipient it tried: "Tue 2025-03-04 10:00:05.124: *  To:"
MDAEMON_TO = re.compile(
    rf"^[ \t]*\w{{3}} [\d-]{{8,10}} [\d:.]{{5,12}}: \*[ \t]+To: <?(?P<a>{_A})>?", re.M
)
# "Recipient: addr" in the product languages (label, a colon, the address).
LABELLED = re.compile(
    r"^[ \t]*(?:failed recipient|original recipient|recipient(?:\(s\))?|recipient address|"
    r"address|to|rcpt|empfänger|empfaenger|adresse|destinataire|destinatario|"
    r"dirección|adresat|odbiorca|alıcı|alici|alıcı adresi|收件人|收件人地址|收信人|宛先|"
    r"destinatário|ontvanger|geadresseerde|"
    # MailEnable: "Nachricht an: addr" (German), "[SMTP:addr]" (its address type, any language).
    r"nachricht an|\[smtp|"
    # Office 365's "Recipient Address:" in its localised NDRs.
    r"dirección del destinatario|adresse du destinataire|empfängeradresse|"
    r"indirizzo del destinatario|endereço do destinatário|adres van de ontvanger|"
    rf"送信先|宛先アドレス|получатель|адресат|адрес|수신자|받는 사람|받는사람|{asia.LABELS}|"
    rf"{intl.LABELS})"
    rf"[ \t]*[:：][ \t]*<?(?P<a>{_A})>?",
    re.M | re.I,
)
# Address inside a sentence: "Your message to addr couldn't be delivered", "wasn't delivered
# to addr because", "Message delivery to 'addr' failed", "Unknown user: addr".
SENTENCE = re.compile(
    rf"(?:your message to|wasn't delivered to|was not delivered to|message delivery to|"
    rf"delivery to the following recipient failed permanently:\s*|"
    rf"unable to deliver your message to|could not be delivered to|the following message to|"
    rf"there was a problem delivering your message to|no se ha entregado a|"
    rf"ihre nachricht an|votre message à|el mensaje no se pudo entregar a|"
    rf"a sua mensagem para|"
    rf"^(?:unknown user|user mailbox exceeds allowed size|invalid final delivery userid):)"
    rf"[ \t]*['\"<‘“«]?(?P<a>{_A})",
    re.I | re.M,
)
# Round 3 (Asian notices). The address alone on the line after its label ("宛先アドレス:",
# "收件人：", "받는 사람:", "Recipient:" then "    addr").
LABEL_NEXT_LINE = re.compile(
    r"^[ \t]*(?:recipient(?:\(s\))?|recipient address|failed recipient|宛先|宛先アドレス|"
    rf"送信先|受信者|收件人|收件人地址|收件者|收信人|수신자|받는 사람|받는사람|{asia.LABELS}|"
    rf"{intl.LABELS})"
    rf"[ \t]*[:：][ \t]*\n[ \t]*<?(?P<a>{_A})>?[ \t]*$",
    re.M | re.I,
)
# The address in a CJK sentence, next to the words that mark it as the recipient, bare or in
# any bracket: 「」【】《》〈〉『』 () （） <> (notice_phrases_asia.CJK_BEFORE / CJK_AFTER).
_OPEN = r"[「【《〈『(（<]"
_CLOSE = r"[」】》〉』)）>]"
CJK_BEFORE_ADDR = re.compile(
    rf"(?:{asia.CJK_BEFORE})[ \t]?[:：]?[ \t]?{_OPEN}?(?P<a>{_A}){_CLOSE}?", re.I
)
# Not inside a longer word: a bare address must start where a local part can start (else a
# long run of word characters is rescanned from every position).
_START = r"(?<![\w.!#$%&'*+/=?^`{|}~-])"
CJK_AFTER_ADDR = re.compile(
    rf"(?:{_OPEN}|{_START})(?P<a>{_A}){_CLOSE}?[ \t]?(?:{asia.CJK_AFTER})", re.I
)
# Round 4: the address inside the server's reply ("550 5.2.1 “addr” account suspended",
# "550 5.1.1 <addr>... User unknown"), in any quotes; not a sender the reply names, nor the
# address it sends us to ("550 5.7.1 Refused, write to abuse@… for help", "contact …").
REPLY_ADDR = re.compile(
    r"^[^\n]{0,80}?\b[45]\d\d[ -][245]\.\d{1,3}\.\d{1,3}\b"
    r"(?:(?!sender|from|contact|write|mail to|e-?mail us|report|complain|see |visit|help)"
    rf"[^\n@]){{0,60}}?['\"<‘“«]?(?P<a>{_A})",
    re.M | re.I,
)
# Round 4: the address right after the words of a sentence that make it the recipient
# ("Ваш лист для addr не доставлено", "Su mensaje para addr aún no …", notice_phrases_intl).
INTL_BEFORE_ADDR = re.compile(rf"(?:{intl.BEFORE_ADDR})[ \t]+<?(?P<a>{_A})", re.I)


# Exchange lists each later attempt for a recipient on its own line under the remote server's
# answer: "4/25/2025 6:14:09 AM - Remote Server at … returned '441 4.4.1 …'".
_ATTEMPT_LINE = re.compile(r"[ \t]*\d{1,2}/\d{1,2}/\d{4} \d{1,2}:\d\d:\d\d(?: [AP]M)? - ")


def attempts_after(report: str, line_end: int, nxt: str) -> list[str]:
    """The attempt lines right below the line after an address (at most three)."""
    if line_end < 0 or not nxt:
        return []
    next_end = report.find("\n", line_end + 1)
    if next_end < 0:
        return []
    lines = report[next_end + 1 : next_end + 3001].split("\n", 3)[:3]
    out = []
    for line in lines:
        if not _ATTEMPT_LINE.match(line):
            break
        out.append(line[:1000])
    return out


_ROW_LABEL = re.compile(r"(?:to|cc|bc|failed recipient|recipient):[ \t]{0,10}<?", re.I)


def up_to_next_block(report: str, address: str, found: list[str]) -> str:
    """The report up to where the next recipient's block starts after `address` (Exim lists
    its failed addresses without a blank line between them)."""
    start = report.lower().find(address.lower())
    others = {a.lower() for a in found} - {address.lower()}
    if start < 0 or not others:
        return report
    pos = report.find("\n", start)
    for _ in range(200):  # a recipient's block is a few lines long
        if pos < 0:
            break
        at = pos + 1 + _indent(report, pos + 1)
        label = _ROW_LABEL.match(report, at)  # "To: addr  Undeliverable …", "Failed Recipient:"
        at = label.end() if label else at
        m = ADDRESS.match(report, at + 1 if report.startswith("<", at) else at)  # "<addr>: …"
        if m and m.group(0).lower() in others:
            return report[: pos + 1]
        pos = report.find("\n", pos + 1)
    return report


# Where an alias came from: Postfix/Sendmail "(expanded from: <sent@x>)", Exim "(generated from x)".
_EXPANDED_FROM = re.compile(
    rf"\((?:expanded|(?:ultimately )?generated) from:?[ \t]*<?(?P<a>{_A})>?\)", re.I
)


def expanded_from(report: str, address: str, found: list[str]) -> str | None:
    """The address we sent to when the notice says `address` was expanded from it: in the
    address's own block (up to the next recipient or blank line, 600 characters at most)."""
    block = up_to_next_block(report, address, found)
    start = block.lower().find(address.lower())
    if start < 0:
        return None
    block = block[start : start + 600]
    end = block.find("\n\n")
    m = _EXPANDED_FROM.search(block if end < 0 else block[:end])
    return m.group("a") if m else None


def _indent(text: str, at: int) -> int:
    n = 0
    while at + n < len(text) and text[at + n] in " \t<" and n < 40:
        n += 1
    return n


# Exchange's administrator line about an address, also when the server's words carry no code.
SERVER_RETURNED = re.compile(r"[ \t]{0,8}Remote Server returned '", re.I)
# The heading above the server's reply in Gmail's and similar notices ("The response from
# the remote server was:", "The error that the other server returned was:").
_REPLY_HEADING = re.compile(
    r"(?:response from the remote server|error that the other server returned|"
    r"remote server (?:replied|responded|said))[^\n:]{0,40}:[ \t]*\n[ \t\n]{0,8}([^\n]{1,1000})",
    re.I,
)
# A bare SMTP reply code in a line ("mx.example #554 delivery error: dd … ##").
REPLY_CODE = re.compile(r"(?:^|[\s#;'(<])[45]\d\d[ -]\S")


def server_reply(report: str) -> str:
    """The server's reply under the notice's reply heading, when it carries a code."""
    m = _REPLY_HEADING.search(report)
    line = m.group(1).strip() if m else ""
    return line if find_status(line) or REPLY_CODE.search(line) else ""


# Round 7: the server's reply to "RCPT TO:<addr>" on the next line of a session transcript
# (MDaemon "<-- 552 5.2.2 …", hMailServer "Remote server replied: 550 …", "<<< 550 …"): the
# reply about this recipient, when a transcript refuses several with different reasons.
_REPLY_AFTER_RCPT = re.compile(
    r"[^\n]{0,120}?(?:<--|<<<|replied:|said:)[ \t]*(?P<r>[45]\d\d[ -][^\n]{0,500})"
)


def rcpt_reply(report: str, address: str) -> str:
    """The 4xx/5xx reply on the line after "RCPT TO:<address>" ("" when there is none)."""
    low = report.lower()
    at = low.find(f"rcpt to:<{address.lower()}>")
    if at < 0:
        at = low.find(f"rcpt to: <{address.lower()}>")
    if at < 0:
        return ""
    line_end = report.find("\n", at)
    if line_end < 0:
        return ""
    m = _REPLY_AFTER_RCPT.match(report, line_end + 1)
    return m.group("r").strip() if m else ""
