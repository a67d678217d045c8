"""Classification: an enhanced status code, the SMTP reply code and the diagnostic text →
(kind, reason), and the suppression hint. Evidence, strongest first: the enhanced status code
(RFC 3463 subject.detail), refined by the text where the code is generic or the text is more
specific; then the diagnostic text (phrases.py, several languages); then nothing (`other`).
`classify_explained` also says which rule decided, for --explain."""

from __future__ import annotations

import re
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache

from mailwright.feedback.parsing.phrase_rule import MAX_TEXT, prepare
from mailwright.feedback.parsing.phrases import SOFT_TEXT, TEXT_RULES, reason_from_text
from mailwright.feedback.parsing.phrases_gateways import GATEWAY_OWNER_LIST
from mailwright.feedback.parsing.result import (
    BLOCKED,
    CONTENT_REJECTED,
    EXPIRED,
    HAS_MOVED,
    HOST_UNKNOWN,
    MAIL_LOOP,
    MAILBOX_DISABLED,
    MAILBOX_FULL,
    MESSAGE_TOO_LARGE,
    NETWORK_ERROR,
    NOT_ACCEPTING_MAIL,
    OTHER,
    POLICY,
    RATE_LIMITED,
    SECURITY_ERROR,
    SPAM_DETECTED,
    SYSTEM_ERROR,
    USER_UNKNOWN,
    VIRUS_DETECTED,
    Kind,
    Recipient,
)

__all__ = ["TEXT_RULES", "classify", "classify_explained", "should_suppress"]

# RFC 3463 enhanced status code ("5.1.1"); SMTP reply code ("550", "452-", "554:").
STATUS_RE = re.compile(r"(?<![\d.])([245])\.(\d{1,3})\.(\d{1,3})(?![\d.])")
# Not a size ("Quota: 500 MB", "450 KB"): a number before a unit is no reply code.
SMTP_CODE_RE = re.compile(
    r"(?<![\d.#])([45][0-5]\d)(?=[\s:-]|$)(?![ \t]?(?:[kmgt]i?b|bytes|kbytes)\b)", re.I
)

