"""Plain-text notices of older and niche MTAs and gateways (Apache James, Sun/Oracle
Messaging Server and PMDF, Lotus Notes R5, Openwave/Critical Path InterMail, Trend Micro
InterScan MSS, MailMarshal, m-FILTER, smail): each family's signature sentences and the
places it puts a failed address. plaintext_formats.FORMATS reads them like its own entries.
"""

from __future__ import annotations

import re

from mailwright.feedback.parsing.classify import find_status
from mailwright.feedback.parsing.notice_places import (
    _A,
    ANGLE_LINE,
    BARE_LINE,
    EXCHANGE_ON,
    EXCHANGE_ON_LOCAL,
    LABELLED,
    RCPT_TO,
    REPLY_CODE,
)

# "  Recipient address: addr" (Messaging Server, PMDF: one block per recipient).
RECIPIENT_ADDRESS = re.compile(rf"^[ \t]*Recipient address:[ \t]*<?(?P<a>{_A})", re.M | re.I)
# Lotus Notes R5: "was not delivered to:<TAB>addr" on one line.
NOTES_TO = re.compile(rf"^[ \t]*was not delivered to:[ \t]+<?(?P<a>{_A})", re.M | re.I)
# smail: " <addr> ... unknown user" / " addr ... transport smtp: 550 …".
SMAIL_LINE = re.compile(rf"^[ \t]*<?(?P<a>{_A})>? \.\.\. ", re.M)
# Mercury/32: "  *** addr" alone on its line, the reason indented below.
STARRED_LINE = re.compile(rf"^[ \t]*\*{{3}}[ \t]+<?(?P<a>{_A})>?[ \t]*$", re.M)
# NetMail: "  addr: The recipient's mailbox …" (a sentence after the colon, no SMTP code).
COLON_SENTENCE = re.compile(rf"^[ \t]*<?(?P<a>{_A})>?:[ \t]+[A-Za-z]", re.M)
# m-FILTER: "送信先メールアドレス: addr".
MFILTER_TO = re.compile(rf"^[ \t]*送信先メールアドレス[ \t]*[:：][ \t]*<?(?P<a>{_A})", re.M)

# Round 7. GroupWise status tracking: one row per recipient, "To: addr  Undeliverable  date
# comment" (a Delivered row is no failure).
GW_STATUS_LINE = re.compile(
    rf"^[ \t]*(?:To|CC|BC):[ \t]+<?(?P<a>{_A})>?[ \t]+Undeliverable\b", re.M | re.I
)
# A bulleted list, one recipient a line: "  * addr", "  - addr", "  • addr".
BULLET_LINE = re.compile(rf"^[ \t]*[*•-][ \t]+<?(?P<a>{_A})>?[ \t]*$", re.M)

# Round 8. InterMail lists unknown addresses as "SMTP <addr>" and remote refusals as
# "Recipient: <addr>" (both sections can be in one notice).
INTERMAIL_LINE = re.compile(rf"^[ \t]*(?:SMTP[ \t]+<|Recipient:[ \t]*<?)(?P<a>{_A})", re.M | re.I)
# Exchange 5.5/2000 (IMS, MTA): "addr on Tue, 4 Mar 2025 …" or "addr on 3/4/2005 …"; an X.400
# O/R address carries the SMTP one in a dda attribute: "c=US;…;dda:SMTP=addr; on …".
EXCHANGE_IMS_ON = re.compile(
    rf"^[ \t]*(?:c=[^\n]{{0,200}}?dda:SMTP=)?'?(?P<a>{_A})'?;?"
    r"[ \t]+on[ \t]+(?:\d|[A-Z][a-z]{2},)",
    re.M,
)
# Families whose notice repeats the original's To above its heading ("Your message / To: …
# / did not reach the following recipient(s):"): read from the heading on.
FROM_HEADING = frozenset({"exchange_ims"})
# Families that list the addresses, then state one error for all of them below the list
# (Domino: "The following recipients failed:" / addresses / "Error transferring to …").
SHARED_ERROR = frozenset({"domino_list"})
_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*+\n")
# InterMail's "SMTP <addr>" lines are the section of unknown destination addresses.
_INTERMAIL_UNKNOWN = re.compile(r"^([ \t]*SMTP[ \t]+<[^>\n]{1,254}>)[ \t]*$", re.M)


def normalized(family: str, signature: re.Pattern[str], report: str) -> str:
    """The report as the places and the diagnostics read it: from the heading on (FROM_HEADING),
    the shared error under each listed address (SHARED_ERROR), InterMail's unknown section
    said next to each of its addresses."""
    if family == "intermail" and "destination addresses were unknown" in report:
        return _INTERMAIL_UNKNOWN.sub(r"\1 (user unknown)", report)
    m = signature.search(report) if family in FROM_HEADING | SHARED_ERROR else None
    if m is None:
        return report
    if family in FROM_HEADING:
        return report[m.start() :]
    parts = _PARAGRAPH_BREAK.split(report[m.end() :].lstrip("\r\n"), maxsplit=2)
    error = " ".join(parts[1].split())[:600] if len(parts) > 1 else ""
    if not (find_status(error) or REPLY_CODE.search(error)):
        return report
    listed = BARE_LINE.sub(lambda a: f"{a.group(0)}\n    {error}", parts[0])
    return "\n\n".join([report[: m.end()], listed, *parts[1:]])


