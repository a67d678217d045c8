"""More wordings for the less common reasons (round 3: what receivers in English, German,
French, Spanish, Italian, Portuguese, Polish, Dutch and Russian say), tried beside the rule
of phrases.py they extend (TEXT_RULES says where; the first rule that matches wins):

- a message too large, in the receivers' languages ("überschreitet die maximal zulässige
  Größe", "dépasse la taille maximale", "supera el tamaño máximo", …);
- an expired or frozen account: the mailbox exists but is disabled ("account expired",
  "Konto abgelaufen", "compte expiré", "cuenta caducada", "ящик заморожен"), before the queue
  expiry rule would read "expired" as ours;
- a link the receiver does not allow (content, not spam, when no block list is named);
- the receiving system's own failures ("disk full on remote host", "Requested action
  aborted", RFC 5321's 450 "mailbox temporarily unavailable");
- throttling worded with more words between ("too many concurrent SMTP connections"),
  Outlook.com's RP-001 ("limits for how many messages can be sent per hour and per day");
- a Dutch block list ("zwarte lijst"); Postfix's reverse-DNS refusal ("cannot find your
  reverse hostname"); Gmail's "illegal attachment"; Postfix's "Cannot start TLS: handshake
  failure" (a path problem).
"""

from __future__ import annotations

from mailwright.feedback.parsing.phrase_rule import TextRule, rule
from mailwright.feedback.parsing.result import (
    BLOCKED,
    CONTENT_REJECTED,
    HOST_UNKNOWN,
    MAIL_LOOP,
    MAILBOX_DISABLED,
    MAILBOX_FULL,
    MESSAGE_TOO_LARGE,
    NETWORK_ERROR,
    RATE_LIMITED,
    SECURITY_ERROR,
    SPAM_DETECTED,
    SYSTEM_ERROR,
    USER_UNKNOWN,
)

SIZE_LOCALIZED = rule(
    MESSAGE_TOO_LARGE,
    "size",
    en=(r"exceed(s|ed)? .{0,30}size (limit|maximum)", r"\bsize=\d{1,12} .{0,40}(exceed|too)"),
    de=(r"überschreitet .{0,40}größe", r"größe .{0,30}überschr"),
    fr=(r"dépasse .{0,20}taille", r"taille (maximale|limite) .{0,20}(dépassée|atteinte)"),
    es=(r"(supera|excede) .{0,20}tamaño",),
    it=(r"(supera|eccede) .{0,20}dimension",),
    pt=(r"(excede|ultrapassa|supera) .{0,20}tamanho",),
    pl=(r"przekracza .{0,30}rozmiar",),
    nl=(r"overschrijdt .{0,30}(grootte|limiet)",),
    ru=(r"превыш.{0,30}размер",),
)

# Between the account word and "expired": no sentence end and no word for a time limit — "…
# alla casella di posta, tempo di attesa scaduto", "Postfach nicht erreichbar, Zeitlimit
# abgelaufen", "buzón del destinatario, plazo vencido" are a delivery that timed out, not an
# expired account.
_GAP = r"(?:(?!zeit|frist|délai|temps|tiempo|plazo|tempo|prazo|czas|termin|tijd|time)[^.\n]){0,30}"

DISABLED_EXPIRED = rule(
    MAILBOX_DISABLED,
    "disabled",
    en=(r"(account|mailbox|user) (has )?expired", r"expired (account|mailbox|user)"),
    de=(rf"(konto|postfach|benutzerkonto) {_GAP}abgelaufen",),
    fr=(rf"(compte|boîte) {_GAP}expiré",),
    es=(rf"(cuenta|buzón) {_GAP}(caducad|expirad|vencid)",),
    it=(rf"(account|casella) {_GAP}scadut",),
    pt=(rf"(conta|caixa) {_GAP}(expirad|vencid)",),
    pl=(rf"konto {_GAP}(wygasł|wygaśnięt)",),
    nl=(rf"(account|mailbox|postvak) {_GAP}verlopen",),
    ru=(
        r"срок действия .{0,40}(учетной|учётной|аккаунта|ящика).{0,20}ист[её]к",
        r"(ящик|учетная запись|учётная запись|аккаунт).{0,30}заморожен",
    ),
)

USER_MORE = rule(
    USER_UNKNOWN,
    "unknown user",
    pl=(r"nie ma (takiego|takiej) (użytkownika|adresu|konta|odbiorcy|skrzynki)",),
)