# subject.detail of an enhanced code → reason (the class, 4 or 5, decides the kind).
STATUS_REASONS: dict[str, str] = {
    "1.1": USER_UNKNOWN,  # bad destination mailbox address
    "1.2": HOST_UNKNOWN,  # bad destination system address
    "1.3": USER_UNKNOWN,  # bad destination mailbox address syntax
    "1.6": HAS_MOVED,  # destination mailbox has moved, no forwarding address
    "1.7": POLICY,  # bad sender's mailbox address syntax (our address)
    "1.8": POLICY,  # bad sender's system address (our domain)
    "1.10": NOT_ACCEPTING_MAIL,  # recipient address has null MX (RFC 7505)
    "2.1": MAILBOX_DISABLED,  # mailbox disabled, not accepting messages
    "2.2": MAILBOX_FULL,
    "2.3": MESSAGE_TOO_LARGE,  # message length exceeds administrative limit
    "2.4": SYSTEM_ERROR,  # mailing list expansion problem
    "3.1": SYSTEM_ERROR,  # mail system full
    "3.2": SYSTEM_ERROR,  # system not accepting network messages
    "3.3": SYSTEM_ERROR,  # system not capable of selected features
    "3.4": MESSAGE_TOO_LARGE,  # message too big for system
    "3.5": SYSTEM_ERROR,  # system incorrectly configured
    "4.1": NETWORK_ERROR,  # no answer from host
    "4.2": NETWORK_ERROR,  # bad connection
    "4.3": NETWORK_ERROR,  # directory (DNS) server failure
    "4.4": HOST_UNKNOWN,  # unable to route
    "4.5": NETWORK_ERROR,  # mail system congestion
    "4.6": MAIL_LOOP,  # routing loop detected
    "4.7": EXPIRED,  # delivery time expired
    "5.3": RATE_LIMITED,  # too many recipients
    "6.1": CONTENT_REJECTED,  # media not supported
    "6.2": CONTENT_REJECTED,  # conversion required and prohibited
    "6.3": CONTENT_REJECTED,  # conversion required but not supported
    "6.5": CONTENT_REJECTED,  # conversion failed
    "7.1": POLICY,  # delivery not authorized, message refused (text: blocked, spam, …)
    "7.2": POLICY,  # mailing list expansion prohibited
    "7.3": SECURITY_ERROR,  # security conversion required but not possible
    "7.4": SECURITY_ERROR,  # security features not supported
    "7.5": SECURITY_ERROR,  # cryptographic failure
    "7.6": SECURITY_ERROR,  # cryptographic algorithm not supported
    "7.7": SECURITY_ERROR,  # message integrity failure
    "7.8": SECURITY_ERROR,  # authentication credentials invalid (RFC 4954)
    "7.9": SECURITY_ERROR,  # authentication mechanism too weak
    "7.10": SECURITY_ERROR,  # encryption needed
    "7.11": SECURITY_ERROR,  # encryption required for requested mechanism
    "7.12": SECURITY_ERROR,  # a password transition is needed
    "7.13": MAILBOX_DISABLED,  # user account disabled
    "7.14": POLICY,  # trust relationship required
    "7.15": POLICY,  # priority level is too low (RFC 6710)
    "7.16": MESSAGE_TOO_LARGE,  # message is too big for the specified priority
    "7.17": HAS_MOVED,  # mailbox owner has changed (RFC 7293)
    "7.18": HAS_MOVED,  # domain owner has changed (RFC 7293)
    "7.19": POLICY,  # RRVS test cannot be completed
    "7.20": SECURITY_ERROR,  # no passing DKIM signature found (RFC 7372)
    "7.21": SECURITY_ERROR,  # no acceptable DKIM signature found
    "7.22": SECURITY_ERROR,  # no valid author-matched DKIM signature found
    "7.23": SECURITY_ERROR,  # SPF validation failed
    "7.24": SECURITY_ERROR,  # SPF validation error
    "7.25": SECURITY_ERROR,  # reverse DNS validation failed
    "7.26": SECURITY_ERROR,  # multiple authentication checks failed (Gmail: unauthenticated)
    "7.27": POLICY,  # sender address has null MX (RFC 7505): our domain
    "7.28": RATE_LIMITED,  # mail flood detected (Gmail: unusual rate of unsolicited mail)
    "7.29": SECURITY_ERROR,  # ARC validation failure (RFC 8617)
}
# A generic or unlisted detail: the subject's default when the text says nothing.
SUBJECT_DEFAULTS: dict[str, str] = {
    "1": OTHER,
    "2": OTHER,
    "3": SYSTEM_ERROR,
    "4": NETWORK_ERROR,
    "5": OTHER,
    "6": CONTENT_REJECTED,
    "7": POLICY,
}

