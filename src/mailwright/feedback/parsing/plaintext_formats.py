"""Plain-text delivery failure notices (no message/delivery-status part): recognised by each
MTA's own opening sentence, the failed recipients read from the place the format puts them.

A notice is a bounce because its structure says so (the family's signature sentence), never
because a word like "failed" appears: a person writing "the delivery failed" to us matches no
signature. The recipient comes from the format's address block, else from the returned
original's X-Original-To / Delivered-To / To (when they name exactly one address), else it
stays None (the VERP token then names the delivery).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.message import Message
from email.utils import getaddresses
from functools import lru_cache

from mailwright.feedback.parsing import mime
from mailwright.feedback.parsing import notice_formats_legacy as legacy
from mailwright.feedback.parsing import notice_phrases_asia as asia
from mailwright.feedback.parsing import notice_phrases_intl as intl
from mailwright.feedback.parsing.classify import find_status
from mailwright.feedback.parsing.notice_places import (
    _A,
    ADDRESS,
    ANGLE_LINE,
    BARE_LINE,
    CJK_AFTER_ADDR,
    CJK_BEFORE_ADDR,
    COLON_REPLY,
    DELIVERED_TO_COLON,
    EXCHANGE_ON,
    EXCHANGE_ON_LOCAL,
    FAILED_TO,
    INTL_BEFORE_ADDR,
    KOREAN_NIM,
    LABEL_NEXT_LINE,
    LABELLED,
    MDAEMON_TO,
    PAREN_REASON,
    RCPT_TO,
    REPLY_CODE,
    SENDMAIL_LINE,
    SENTENCE,
    SERVER_RETURNED,
    SMTP_BRACKET,
    attempts_after,
    expanded_from,
    rcpt_reply,
    server_reply,
    up_to_next_block,
)
from mailwright.feedback.parsing.notice_reasons import GAVE_UP, LOCAL_REASONS, says_temporary


@dataclass(frozen=True)
class Format:
    family: str
    signature: re.Pattern[str]
    places: tuple[re.Pattern[str], ...]
    permanent: bool | None = None  # what the notice says of all its recipients
    # The signature is a sentence a person might write too: also require an address/reason
    # block, a returned original or a mailer-daemon sender.
    needs_block: bool = False


def _sig(*phrases: str, loose: tuple[str, ...] = ()) -> re.Pattern[str]:
    """A signature: `phrases` start a line (a quoted "> " copy in a person's reply does not
    count); `loose` phrases may stand anywhere (mid-sentence in their format)."""
    anchored = [rf"^[ \t]*(?:{p})" for p in phrases]
    return re.compile("|".join([*anchored, *loose]), re.I | re.M)


def _any(*phrases: str) -> re.Pattern[str]:
    return re.compile("|".join(phrases), re.I)


# Most specific first: the first family whose signature is in the report wins.
FORMATS: tuple[Format, ...] = (
    Format("qmail", _sig(r"Hi\. This is the qmail-send program at"), (ANGLE_LINE,)),
    Format(
        "courier",
        _sig(
            r"This is a delivery status notification from",
            loose=(r"running the Courier mail server",),
        ),
        (ANGLE_LINE, RCPT_TO),
    ),
    Format(
        "mdaemon",
        _sig(
            r"The attached message had PERMANENT fatal delivery errors",
            r"The attached message has not yet been delivered",
            r"-+ Session Transcript -+",
            r"The following message has been returned to you because",
            # Its transcript lines, whatever language the template around them is in:
            # " Fri 2025-05-16 14:33:21: <-- 554 5.7.1 …".
            r"\w{3} \d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d{1,3})?: (?:-->|<--) ",
        ),
        (RCPT_TO, MDAEMON_TO, ANGLE_LINE),
    ),
    Format(
        "sendmail",
        _sig(
            r"-+ The following addresses had permanent fatal errors -+",
            r"-+ Transcript of session follows -+",
        ),
        (SENDMAIL_LINE, BARE_LINE),
    ),
    Format(
        "postfix",
        _sig(r"This is the mail system at host", r"This is the Postfix program at host"),
        (ANGLE_LINE,),
    ),
    Format(
        "exim",
        _sig(
            r"This message was created automatically by mail delivery software",
            r"A message that you sent could not be delivered to one or more of its",
            # Exim's own error lines under each address, which a bounce_message_file or a
            # translation keeps whatever it says around them.
            r"SMTP error from remote mail(?:er| server) after ",
            r"LMTP error after ",
            loose=(r"This is a permanent error\. The following address\(es\) failed:",),
        ),
        (BARE_LINE, ANGLE_LINE),
    ),
    Format(
        "exchange",
        _sig(
            r"Your message did not reach some or all of the intended recipients",
            r"Delivery has failed to these recipients or groups:",
            r"Delivery is delayed to these recipients or groups:",  # its delay notice
            # Exchange 2007/2010 name "distribution lists"; Exchange 2003 in French; its tail
            # "<server #5.2.2>" on its own line in any language.
            r"Delivery (?:has failed|is delayed) to these recipients or distribution lists:",
            r"Votre message n'est pas parvenu à certains ou à tous les destinataires",
            r"<[\w.-]{1,100} #[45]\.\d{1,3}\.\d{1,3}>[ \t]*$",
            r"Your message to \S+ couldn't be delivered",
            r"Your message couldn't be delivered",
            # Exchange 2007/2010 in the product languages (German, Dutch, French, Spanish).
            r"Ihre Nachricht hat einige oder alle Empfänger nicht erreicht",
            r"Die Zustellung an folgende Empfänger oder Gruppen ist fehlgeschlagen",
            r"Bezorging is mislukt voor deze ontvangers of groepen",
            r"Votre message n'a pas pu être remis à certains ou à l'ensemble des destinataires",
            r"El mensaje no llegó a algunos o a ninguno de los destinatarios",
            # Localised headings, and the administrators' line in any language:
            # "#550 5.1.1 RESOLVER.ADR.RecipNotFound; not found ##", "#< #5.1.1 smtp;550 …> #SMTP#"
            r"次の受信者またはグループへの配信に失敗しました",
            # Exchange Online's heading in French, Spanish, Italian, Portuguese, and its
            # administrators' line (English in every language).
            r"Impossible de remettre le message à ces destinataires ou groupes",
            r"No se pudo entregar a estos destinatarios o grupos",
            r"Recapito non riuscito per i seguenti destinatari o gruppi",
            r"Falha na entrega para estes destinatários ou grupos",
            # Exchange Online's new layout, first line, in German, French, Spanish, Portuguese.
            r"(?:Ihre Nachricht an|Votre message à) \S+ (?:konnte nicht|n'a pas pu)",
            r"El mensaje no se pudo entregar a \S+",
            r"A sua mensagem para \S+ não pôde ser entregue",
            r"Remote Server returned '[45]\d\d[ -]",
            r"(?:[\w.-]{1,100} )?#(?:< ?#)?[45][\d.]{2,10} .{0,400}(?:##|#SMTP#)[ \t]*$",
        ),
        (SENTENCE, EXCHANGE_ON, EXCHANGE_ON_LOCAL, BARE_LINE),
    ),
    # Domino, also localised (de, it, fr, es): "… wurde nicht zugestellt an:".
    Format(
        "domino",
        _sig(
            r"was not delivered to:[ \t]*$",
            loose=(
                r"^[ \t]*(?:wurde nicht zugestellt an|non è stato recapitato a|"
                r"n'a pas été remis à|no se entregó a)[ \t]?:[ \t]*$",
            ),
        ),
        (BARE_LINE,),
    ),
    # Cisco Secure Email (IronPort AsyncOS): "The following message to <addr> was undeliverable."
    Format("asyncos", _sig(rf"The following message to <{_A}> was undeliverable"), (SENTENCE,)),
    # au/KDDI (ezweb.ne.jp): "Your mail sent on: <date>" then "Could not be delivered to:".
    Format(
        "kddi",
        _sig(asia.KDDI_SIGNATURE),
        (DELIVERED_TO_COLON, BARE_LINE),
    ),
    Format(
        "groupwise",
        _sig(r"The message that you sent was undeliverable to the following"),
        (PAREN_REASON, BARE_LINE),
    ),
    Format(
        "mailenable",
        _sig(
            r"This message is from the mail server at .{0,80}\n(?:.*\n){0,3}[ \t]*"
            r"Message delivery to"
        ),
        (SENTENCE,),
    ),
    Format(
        "imail",
        _sig(
            r"(?:Unknown user|User mailbox exceeds allowed size|Invalid final delivery userid): "
            + _A
        ),
        (SENTENCE,),
    ),
    Format(
        "kerio",
        _sig(r"The following recipient\(s\) could not be reached:"),
        (BARE_LINE, PAREN_REASON, SMTP_BRACKET),
    ),
    Format(
        "opensmtpd",
        _sig(r"This is the MAILER-DAEMON, please DO NOT REPLY to this e-?mail"),
        (COLON_REPLY, ANGLE_LINE),
    ),
    Format(
        "smartermail",
        _sig(
            rf"Failed to deliver to '{_A}'", loose=(r"\bmodule\(\w{1,20} [^)\n]{1,200}\) reports:",)
        ),
        (FAILED_TO,),
    ),
    Format(
        "yahoo",
        _sig(
            r"Sorry, we were unable to deliver your message to the following address",
            r"Message from .{0,60}\. Unable to deliver message to the following address",
        ),
        (ANGLE_LINE,),
    ),
    Format(
        "gmail",
        _sig(
            r"Delivery to the following recipient failed permanently",
            r"Your message wasn't delivered to",
            r"There was a problem delivering your message to",
            r"There was a temporary problem delivering your message to",  # a delay
            r"\*\* (Address not found|Message not delivered|Message blocked) \*\*",
            r"Tu mensaje no se ha entregado a",  # Gmail's Spanish notice
        ),
        (SENTENCE, BARE_LINE),
    ),
    # Windows SMTP service (IIS) and Exchange 2003 notices, also when relayed without their
    # DSN part: the address alone on an indented line below the sentence.
    Format(
        "iis",
        _sig(
            r"Delivery to the following recipients? failed\.",
            r"Delivery to the following recipients? was (?:refused|rejected):",
            r"Delivery to the following recipients? has been delayed\.",
        ),
        (BARE_LINE, ANGLE_LINE),
    ),
    # Older and niche MTAs and gateways (notice_formats_legacy.py).
    *(Format(family, _sig(*phrases), places) for family, phrases, places in legacy.FORMATS),
    # Gateways and hosted filters that write one sentence per recipient: "Your message to
    # <addr> was not delivered." (the address right after "to": a person rarely writes that).
    Format(
        "generic",
        _sig(rf"Your message to <?{_A}>? (?:was not|wasn't|could not be|has not been) delivered"),
        (SENTENCE,),
        needs_block=True,
    ),
    # Google Groups' refusal: "the group you tried to contact (name) may not exist, or you may
    # not have permission to post"; the group's address is in the returned original's To.
    Format(
        "google_groups",
        _sig(loose=(r"the group you tried to contact \([^)\n]{1,100}\) may not exist",)),
        (),
    ),
    # Localised notices (Japanese, Chinese, Russian, Korean providers; the product languages).
    Format(
        "localized",
        _sig(
            loose=(
                r"配送できませんでした|送信できませんでした|届けることができませんでした",
                r"配送に失敗しました|配信に失敗しました|配信できませんでした",
                *asia.SIGNATURES,
                *asia.SIGNATURES_R3,
                r"退信|邮件(?:没有|未能|无法)(?:成功)?(?:发送|投递|送达)|无法投递|系统退信",
                r"邮件被退回|邮件已被退回",
                r"Сообщение не (?:было )?доставлено|не удалось доставить|"
                r"письмо не (?:было )?доставлено",
                r"(?:письмо|сообщение) не может быть доставлено|"
                r"Это (?:письмо|сообщение) (?:было )?создано автоматически",
                r"(?:письмо|сообщение) (?:пока|ещё|еще) не (?:было )?доставлено",  # delays
                r"메일이 전송되지 않았습니다|메일을 전송하지 못했습니다|전달되지 않았습니다",
                r"반송되었습니다|메일 발송 실패|발송에 실패",
                r"konnte (?:Ihre Nachricht )?(?:an [^.]{0,60}?)?nicht\s+zugestellt werden",
                r"n'a pas pu être (?:remis|distribué|délivré)|"
                r"Ce message a été créé automatiquement",
                r"no (?:se )?(?:ha )?podido (?:ser )?entregar|no pudo ser entregado|"
                r"Este mensaje fue creado automáticamente",
                r"no se pudo entregar|no ha sido posible entregar|"
                r"ha sido creado automáticamente",
                r"nie (?:mogła|może) zostać dostarczona|nie została dostarczona|"
                r"Ta wiadomość została utworzona automatycznie",
                r"teslim edilemedi|Bu ileti .{0,40}otomatik olarak oluşturul",
                r"Nachricht .{0,60}wurde abgewiesen",
                r"non è stat[oa] (?:possibile )?(?:recapitat|consegnat)|"
                r"impossibile (?:recapitare|consegnare) il messaggio|mancato recapito",
                r"não (?:pôde|pode) ser entregue|não foi (?:possível )?entregu?e|"
                r"não foi possível entregar",
                r"kon niet worden (?:afgeleverd|bezorgd)|niet (?:kon )?worden afgeleverd|"
                r"onbestelbaar",
                *intl.SIGNATURES,
            ),
        ),
        (
            LABELLED,
            ANGLE_LINE,
            BARE_LINE,
            KOREAN_NIM,
            LABEL_NEXT_LINE,
            CJK_BEFORE_ADDR,
            CJK_AFTER_ADDR,
            INTL_BEFORE_ADDR,
        ),
        needs_block=True,
    ),
)

# Family tails worth restating for classify(): qmail's and Exchange's "#5.1.1" codes.
_HASH_STATUS = re.compile(r"#(?:[45]\d\d )?([245]\.\d{1,3}\.\d{1,3})")
# A notice's verdict and address blocks are in its first kilobytes (bounds the regex work).
MAX_NOTICE = 16 * 1024
MAX_HINT = 8 * 1024
# No real notice lists more; a hostile one must not cost a diagnostic per address.
MAX_RECIPIENTS = 100
DAEMON = re.compile(r"mailer-?daemon|postmaster|mail delivery (?:system|subsystem)", re.I)
NOT_RECIPIENTS = re.compile(r"^(?:mailer-daemon|postmaster|mailer_daemon|root|noreply)@", re.I)


@dataclass
class NoticeFailure:
    address: str | None
    permanent: bool
    diagnostic: str
    source: str  # "report" or "original"


@dataclass
class Notice:
    family: str
    failures: list[NoticeFailure]


def family_of(report: str) -> Format | None:
    """The format whose signature the report carries, or None. One parse asks this of the
    same text several times (~60 signatures over 16 KB: up to ~20 ms), so it is remembered."""
    at = _family_index(report[:MAX_NOTICE])
    return None if at is None else FORMATS[at]


@lru_cache(maxsize=8)
def _family_index(text: str) -> int | None:
    for at, fmt in enumerate(FORMATS):
        if fmt.signature.search(text):
            return at
    return None


def local_hint(text: str) -> str:
    """The English words for a localised reason found in `text` ("" when none)."""
    for words, pattern in LOCAL_REASONS:
        if pattern.search(text):
            return words
    return ""


def recipients_in(fmt: Format, report: str, excluded: set[str]) -> list[str]:
    """The failed addresses, from the format's own places, in order of appearance."""
    for place in (*fmt.places, LABELLED):
        found: list[str] = []
        seen: set[str] = set()
        for m in place.finditer(report):
            addr = m.group("a").strip(".")
            low = addr.lower()
            if low in excluded or low in seen or NOT_RECIPIENTS.match(low):
                continue
            seen.add(low)
            found.append(addr)
            if len(found) >= MAX_RECIPIENTS:
                break
        if found:
            return found
    return []