CONTENT_MORE = rule(
    CONTENT_REJECTED,
    "content",
    en=(
        r"illegal attachment",  # Gmail "552 5.7.0 … detected an illegal attachment"
        r"\b(url|link)s? .{0,40}(not allowed|prohibited|forbidden|disallowed|does not allow)",
        r"(prohibited|forbidden|disallowed|unsafe) (url|link)",
        r"(contains|containing) (a |an )?(url|link)\b",
    ),
    # Attachment types refused by policy ("вложения типа .exe запрещены", "adjuntos … no
    # permitidos", "anexos … não permitidos", "allegati … non consentiti").
    ru=(r"вложени.{0,60}(запрещен|недопустим|не допускаются)",),
    es=(r"(adjunto|archivo adjunto)s?.{0,40}(no permitid|prohibid|bloquead)",),
    pt=(r"anexos?.{0,40}(não permitid|proibid|bloquead)",),
    it=(r"allegat[oi].{0,40}(non consentit|non permess|vietat|bloccat)",),
)

SYSTEM_MORE = rule(
    SYSTEM_ERROR,
    "system",
    en=(
        r"disk full",
        r"no space left on device",
        r"(mailbox|system|server) (is )?temporarily unavailable",
        r"requested (mail )?action aborted",
    ),
)

RATE_MORE = rule(
    RATE_LIMITED,
    "rate",
    en=(
        r"too many (\w{1,15} ){1,3}(connections|sessions)",
        r"limits for how many messages",
        r"messages? (can be )?sent per (hour|day|minute)",
    ),
)

BLOCK_LIST_MORE = rule(BLOCKED, "block list", nl=(r"zwarte lijst", r"blokkeerlijst"))

# Postfix reject_unknown_(reverse_)client_hostname: "cannot find your reverse hostname" /
# "cannot find your hostname" (forward-confirmed reverse DNS).
AUTH_MORE = rule(
    SECURITY_ERROR,
    "authentication",
    en=(r"reverse host ?name", r"cannot find your host ?name"),
)

NETWORK_MORE = rule(
    NETWORK_ERROR,
    "network",
    en=(r"cannot start tls", r"handshake (failed|failure)"),
    # Round 8: Domino's and Exchange's German/Italian "destination server not reachable".
    de=(r"(?:ziel|mail)?server\b[^\n]{0,40}\bnicht erreichbar",),
    it=(r"server\b[^\n]{0,40}\bnon (?:è )?raggiungibile",),
)

# Round 7: Domino's mail file quota ("database would exceed its disk quota") in German, and
# its directory lookup ("not listed in Domino Directory", phrases_address.USER) in its
# localised reports.
QUOTA_MORE = rule(
    MAILBOX_FULL,
    "full",
    de=(r"plattenkontingent", r"kontingent .{0,30}überschr", r"speicherkontingent"),
    it=(r"quota (del )?disco",),
)
DIRECTORY_MORE = rule(
    USER_UNKNOWN,
    "unknown user",
    de=(r"nicht im domino[- ](verzeichnis|directory)",),
    it=(r"non è presente nella domino directory",),
    fr=(
        r"n'est pas répertorié dans (le |l'annuaire )?domino",
        r"non répertorié dans le carnet d'adresses",  # Domino R5 (fr): the Name & Address Book
    ),
)
# CommuniGate Pro's SMTP module: "no DNS A-data returned" (the domain resolves to nothing).
HOST_MORE = rule(HOST_UNKNOWN, "unknown host", en=(r"no dns (a|mx)-data returned",))
# "the recipient's account (addr) has been disabled" (MDaemon), the address between.
DISABLED_MORE = rule(
    MAILBOX_DISABLED,
    "disabled",
    en=(r"account \([^)\n]{1,100}\) (has been|is) (disabled|suspended|deactivated|frozen)",),
)

# Round 8. AOL's refusal after DATA ("521 5.2.1 : AOL will not accept delivery of this
# message."): its content filter, whatever the X.2.1 code says; Exchange 2000's loop sentence;
# a message store that does not answer (Scalix, Sun/Oracle Messaging Server).
# Keyed on AOL's own name: other receivers use the sentence before their own reason.
SPAM_MORE = rule(SPAM_DETECTED, "spam", en=(r"\baol will not accept delivery of this message",))
LOOP_MORE = rule(MAIL_LOOP, "loop", en=(r"bounce between two servers",))
STORE_DOWN = rule(SYSTEM_ERROR, "system", en=(r"message store .{0,20}not (responding|available)",))

# Where they go in phrases.TEXT_RULES: after the block lists (both groups are "strong"
# evidence, beating any code), after CONTENT, after SIZE (before the queue expiry), and
# after SYSTEM.
AFTER_BLOCK_LIST: list[TextRule] = [RATE_MORE, BLOCK_LIST_MORE]
AFTER_CONTENT: list[TextRule] = [CONTENT_MORE, AUTH_MORE, QUOTA_MORE, SPAM_MORE, LOOP_MORE]
AFTER_SIZE: list[TextRule] = [
    SIZE_LOCALIZED,
    DISABLED_EXPIRED,
    USER_MORE,
    DIRECTORY_MORE,
    HOST_MORE,
    DISABLED_MORE,
]
AFTER_SYSTEM: list[TextRule] = [SYSTEM_MORE, NETWORK_MORE, STORE_DOWN]
