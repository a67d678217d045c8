"""Wordings of the security gateways and hosted providers that the generic rules in
phrases.py would misread, tried before them (the first rule that matches wins).

Each phrase is the gateway's or provider's own documented refusal text:

- Barracuda Email Security Service wraps each refusal as "550 permanent failure for one or
  more recipients (addr:reason)"; a bare ":blocked" there means the recipient's Barracuda
  policies (spam score, content or sender rules) refused the message — the receiver's
  policy, not a block list of our IP (those say "Barracuda Reputation");
- Exchange Online: "5.7.511 Access denied, banned sender[IP]" is our IP on Microsoft's list
  (not the generic "access denied"); "5.7.512 … must be RFC 5322 section 3.6.2 compliant"
  is our message's headers; "5.2.121/5.2.122 … per hour message receive limit from specific
  sender exceeded" (RESOLVER.RST.SenderRecipientThresholdExceeded) is our sending rate, not
  the recipient restrictions that other RESOLVER.RST codes are;
- Gmail: "552 5.7.0 … its content presents a potential security issue" refuses an
  attachment or its content, although it says "blocked" and "security";
- Mimecast: "451 Internal resource temporarily unavailable" is the receiving system;
- a recipient's own blacklist ("Rejected by recipient's blacklist", Coremail's
  "被收件人拒收（发件人在收件人的黑名单中）") is the owner's filter, policy like a receive
  setting (docs/bounces.md), not a block list of our IP — tried before the block-list words.

Also here: NetEase's refusal codes and Exchange's recipient restrictions, which phrases.py
places in its own order.
"""

from __future__ import annotations

from mailwright.feedback.parsing.phrase_rule import TextRule, rule
from mailwright.feedback.parsing.result import (
    BLOCKED,
    CONTENT_REJECTED,
    POLICY,
    RATE_LIMITED,
    SPAM_DETECTED,
    SYSTEM_ERROR,
)

GATEWAY_POLICY = rule(
    POLICY,
    "gateway policy",
    en=(r"for one or more recipients \([^()\s]{1,200}:blocked\)",),
)
GATEWAY_BLOCKED = rule(BLOCKED, "gateway block list", en=(r"access denied, banned sender\b",))
GATEWAY_RATE = rule(
    RATE_LIMITED,
    "provider rate",
    en=(r"message receive limit .{0,40}exceeded", r"senderrecipientthresholdexceeded"),
)
GATEWAY_CONTENT = rule(
    CONTENT_REJECTED,
    "provider content",
    en=(
        r"rfc ?5322 section [\d.]{1,10} compliant",
        r"content presents a potential security issue",
    ),
)
GATEWAY_SYSTEM = rule(
    SYSTEM_ERROR, "gateway system", en=(r"internal resource temporarily unavailable",)
)

GATEWAY_OWNER_LIST = rule(
    POLICY,
    "recipient's own list",
    en=(r"(?:recipient|user)'?s? (?:personal )?(?:black ?list|block(?:ed)? senders? list)",),
    zh=(r"收件人的?黑名单", r"被收件人拒收", r"收件者的?黑名單", r"被收件者拒收"),
    ja=(r"受信者の?ブラックリスト",),
    ko=(r"수신자의? (?:블랙리스트|차단 목록)",),
)

GATEWAY_RULES: list[TextRule] = [
    GATEWAY_OWNER_LIST,
    GATEWAY_POLICY,
    GATEWAY_BLOCKED,
    GATEWAY_RATE,
    GATEWAY_CONTENT,
    GATEWAY_SYSTEM,
]


# NetEase (163.com, 126.com, yeah.net) refusal codes, from its published list of SMTP error
# codes: the code names the reason, whatever the Chinese explanation after it also mentions
# ("DT:SPM … 请检查是否有用户发送病毒或者垃圾邮件" is spam, not a virus).
NETEASE_SPAM = rule(SPAM_DETECTED, "NetEase code", en=(r"\bdt:spm\b",))
NETEASE_BLOCKED = rule(BLOCKED, "NetEase code", en=(r"\bdt:rbl\b", r"\bmi:spb\b"))
NETEASE_RATE = rule(
    RATE_LIMITED,
    "NetEase code",
    en=(r"\b(mi:(dmc|sfq|stc|cel)|rp:(trc|qrc|rcl|cel))\b",),
)

# Exchange's recipient restrictions (RESOLVER.RST.*: a group that takes mail only from its
# organization or allowed senders): policy, although they say "authentication required".
RESTRICTION = rule(
    POLICY,
    "restriction",
    en=(
        r"resolver\.rst\.",
        r"only accepts messages from",
        r"(isn't|is not|not) on (the|its) allowed senders list",
        # Google Groups / mailing lists: "you may not have permission to post messages to
        # the group" (a closed or members-only group refuses the sender, not a dead address).
        r"(not|n't) have permission to post",
    ),
)