# Reasons about us or our message: what an X.7 code may become by its text.
ABOUT_US = frozenset(
    {
        BLOCKED,
        POLICY,
        SPAM_DETECTED,
        VIRUS_DETECTED,
        CONTENT_REJECTED,
        SECURITY_ERROR,
        RATE_LIMITED,
        MESSAGE_TOO_LARGE,
    }
)
# A specific code's reason that more specific text may refine ("5.1.1 … account disabled").
REFINE: dict[str, frozenset[str]] = {
    USER_UNKNOWN: frozenset({MAILBOX_DISABLED, HAS_MOVED}),
    NOT_ACCEPTING_MAIL: frozenset({USER_UNKNOWN, MAILBOX_DISABLED}),
    HOST_UNKNOWN: frozenset({NOT_ACCEPTING_MAIL}),
    MAILBOX_DISABLED: frozenset({RATE_LIMITED, MAILBOX_FULL, SPAM_DETECTED}),  # AOL's 5.2.1
    SYSTEM_ERROR: frozenset({RATE_LIMITED, BLOCKED, EXPIRED, MAIL_LOOP}),
    # "5.4.1 Relay access denied"; qmail's "(#4.4.1) … in the queue too long" expired, and so
    # did a notice that gave up after days of "4.4.1 Connection timed out" ("could not be
    # delivered for 5 days", "в течение 5 дней").
    NETWORK_ERROR: frozenset({RATE_LIMITED, BLOCKED, POLICY, EXPIRED}),
    POLICY: ABOUT_US,
    SECURITY_ERROR: ABOUT_US,  # Yahoo's "5.7.9 Message not accepted for policy reasons"
    # Receivers reuse codes: "552 5.2.2 … this account has been disabled" (full → disabled),
    # simscan's "552 we don't accept email with executable content (#5.3.4)" (size →
    # content), sendmail's "553 5.3.5 … config error: mail loops back to me" (system → loop),
    # a 5.4.7 expiry whose last reply was "452 4.2.2 … over quota" (still a full mailbox).
    MAILBOX_FULL: frozenset({MAILBOX_DISABLED}),
    MESSAGE_TOO_LARGE: frozenset({CONTENT_REJECTED, VIRUS_DETECTED}),
    EXPIRED: frozenset({MAILBOX_FULL}),
}
_FULL_ONLY = frozenset({MAILBOX_FULL})
# X.7 codes whose meaning is fixed, whatever words come with them (Gmail's 5.7.26 says
# "blocked" about an unauthenticated sender: it is a security_error).
FIXED_X7 = frozenset({f"7.{n}" for n in range(20, 30) if n != 27} | {"7.7"})
# Specific text that beats any code: a named block list, throttling, Exchange Online's
# directory-based edge blocking ("5.4.1 Recipient address rejected: Access denied").
STRONG = frozenset({BLOCKED, RATE_LIMITED})
_EDGE_BLOCKED = re.compile(
    r"5\.4\.1 recipient address rejected: access denied|access denied\. as\(201806281\)"
)
# Exim's sender callout ("550-Verification failed for <our sender> … 550-Response: 550 5.1.1
# … User unknown … 550 Sender verify failed") quotes a code about OUR address: policy.
_SENDER_VERIFY = re.compile(r"sender verify failed")
# Yandex says "5.7.1 No such user!": only these unambiguous words make an X.7.1 the address's.
_X71_UNKNOWN = re.compile(r"no such user|user unknown|unknown user|user not found")
# ... and they beat the generic policy words around them ("550 5.7.1 Relaying denied - no such
# user here": the receiver is the recipient's own host), unless the words are about our sender.
_ABOUT_SENDER = re.compile(r"sender|mail from")
# A link in our message on a URI block list (URIBL, SURBL): our content, not our IP. (A
# Spamhaus DBL listing names our domain wherever it appears: that stays `blocked`.)
_URI_LISTED = re.compile(r"\b(uribl|surbl)\b|\bur[il] ?(block|black|deny) ?list")
STRONG_RULES = [r for r in TEXT_RULES if r.reason in STRONG and r.label in ("block list", "rate")]
# Gmail's sender requirements: "421-4.7.27 Your email has been rate limited because SPF
# authentication didn't pass" (also 4.7.30 DKIM, 4.7.32 alignment): the throttling is the
# consequence, our authentication the cause (Gmail uses X.7.27 for SPF, RFC 7505 for a
# null-MX sender: the text decides, so X.7.27 is not fixed).
_AUTH_CAUSE = re.compile(
    r"rate limited because .{0,60}(spf|dkim|dmarc|authenticat|unauthenticated|aligned)"
)
# X.7.0/X.7.1 refusals whose words are about the address itself: a departed employee
# (an Exchange transport rule's "550 5.7.1 … is no longer with Example Srl. Please contact
# …") and a domain that takes no mail at all (parked-domain MX stubs: "554 5.7.1 … this
# domain does not accept email"), but never "does not accept mail from you".
_X7_NULL_MX = re.compile(
    r"domain (does not|doesn't|do not) (accept|receive) (any )?(e-?)?mails?\b(?! from)"
)
# A TLS session that failed is a path problem (Postfix: "4.7.5 Cannot start TLS: handshake
# failure"), unlike a receiver requiring TLS or authentication from us.
_TLS_FAILED = re.compile(
    r"handshake (failed|failure|error)|(tls|ssl) negotiation (failed|failure|error)|"
    r"cannot start tls|starttls failed"
)
# "421 4.7.0 Try again later": throttling.
# "Please come back later": Yandex's 451 4.7.1 when it holds our mail back for a while.
_TRY_LATER = re.compile(r"try (again )?later|temporarily (deferred|rejected)|come back later", re.I)