def recipient_from_original(original: Message | None) -> str | None:
    """The one address the returned original was delivered to, when its headers say so."""
    if original is None:
        return None
    for name in ("x-original-to", "delivered-to", "to"):
        values = [v for v in mime.headers(original, name) if v]
        if not values:
            continue
        addrs = {a.lower(): a for _, a in getaddresses(values) if ADDRESS.fullmatch(a or "")}
        if len(addrs) == 1:
            return next(iter(addrs.values()))
        return None  # several (or no usable) recipients: not reliable
    return None


def diagnostic_of(address: str, report: str, paragraph: str) -> str:
    """The paragraph about `address`, plus later lines naming it with a status (Exchange's
    "Diagnostic information for administrators"), plus a localised reason in English."""
    # A transcript's reply to this recipient's RCPT beats a paragraph naming several.
    reply = rcpt_reply(report, address)
    paragraph = reply or paragraph
    parts = [paragraph] if paragraph else []
    low = report.lower()
    start = low.find(address.lower())
    seen = 0
    while start >= 0 and seen < 6:
        seen += 1
        line_end = report.find("\n", start)
        # A line is read on its first 1,000 characters (a status is near the address).
        chunk = report[start : (line_end if line_end >= 0 else len(report))][:1000]
        nxt = report[line_end + 1 : report.find("\n", line_end + 1)][:1000] if line_end >= 0 else ""
        starts = ADDRESS.match(nxt.lstrip(" \t<"))
        if starts and starts.group(0).lower() != address.lower():
            nxt = ""  # the next line is another recipient's (smail, Exim lists them unspaced)
        for candidate in (chunk, nxt, *attempts_after(report, line_end, nxt)):
            coded = (
                find_status(candidate)
                or REPLY_CODE.search(candidate)
                or SERVER_RETURNED.match(candidate)
            )
            if coded and candidate.strip().lstrip("<> ") not in paragraph:
                if reply and reply in candidate:
                    continue  # the transcript line the reply was taken from
                parts.append(candidate.strip())
        start = low.find(address.lower(), start + len(address))
    text = mime.collapse(" ".join(parts), 1000)
    for m in _HASH_STATUS.finditer(text):
        text = mime.collapse(f"{text} (status {m.group(1)})", 1100)
        break
    hint = local_hint(text)
    return mime.collapse(f"{text} ({hint})", 1100) if hint else text