# (family, signature phrases that start a line, places) — most specific first.
FORMATS: tuple[tuple[str, tuple[str, ...], tuple[re.Pattern[str], ...]], ...] = (
    ("james", (r"Hi\. This is the James mail server at",), (BARE_LINE,)),
    (
        "messaging_server",  # Sun Java System / Oracle Communications Messaging Server, PMDF
        (
            r"This report relates to a message you sent with the following header fields",
            r"Your message cannot be delivered to the following recipients",
            r"Your message has been delayed and is still awaiting delivery",
        ),
        (RECIPIENT_ADDRESS,),
    ),
    ("notes", (r"Your document:[ \t]",), (NOTES_TO,)),
    (
        "intermail",  # Openwave / Critical Path InterMail MTA
        (r"This Message was undeliverable due to the following reason",),
        (INTERMAIL_LINE, LABELLED, BARE_LINE),
    ),
    (
        "interscan",  # Trend Micro InterScan Messaging Security Suite
        (r"Could not deliver mail to this user\.", r"Sent <<< RCPT TO:"),
        (RCPT_TO, BARE_LINE),
    ),
    (
        "mailmarshal",
        (r"The following recipients were affected:", r"Could not be delivered because of"),
        (BARE_LINE, LABELLED),
    ),
    (
        "mfilter",
        (r"下記のメールアドレスへの送信に失敗しました", r"-{5,}server message"),
        (MFILTER_TO, RCPT_TO),
    ),
    ("smail", (r"\|-+ Failed addresses follow: -+\|",), (SMAIL_LINE,)),
    # Round 4 long tail (wording not confirmed from vendor documentation; see the fixtures).
    (
        "mercury",  # Mercury/32
        (
            r"This message is a delivery failure notification generated by the Mercury",
            r"The following message could not be delivered to one or more of its",
        ),
        (STARRED_LINE, BARE_LINE),
    ),
    (
        "axigen",  # also a generic wording: the address alone on the line below
        (r"Your message could not be delivered to the following recipients?:",),
        (BARE_LINE, LABELLED),
    ),
    (
        "netmail",  # Novell NetMail
        (r"The Novell NetMail system could not deliver your message",),
        (COLON_SENTENCE, BARE_LINE),
    ),
    (
        "mdaemon_local",  # MDaemon (older) local delivery failures
        (r"The attached message was not delivered to the following (?:local )?recipients?:",),
        (BARE_LINE,),
    ),
    # Round 7 (fixtures v7_*; SmarterMail's wording as its hosting providers' help pages show).
    (
        "smartermail_failed_recipient",  # SmarterMail, IMail 12: "Failed Recipient: addr"
        (r"Could not deliver message to the following recipient\(s\):",),
        (LABELLED,),
    ),
    (
        "imail_smtp32",  # IMail SMTP32: "<addr>:" then the reason on the next line
        (r"Unable to deliver message to the following address\(es\)\.",),
        (ANGLE_LINE, BARE_LINE),
    ),
    ("groupwise_status", (r"Recipients[ \t]+Action[ \t]+Date & Time",), (GW_STATUS_LINE,)),
    (
        "bulleted",  # Axigen and others: "Delivery to the following recipients failed permanently:"
        (r"Delivery to the following recipients failed permanently:",),
        (BULLET_LINE, BARE_LINE),
    ),
    # Round 8 (fixtures v8_*). Exchange 5.5/2000's IMS and MTA notices.
    ("exchange_ims", (r"did not reach the following recipient\(s\):",), (EXCHANGE_IMS_ON,)),
    (
        "exchange2003_localized",  # "The following recipient(s) could not be reached:" (de, es, fr)
        (
            r"Folgende Empfänger konnten nicht erreicht werden:",
            r"No se pudo llegar a los siguientes destinatarios:",
            r"Impossible de joindre les destinataires suivants ?:",
        ),
        (EXCHANGE_ON_LOCAL, EXCHANGE_ON, BARE_LINE),
    ),
    ("domino_list", (r"The following recipients failed:",), (BARE_LINE,)),  # Domino 8 router
    # Round 8: Domino's Delay report ("transfer is delayed" to the recipients listed below
    # it, per the Domino admin help), English and German; says_temporary makes it a delay.
    (
        "domino_delay",
        (  # one phrase (each one re-scans a long blank run); never starts inside blanks
            r"(?=\S)(?:\S[^\n]{0,80})?\b(?:(?:transfer|delivery)"
            r"(?:\s{1,3}to the following recipients?)?\s{1,3}(?:is|has been) delayed"
            r"(?: to the following recipients?)?|an (?:die )?folgenden? Empfänger"
            r"\s{1,3}(?:ist|sind|wurde) verzögert):[ \t]*$",
        ),
        (BARE_LINE,),
    ),
    # IMail names only the host; the recipient comes from the returned original's headers.
    ("imail_host", (r"Unknown host: [\w-]+(?:\.[\w-]+)+[ \t]*$",), ()),
)