# "mailbox unavailable" is ambiguous (RFC 5321 uses it for both 450 and 550).
_AMBIGUOUS_USER = re.compile(r"mailbox (is )?(unavailable|not available)", re.I)
# A reply to MAIL FROM comes before any recipient is named: its "mailbox unavailable" is
# about our envelope sender (Postfix "(in reply to MAIL FROM command)", Exim "after MAIL
# FROM:<…>").
_AT_MAIL_FROM = re.compile(r"in reply to mail from command|after mail from:", re.I)

# Each reason's kind when no code and nothing in the container says which.
SOFT_BY_DEFAULT = frozenset(
    {MAILBOX_FULL, NETWORK_ERROR, EXPIRED, SYSTEM_ERROR, RATE_LIMITED, MAIL_LOOP}
)


def find_status(text: str) -> str | None:
    """The most specific enhanced status code in `text` (x.0.0 only if nothing better)."""
    best = None
    for m in STATUS_RE.finditer(text or ""):
        if m.group(1) == "2":
            continue
        code = ".".join(m.groups())
        if m.group(2) != "0" or m.group(3) != "0":
            return code
        best = best or code
    return best


def find_smtp_code(text: str) -> str | None:
    m = SMTP_CODE_RE.search(text or "")
    return m.group(1) if m else None


def normalize_status(value: str | None) -> str | None:
    m = STATUS_RE.search(value or "")
    return ".".join(m.groups()) if m else None


def _strong_text(text: str) -> tuple[str, str] | None:
    text = prepare(text)
    if _AUTH_CAUSE.search(text):
        return SECURITY_ERROR, f"text /{_AUTH_CAUSE.pattern}/ (en, Gmail sender requirements)"
    if _EDGE_BLOCKED.search(text):
        return USER_UNKNOWN, f"text /{_EDGE_BLOCKED.pattern}/ (en, Exchange edge blocking)"
    if _SENDER_VERIFY.search(text):
        return POLICY, f"text /{_SENDER_VERIFY.pattern}/ (en, Exim sender callout)"
    if _URI_LISTED.search(text):
        return CONTENT_REJECTED, f"text /{_URI_LISTED.pattern}/ (en, URI block list)"
    owner = GATEWAY_OWNER_LIST.match(text)  # "the recipient's blacklist": not a block list
    if owner:
        return POLICY, f"text /{owner[0]}/ ({owner[1]}, the recipient's own list)"
    for rule in STRONG_RULES:
        found = rule.match(text)
        if found:
            return rule.reason, f"text /{found[0]}/ ({found[1]})"
    return None


def _x7_about_address(text: str) -> tuple[str, str] | None:
    moved = reason_from_text(text, frozenset({HAS_MOVED}))
    if moved:
        return moved
    if _X7_NULL_MX.search(prepare(text)):
        return NOT_ACCEPTING_MAIL, f"text /{_X7_NULL_MX.pattern}/ (en)"
    return None