def read_notice(
    report: str,
    original: Message | None,
    notice_from: str,
    paragraph_for,
) -> Notice | None:
    """The failures of a plain-text notice, or None when `report` carries no known format's
    signature. `paragraph_for(address, report)` gives the text around an address."""
    report = report[:MAX_NOTICE].translate(intl.FOLD)
    fmt = family_of(report)
    if fmt is None:
        return None
    report = legacy.normalized(fmt.family, fmt.signature, report)
    if fmt.needs_block and not (
        original is not None
        or DAEMON.search(notice_from)
        or LABELLED.search(report)
        or ANGLE_LINE.search(report)
    ):
        return None
    excluded = {a.lower() for _, a in getaddresses([notice_from]) if a}
    if original is not None:
        for name in ("from", "return-path", "sender", "reply-to"):
            excluded |= {a.lower() for _, a in getaddresses(mime.headers(original, name)) if a}
    permanent = fmt.permanent is not False and not says_temporary(report[:MAX_HINT])
    failures = []
    report_hint = local_hint(report[:MAX_HINT])
    gave_up = GAVE_UP.search(report[:MAX_HINT]) is not None
    found = recipients_in(fmt, report, excluded)
    for addr in found:
        paragraph = paragraph_for(addr, up_to_next_block(report, addr, found))
        diagnostic = diagnostic_of(addr, report, paragraph)
        if report_hint and not local_hint(diagnostic) and not find_status(diagnostic):
            # The reason is stated once for the whole notice, not next to the address.
            diagnostic = mime.collapse(f"{diagnostic} ({report_hint})", 1100)
        if len(found) == 1 and not (find_status(diagnostic) or REPLY_CODE.search(diagnostic)):
            # One failed address: the server's reply quoted elsewhere in the notice (Gmail's
            # "The response from the remote server was:" line) is about it.
            reply = server_reply(report[:MAX_HINT])
            if reply:
                diagnostic = mime.collapse(f"{diagnostic} {reply}", 1100)
        if gave_up and not GAVE_UP.search(diagnostic):
            diagnostic = mime.collapse(f"{diagnostic} (delivery time expired)", 1150)
        sent_to = expanded_from(report, addr, found)
        if sent_to and sent_to.lower() not in excluded:
            addr = sent_to  # the address we sent to, not the local one it was expanded to
        failures.append(NoticeFailure(addr, permanent, diagnostic, "report"))
    if not failures:
        addr = recipient_from_original(original)
        if addr and addr.lower() in excluded:
            addr = None
        hint = report_hint
        diagnostic = mime.collapse(report[:MAX_HINT], 1000)
        if hint:
            diagnostic = mime.collapse(f"{diagnostic} ({hint})", 1100)
        failures.append(NoticeFailure(addr, permanent, diagnostic, "original" if addr else "none"))
    return Notice(fmt.family, failures)
