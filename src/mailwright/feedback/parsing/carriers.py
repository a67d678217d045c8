"""Mobile carriers whose refusal wording says less than where it was said.

NTT docomo (docomo.ne.jp) answers "550 Unknown user <addr>" in two cases: at RCPT TO when
the address does not exist, and after the message (in reply to the end of DATA) when the
address exists — its RCPT TO was accepted — but the owner's receive settings (指定受信,
受信拒否設定, the default refusal of PC mail) refuse our sender. The second is the owner's
filter, not a dead address: `policy` (docs/bounces.md, "The address owner's filter").
"""

from __future__ import annotations

import re
from email.message import Message

from mailwright.feedback.parsing import mime
from mailwright.feedback.parsing.result import POLICY, USER_UNKNOWN, Parsed

# Domains whose MTA gives "Unknown user" after DATA for a filter refusal.
_AFTER_DATA_FILTER_DOMAINS = ("docomo.ne.jp",)
# Postfix "(in reply to end of DATA command)", Exim "SMTP error from remote mail server after
# end of data". `\s+` because Postfix folds the line anywhere.
_AFTER_DATA = re.compile(r"(?:in\s+reply\s+to|after)\s+end\s+of\s+data(?:\s+command)?", re.I)
_UNKNOWN_USER = re.compile(r"unknown\s+user", re.I)


def _paragraph(address: str, report: str) -> str:
    """The report's text from the address's first line to the next blank line."""
    at = report.lower().find(address.lower())
    if at < 0:
        return ""
    start = report.rfind("\n", 0, at) + 1
    end = report.find("\n\n", at)
    return report[start : end if end >= 0 else start + 2000][:2000]


def refine(result: Parsed, msg: Message) -> None:
    """Turn docomo's after-DATA "Unknown user" into the owner's-filter refusal it is."""
    report = None
    for recipient in result.recipients:
        address = (recipient.address or "").lower()
        if recipient.reason != USER_UNKNOWN or not address.endswith(_AFTER_DATA_FILTER_DOMAINS):
            continue
        if report is None:
            report = mime.report_text(msg)
        text = f"{recipient.diagnostic}\n{_paragraph(address, report)}"
        if _UNKNOWN_USER.search(text) and _AFTER_DATA.search(text):
            recipient.reason = POLICY
            recipient.why["reason"] = (
                "docomo's 'Unknown user' after end of DATA: the RCPT TO was accepted, the "
                "owner's receive settings refused the sender → policy"
            )