def reason_from_status(status: str | None, text: str, smtp: str | None) -> tuple[str, str] | None:
    """(reason, rule) from an enhanced status code, refined by the text."""
    if not status:
        return None
    cls, subject, detail = status.split(".")
    key = f"{subject}.{detail}"
    if key in FIXED_X7:
        return STATUS_REASONS[key], f"status {status} → {STATUS_REASONS[key]}"
    strong = _strong_text(text)
    if strong:
        return strong[0], f"{strong[1]} over status {status}"
    if key in ("7.0", "7.1"):
        about = _x7_about_address(text)
        if about:
            return about[0], f"{about[1]} refines status {status}"
    base = STATUS_REASONS.get(key)
    if base == SECURITY_ERROR and _TLS_FAILED.search(prepare(text)):
        return NETWORK_ERROR, f"text /{_TLS_FAILED.pattern}/ (en) refines status {status}"
    if base is None:
        # Generic (x.y.0) or unlisted: the text decides; X.7 only among reasons about us.
        allowed = ABOUT_US | {EXPIRED} if cls == "4" else ABOUT_US
        found = reason_from_text(text, allowed if subject == "7" else None)
        if found:
            return found[0], f"{found[1]} with status {status}"
        if subject == "7" and cls == "4" and (smtp == "421" or _TRY_LATER.search(text or "")):
            return RATE_LIMITED, f"status {status} + try later → {RATE_LIMITED}"
        reason = SUBJECT_DEFAULTS.get(subject, OTHER)
        return reason, f"status {status} (class X.{subject}) → {reason}"
    refine = REFINE.get(base)
    if refine and cls == "4" and base == POLICY:
        # A temporary refusal (greylisting, "4.7.1 try again") that outlasted the queue: the
        # notice says it gave up ("in the queue too long", "retry timeout exceeded").
        refine = refine | {EXPIRED}
    if refine:
        found = reason_from_text(text, refine)
        if found and found[0] == POLICY and key == "7.1":
            prepared = prepare(text)
            if _X71_UNKNOWN.search(prepared) and not _ABOUT_SENDER.search(prepared):
                found = None
        if found and base == MAILBOX_FULL and reason_from_text(text, _FULL_ONLY):
            found = None  # the code and the words both say full ("space no longer available")
        if found:
            return found[0], f"{found[1]} refines status {status}"
    if key == "7.1" and _X71_UNKNOWN.search(prepare(text)):
        return USER_UNKNOWN, f"text /{_X71_UNKNOWN.pattern}/ (en) refines status {status}"
    if key == "7.1" and cls == "4" and (smtp == "421" or _TRY_LATER.search(text or "")):
        return RATE_LIMITED, f"status {status} + try later → {RATE_LIMITED}"
    return base, f"status {status} → {base}"


# How many characters of diagnostic text one message may have classified (~2.4 ms per 1,000):
# a report listing 50 recipients, each with its own 1,000-character paragraph, would take
# ~120 ms. Past the budget, each further text is read on its first SHORT_TEXT characters
# (where the status and the reply's words are).
TEXT_BUDGET = 16_000
SHORT_TEXT = 240
CACHED_TEXT = 2_000  # longer texts are not kept in the cache
_budget: ContextVar[list[int] | None] = ContextVar("classify_budget", default=None)


@contextmanager
def message_budget():
    """Bound the classification work of one message (parse_message wraps each parse)."""
    token = _budget.set([TEXT_BUDGET])
    try:
        yield
    finally:
        _budget.reset(token)


def classify_explained(
    status: str | None, diagnostic: str, *, permanent: bool | None = None
) -> tuple[Kind, str, str | None, dict[str, str]]:
    """classify() plus which rule decided: {"reason": rule, "kind": rule}. The same text is
    classified once (a report often gives many recipients one diagnostic)."""
    diagnostic = diagnostic or ""
    left = _budget.get()
    if left is not None:
        if left[0] <= 0:
            diagnostic = diagnostic[:SHORT_TEXT]
        left[0] -= min(len(diagnostic), MAX_TEXT)
    if len(diagnostic) > CACHED_TEXT:  # a whole report: read once per message anyway
        return _classify(status, diagnostic, permanent=permanent)
    kind, reason, found_status, why = _classify_cached(status, diagnostic, permanent)
    return kind, reason, found_status, dict(why)


@lru_cache(maxsize=2048)
def _classify_cached(
    status: str | None, diagnostic: str, permanent: bool | None
) -> tuple[Kind, str, str | None, tuple[tuple[str, str], ...]]:
    kind, reason, found_status, why = _classify(status, diagnostic, permanent=permanent)
    return kind, reason, found_status, tuple(why.items())


