"""Plain-text notices of older and niche MTAs and gateways (Apache James, Sun/Oracle
Messaging Server and PMDF, Lotus Notes R5, Openwave/Critical Path InterMail, Trend Micro
InterScan MSS, MailMarshal, m-FILTER, smail): each family's signature sentences and the
places it puts a failed address. plaintext_formats.FORMATS reads them like its own entries.
"""

from __future__ import annotations

import re

from mailwright.feedback.parsing.notice_places import (
    _A,
    BARE_LINE,
    LABELLED,
    RCPT_TO,
)

# "  Recipient address: addr" (Messaging Server, PMDF: one block per recipient).
RECIPIENT_ADDRESS = re.compile(rf"^[ \t]*Recipient address:[ \t]*<?(?P<a>{_A})", re.M | re.I)
# Lotus Notes R5: "was not delivered to:<TAB>addr" on one line.
NOTES_TO = re.compile(rf"^[ \t]*was not delivered to:[ \t]+<?(?P<a>{_A})", re.M | re.I)
# smail: " <addr> ... unknown user" / " addr ... transport smtp: 550 …".
SMAIL_LINE = re.compile(rf"^[ \t]*<?(?P<a>{_A})>? \.\.\. ", re.M)
# m-FILTER: "送信先メールアドレス: addr".
MFILTER_TO = re.compile(rf"^[ \t]*送信先メールアドレス[ \t]*[:：][ \t]*<?(?P<a>{_A})", re.M)

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
        (LABELLED, BARE_LINE),
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
)
