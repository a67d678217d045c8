"""Non-standard bounces (qmail, old Exim and Sendmail, Exchange, Domino, Yahoo, …): the failed
addresses come from flufl.bounce's detectors, the diagnostic from the text around each."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from email.message import Message

from flufl.bounce import all_failures

from mailwright import jsonsafe
from mailwright.feedback.parsing import mime, verp
from mailwright.feedback.parsing import notice_phrases_intl as intl

log = logging.getLogger(__name__)

# flufl.bounce logs every detector it runs at INFO and every detector crash at ERROR (then
# re-raises). We catch and log those crashes ourselves at debug level (hostile input is
# routine here), so unless the operator configured that logger, keep it quiet.
_flufl_log = logging.getLogger("flufl.bounce")
if _flufl_log.level == logging.NOTSET:
    _flufl_log.setLevel(logging.CRITICAL)

# Where the copy of the original message starts in a free-text bounce.
ORIGINAL_MARKERS = re.compile(
    r"^[ \t]*+(?:-++[ \t]*+)?("  # possessive: no backtracking over a run of blanks or dashes
    r"This is a copy of the message, including all the headers|"
    r"Below this line is a copy of the message|"
    r"Original message follows|"
    r"Message header follows|"
    r"Undelivered message headers|"
    r"Original message headers|"
    r"The header of the original message is following|"
    r"original message( header)?s? (is|are) (attached|included|follows?)|"
    r"Returned mail follows|"
    r"START OF RETURNED MESSAGE|"
    r"Original message header follows|"
    r"\|-+ Message text follows|"  # smail
    r"Original message(?! details)|Returned message|"  # O365: "Original Message Details"
    r"元のメッセージ|元メッセージ|以下、?元のメール|原始邮件|原邮件(?!信息)|原信件|"
    # "以下は返送された/送信されたメッセージの写し/コピーです" (Japanese qmail/Exim templates).
    r"以下は.{0,30}?(?:メッセージ|メール)の(?:写し|コピー)|"
    r"Исходное сообщение|Оригинальное сообщение|원본 메시지|원본 메일|"
    r"Ursprüngliche Nachricht|Originalnachricht|Message d'origine|Message original|"
    r"Mensaje original|Oryginalna wiadomość|Orijinal ileti|Özgün ileti|"
    r"Kopfzeilen der ursprünglichen Nachricht|Messaggio originale|Mensagem original|"
    r"Kopfzeilen der Originalnachricht|"
    r"Cabeçalhos da mensagem original|Oorspronkelijk bericht|Origineel bericht|以下为原邮件|"
    rf"{intl.ORIGINAL_MARKERS}"
    r")[^\n]*$",
    re.I | re.M,
)

# Phrases that only a delivery failure report uses (gates the flufl fallback on messages
# that do not otherwise look like bounces, so a human reply is not mined for addresses).
BOUNCE_PHRASES = re.compile(
    r"could not be delivered|couldn't be delivered|wasn't delivered|was not delivered|"
    r"undeliverable|undelivered mail|delivery (has )?failed|delivery to the following|"
    r"permanent (fatal )?error|failed permanently|unable to deliver|delivery failure|"
    r"mail delivery (software|system|subsystem)|returned mail|non-?delivery|"
    r"the following address(es)? failed|did not reach the following recipient|"
    r"qmail-send program|not listed in domino directory",
    re.I,
)

# A line that starts a new recipient's paragraph (diagnostics are cut there).
# The look-behind makes a match start only where a local part starts: without it a long run
# of word characters is rescanned from every position (quadratic, ~0.5 s for 20 KB).
_ADDR = re.compile(r"(?<![\w.!#$%&'*+/=?^`{|}~-])[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+")


@dataclass
class Failure:
    address: str
    permanent: bool
    diagnostic: str


def split_original(text: str) -> tuple[str, str]:
    """(report, original) of a free-text bounce."""
    m = ORIGINAL_MARKERS.search(text)
    if not m:
        return text, ""
    return text[: m.start()], text[m.end() :].lstrip("\r\n")


def _reason_below(paragraph: str) -> bool:
    """True when the paragraph's last line is indented under the first and is not a lead-in
    ending in a colon ("because:")."""
    first, _, last = paragraph.rstrip().rpartition("\n")
    return bool(first) and last[:1] in " \t" and not last.rstrip().endswith(":")


def diagnostic_for(address: str, report: str) -> str:
    """The paragraph(s) that talk about `address`: from its first mention to the next blank
    line (and the following paragraph too when the first is the address alone)."""
    lowered = report.lower()
    start = lowered.find(address.lower())
    if start < 0:
        return ""
    start = report.rfind("\n", 0, start) + 1
    paragraphs = re.split(r"\n[ \t]*\n", report[start : start + 4000])
    chosen = paragraphs[0]
    # When the paragraph is little more than the address ("  user@example.com", then
    # "because:", then the reason: Domino, Sendmail), take the next ones too, but never
    # another recipient's paragraph.
    for nxt in paragraphs[1:4]:
        if len(mime.collapse(chosen)) > len(address) + 24:
            break
        if _reason_below(chosen) and nxt[:1] not in " \t":
            # "  addr\n    No Such User Here": the reason is already under the address; an
            # unindented paragraph after it is the notice's own text (cPanel: "The account or
            # domain may not exist, they may be blacklisted …"), not this recipient's reason.
            break
        others = [a for a in _ADDR.findall(nxt) if a.lower() != address.lower()]
        if others and nxt.lstrip().lstrip("<").startswith(others[0]):
            break
        chosen += "\n" + nxt
    return mime.collapse(chosen, 1000)


def flufl_failures(msg: Message) -> tuple[set[str], set[str]]:
    """(temporary, permanent) addresses according to flufl.bounce; never raises."""
    try:
        # On a trimmed copy: it reads every line of every part, ~1 s for 2 MB of text.
        temporary, permanent = all_failures(mime.trimmed(msg))
    except Exception:  # its heuristics were not written for hostile input
        log.debug("flufl.bounce failed on this message", exc_info=True)
        return set(), set()

    def clean(values: frozenset[bytes]) -> set[str]:
        out = set()
        for value in values:
            addr = value.decode("ascii", errors="ignore").strip().strip("<>").strip()
            if _ADDR.fullmatch(addr):
                out.add(addr)
        return out

    return clean(temporary), clean(permanent)


def failures(msg: Message) -> list[Failure]:
    report, _ = split_original(mime.report_text(msg))
    temporary, permanent = flufl_failures(msg)
    out = []
    for addr in sorted(permanent)[: mime.MAX_RECIPIENTS]:
        out.append(Failure(addr, True, diagnostic_for(addr, report)))
    for addr in sorted(temporary - permanent):
        out.append(Failure(addr, False, diagnostic_for(addr, report)))
    return out[: mime.MAX_RECIPIENTS]


def failures_in_report(msg: Message) -> list[Failure]:
    """The failures of `failures` that the report itself names (its text or its headers): an
    address flufl.bounce found only inside an attached message (a returned original that is
    itself a notice, a bounce of a bounce) is about that other message."""
    own = (mime.report_text(msg) + "\n" + "\n".join(str(v) for v in msg.values())).lower()
    found = [f for f in failures(msg) if f.address.lower() in own]
    return [f for f in found if not verp.token_in(f.address)]  # our VERP sender, never a failure


# --- Amazon SES notifications delivered by email (SNS e-mail subscription) -----------------


@dataclass
class SESBounce:
    bounce_type: str  # Permanent, Transient, Undetermined
    sub_type: str
    recipients: list[dict]
    mail: dict


def ses_notification(text: str) -> dict | None:
    """The SES notification JSON in an SNS e-mail (the body is the JSON, possibly wrapped in
    an SNS envelope whose "Message" is the notification as a string)."""
    start = text.find("{")
    if start < 0 or ("notificationType" not in text and "eventType" not in text):
        return None
    end = text.rfind("}")
    try:
        data = jsonsafe.loads(text[start : end + 1])
    except ValueError:
        return None
    if isinstance(data, dict) and isinstance(data.get("Message"), str):
        try:
            data = jsonsafe.loads(data["Message"])
        except ValueError:
            return None
    if not isinstance(data, dict):
        return None
    if data.get("notificationType") or data.get("eventType"):
        return data
    return None