def _classify(
    status: str | None, diagnostic: str, *, permanent: bool | None = None
) -> tuple[Kind, str, str | None, dict[str, str]]:
    status = normalize_status(status)
    in_text = find_status(diagnostic)
    if not status or (status.endswith(".0.0") and in_text and in_text[0] == status[0]):
        status = in_text or status
    smtp = find_smtp_code(diagnostic)

    found = reason_from_status(status, diagnostic, smtp)
    if found is None:
        found = _strong_text(diagnostic) or reason_from_text(diagnostic)
        if found and found[0] == USER_UNKNOWN and _AMBIGUOUS_USER.search(diagnostic):
            # "mailbox unavailable" means unknown only with a permanent code.
            if (smtp or "")[:1] != "5":
                found = None
            elif _AT_MAIL_FROM.search(diagnostic[:MAX_TEXT]):
                found = POLICY, f"{found[1]} in reply to MAIL FROM → our sender: {POLICY}"
        if found is None and smtp == "551":
            found = HAS_MOVED, "SMTP 551 (user not local) → has_moved"
    reason, reason_rule = found or (OTHER, "no rule matched → other")
    if permanent is False and reason == EXPIRED:
        # Still queued, so not expired (Exchange marks its delay notices 4.4.7): the text
        # says what keeps failing, when it says.
        cause = reason_from_text(diagnostic)
        if cause and cause[0] != EXPIRED:
            reason, reason_rule = cause[0], f"{cause[1]} (delayed: no expiry)"

    if status:
        kind: Kind = "hard" if status.startswith("5") else "soft"
        kind_rule = f"status class {status[0]} → {kind}"
    elif smtp:
        kind = "hard" if smtp.startswith("5") else "soft"
        kind_rule = f"SMTP {smtp} → {kind}"
    elif permanent is not None:
        kind = "hard" if permanent else "soft"
        kind_rule = f"container: {'failed' if permanent else 'delayed'} → {kind}"
    elif reason in SOFT_BY_DEFAULT:
        kind, kind_rule = "soft", f"reason {reason} defaults to soft"
    elif SOFT_TEXT.search(diagnostic[:MAX_TEXT]):
        kind, kind_rule = "soft", "text says temporary → soft"
    else:
        kind, kind_rule = "hard", f"reason {reason} defaults to hard"
    if reason == EXPIRED and kind != "soft":
        # A final failure, but of a transient condition: the address may well be fine.
        kind, kind_rule = "soft", "expired is always soft"
    if reason == MAILBOX_FULL and kind != "soft":
        # RFC 3463: X.2.2 is "a persistent transient failure" — the owner can make room.
        kind, kind_rule = "soft", "mailbox_full is always soft (RFC 3463 X.2.2)"
    if permanent is False and kind != "soft":
        kind, kind_rule = "soft", "container: delayed → soft"
    return kind, reason, status, {"reason": reason_rule, "kind": kind_rule}


def classify(
    status: str | None, diagnostic: str, *, permanent: bool | None = None
) -> tuple[Kind, str, str | None]:
    """(kind, reason, status) for one recipient.

    `status` is the DSN Status field when there is one; a more specific code in the
    diagnostic wins over a generic x.0.0. `permanent` is what the container said (True: our
    own SMTP session's permanent refusal; False: DSN Action delayed or a transient notice;
    None when unknown).
    """
    kind, reason, status, _ = classify_explained(status, diagnostic, permanent=permanent)
    return kind, reason, status


# The decision per reason (docs/bounces.md, "Reasons and decisions"). SUPPRESS_HARD: a hard
# bounce for this reason suppresses the address at once. ABOUT_US: never suppress nor count,
# the refusal is about our IP, domain, authentication or message. Everything else counts
# toward the soft-bounce limit.
SUPPRESS_HARD = frozenset(
    {USER_UNKNOWN, HOST_UNKNOWN, MAILBOX_DISABLED, HAS_MOVED, NOT_ACCEPTING_MAIL}
)
NOT_THE_ADDRESS = ABOUT_US


def should_suppress(r: Recipient) -> bool:
    """The suppression hint for one recipient (docs/bounces.md has the table)."""
    if r.kind != "hard":
        return False
    if r.reason == OTHER:
        return bool(r.status and r.status.startswith("5.1."))
    return r.reason in SUPPRESS_HARD
