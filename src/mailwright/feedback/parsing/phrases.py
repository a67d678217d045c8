"""Diagnostic-text evidence for classify(): the phrases MTAs use for each reason, in English
and the common phrasings of German, French, Spanish, Portuguese, Italian, Polish, Turkish,
Russian, Japanese, Chinese and Korean mail systems.

The rules are tried in order and the first that matches wins, so specific comes before
generic: a block-list name is `blocked` although "spamhaus" contains "spam", "domain does not
exist" is `host_unknown` before "does not exist" is `user_unknown`, a disabled account is
`mailbox_disabled` before "blocked" is `blocked`. Each phrase is a regular expression
(case-insensitive); --explain names the phrase and its language.
"""

from __future__ import annotations

import re

from mailwright.feedback.parsing import phrases_address as address
from mailwright.feedback.parsing import phrases_intl as intl
from mailwright.feedback.parsing import phrases_reasons as more
from mailwright.feedback.parsing.phrase_rule import TextRule, prepare, rule
from mailwright.feedback.parsing.phrases_gateways import (
    GATEWAY_RULES,
    NETEASE_BLOCKED,
    NETEASE_RATE,
    NETEASE_SPAM,
    RESTRICTION,
)
from mailwright.feedback.parsing.result import (
    BLOCKED,
    CONTENT_REJECTED,
    EXPIRED,
    MAIL_LOOP,
    MESSAGE_TOO_LARGE,
    NETWORK_ERROR,
    POLICY,
    RATE_LIMITED,
    SECURITY_ERROR,
    SPAM_DETECTED,
    SYSTEM_ERROR,
    VIRUS_DETECTED,
)

# Named block lists and reputation: about our IP or domain, whatever else the text says.
BLOCK_LIST = rule(
    BLOCKED,
    "block list",
    en=(
        r"spamhaus",
        r"spamcop",
        r"barracuda ?(reputation|central)|barracudacentral",  # not a barracuda host name
        r"\bsorbs\b",
        r"\bsurbl\b",
        r"\buribl\b",
        r"blocked using",
        r"black ?list(ed)?",
        r"block ?list(ed)?",
        r"deny ?list(ed)?",
        r"\bdnsbl\b",
        r"\brbl\b",
        r"(?<!not )listed (at|on|in|by) ",
        r"poor reputation",
        r"(ip|sender|domain) reputation",
        r"bad reputation",
        r"not accepted from (this|your|the sending) ip",
        r"(banned|blocked|blacklisted|denied) (sending |client |source )?ip",
        r"(your|sending|this|client) ip (address )?(is |has been )?(blocked|banned|not allowed)",
        # AOL: "(RLY:B1) … cannot accept further e-mail transactions from this server or domain"
        r"\(rly:b\d\)",
        r"(cannot|can't|will not|won't) accept .{0,40}from this (server|ip|host|network)",
        # Receivers' published refusals of our IP (round 2, "what the receivers say"):
        # Comcast "found on one or more RBLs", Gmail "very low reputation of the sending IP
        # address", Orange "Client host blocked for spamming issues", Spectrum "Mail refused
        # - <IP> - … AUP#", Yahoo "[TSS09] All messages from IP will be permanently
        # deferred", T-Online "… tosa@rx.t-online.de … (BL)".
        r"\brbls\b",
        r"low reputation",
        r"client host blocked",
        r"mail refused\W{1,5}<?\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}",
        r"\[tss09\]",
        r"will be permanently deferred",
        r"\(bl\)",
        # Comcast "554 … Comcast block for spam. Please see …smtp-error-codes.php#BL000010":
        # its BL codes are block-list refusals of our IP (its RL codes are rate limits).
        r"\bblock for spam\b",
        r"smtp-error-codes\.php#bl\d{6}",
    ),
    de=(r"auf einer (sperr|schwarzen )liste",),
    fr=(r"liste noire", r"adresse ip (source )?bloqu"),
    es=(r"lista negra",),
    pt=(r"lista negra",),
    it=(r"lista nera",),
    pl=(r"czarn(ej|a) li[sś]",),
    tr=(r"kara liste",),
    ru=(r"черн(ом|ый|ого) спис",),
    ja=(r"ブラックリスト",),
    zh=(r"黑名单", r"黑名單"),
    ko=(r"블랙리스트",),
)

# Throttling: too much from us too fast (or the recipient receives too fast).
RATE = rule(
    RATE_LIMITED,
    "rate",
    en=(
        r"rate[ -]?limit",
        r"too many (concurrent )?(connections|sessions)",
        r"too many (messages|mails|emails|recipients) (from|in|per|sent|this)",
        r"too many recipients",
        r"unusual rate",
        r"(sending|message|mail) rate",
        r"receiving mail at a rate",
        r"throttl",
        r"unexpected volume",
        r"exceeded .{0,30}(sending|message|connection|hourly|daily) (limit|quota|rate)",
        r"(connection|sending|message) limit (exceeded|reached)",
        r"temporarily (deferred|rate)",
        r"slow down",
        r"(daily|hourly|sending) limit",
        r"frequency limit",
    ),
    de=(r"zu viele (verbindungen|nachrichten|e-?mails)",),
    fr=(r"trop de (connexions|messages)",),
    es=(r"demasiad[oa]s (conexiones|mensajes|correos)",),
    pt=(r"muitas conex[õo]es", r"mensagens demais"),
    it=(r"troppe (connessioni|email|messaggi)", r"troppi messaggi"),
    pl=(r"zbyt wiele (połączeń|wiadomości)", r"zbyt dużo (połączeń|wiadomości)"),
    tr=(r"çok fazla (bağlantı|ileti|e-?posta)",),
    ru=(r"слишком много (соединений|подключений|писем|сообщений)",),
    ja=(r"送信(数|量).{0,10}(制限|超過)", r"接続数.{0,10}(制限|超過|多すぎ)"),
    zh=(r"发送频率", r"频率过高", r"发信过于频繁", r"发送(过快|太快)"),
    ko=(r"발송량.{0,10}(제한|초과)", r"너무 많은 (연결|메일)"),
    nl=(r"te veel (verbindingen|berichten|e-?mails)",),
)

VIRUS = rule(
    VIRUS_DETECTED,
    "virus",
    en=(r"virus", r"malware", r"infected", r"trojan", r"\bworm\b", r"eicar"),
    tr=(r"virüs",),
    pl=(r"wirus",),
    ru=(r"вирус",),
    ja=(r"ウイルス", r"ウィルス"),
    zh=(r"病毒",),
    ko=(r"바이러스", r"악성 ?코드"),
)

# The address owner's own filter refused our sender: the Japanese carriers' receive settings
# (docomo's 受信拒否設定/指定受信, au's and SoftBank's 迷惑メールフィルター設定), a Korean
# 수신 거부 목록. The address works and its owner can allow us: policy (never suppressed),
# before "spam" (迷惑メール…設定 is the filter's name, not a verdict on our content).
OWNER_FILTER = rule(
    POLICY,
    "owner's filter",
    en=(
        r"(receive|receiving|reception|recipient'?s?|user'?s?) (mail )?(refusal |filter(ing)? )?"
        r"(settings?|restrictions?)",
        r"rejected by (the )?(user|recipient)'?s? .{0,30}(settings?|filter)",
        r"recipient has chosen not to receive",
        r"mail refusal setting",
    ),
    ja=(
        r"受信拒否(設定|リスト)",
        r"受信(許可|制限|指定)?設定",
        r"指定受信",
        r"迷惑メール(フィルター?|対策)設定",
    ),
    ko=(r"수신 ?(거부|차단) ?(목록|설정|리스트)",),
    zh=(r"拒收设置", r"设置了拒收"),
)

# Authentication of our mail: SPF, DKIM, DMARC, reverse DNS, TLS required.
AUTHENTICATION = rule(
    SECURITY_ERROR,
    "authentication",
    en=(
        r"\bdmarc\b",
        r"\bspf\b",
        r"\bdkim\b",
        r"unauthenticated",
        r"not authenticated",
        r"authentication (failed|failure|required|is required)",
        r"failed authentication",
        r"reverse (dns|lookup)",
        r"\bptr\b",
        r"\brdns\b",
        r"(tls|encryption|starttls) (is )?required",
        r"must (use|issue a) starttls",
        r"sender (domain|address) (is not|not) (verified|authenticated)",
        r"forged",
        r"spoof",
        r"authentication (level|requirements)",  # Outlook.com 5.7.515
    ),
    de=(r"authentifizierung fehlgeschlagen", r"nicht authentifiziert"),
    fr=(r"authentification (a )?échou", r"non authentifié"),
    es=(r"autenticación fallida", r"no autenticado"),
    ru=(r"не прош(ло|ел|ёл) (проверку|аутентификацию)",),
    # CJK text runs the word on ("SPF検証エラー", "SPF校验"): no \b after the acronym.
    ja=(r"送信ドメイン認証", r"(spf|dkim|dmarc)(検証|認証|チェック|レコード|署名)"),
    zh=(r"(spf|dkim|dmarc)(校验|验证|檢查|检查|签名|驗證)",),
    ko=(r"(spf|dkim|dmarc) ?(인증|검증)",),
)

SPAM = rule(
    SPAM_DETECTED,
    "spam",
    en=(
        r"\bspam",
        r"dt:spm",
        r"unsolicited",
        r"junk ?mail",
        r"bulk ?mail",
        r"phish",
        r"suspicious (content|message|link|url)",
        r"content filter.{0,40}(score|rejected)",
        r"message (looks|seems) (like|suspicious)",
    ),
    de=(r"unerwünscht",),
    fr=(r"indésirable", r"pourriel"),
    es=(r"correo no deseado", r"no solicitad[oa]", r"correo basura"),
    pt=(r"não solicitad[oa]", r"lixo eletr[ôo]nico", r"indesejad[oa]"),
    it=(r"indesiderat[oa]",),
    pl=(r"niechcian",),
    tr=(r"istenmeyen",),
    ru=(r"спам", r"нежелательн"),
    ja=(r"迷惑メール", r"スパム"),
    zh=(r"垃圾邮件", r"垃圾郵件"),
    ko=(r"스팸",),
    nl=(r"ongewenst", r"als spam"),
)

CONTENT = rule(
    CONTENT_REJECTED,
    "content",
    en=(
        r"message content rejected",
        r"content (was )?(rejected|denied)",
        r"attachment.{0,40}(not allowed|rejected|prohibited|blocked|forbidden|refused)",
        r"(prohibited|forbidden|banned|blocked|dangerous) (attachment|file|content)",
        r"file (type|extension|name).{0,40}(not allowed|prohibited|forbidden|blocked)",
        r"\bexecutable\b",
        r"message contains .{0,40}(prohibited|forbidden|not allowed)",
        r"(unacceptable|objectionable|inappropriate) content",
        r"content restriction",
        r"\bbanned:? (contents?|names?|files?|attachments?|p=)",  # amavisd-new BANNED
    ),
    de=(r"anhang .{0,40}(nicht erlaubt|abgelehnt)",),
    fr=(r"pièce jointe .{0,40}(interdite|refusée|non autorisée)",),
)

SIZE = rule(
    MESSAGE_TOO_LARGE,
    "size",
    en=(
        r"message size exceeds",
        r"exceeds (the )?(maximum|max|fixed maximum) (allowed )?(message )?size",
        r"message (is )?too (large|big)",
        r"(?<!mailbox )size limit",
        r"message length exceeds",
        r"too large",
        r"message size .{0,30}(limit|maximum)",
    ),
    de=(r"(nachricht|e-?mail) (ist )?zu groß", r"maximale nachrichtengröße"),
    fr=(r"(message|e-?mail) (est )?trop (volumineux|gros)", r"taille .{0,30}dépasse"),
    es=(r"(mensaje|correo) (es )?demasiado grande", r"tamaño .{0,30}excede"),
    pt=(r"mensagem (é )?(muito grande|grande demais)", r"tamanho .{0,30}excede"),
    it=(r"messaggio (è )?troppo grande", r"dimensione .{0,30}supera"),
    ru=(
        r"слишком (большое|велико|большой)",
        r"превышает (максимальный )?размер",
        r"размер .{0,30}превышает",
    ),
    ja=(r"(サイズ|容量).{0,10}(上限|制限).{0,10}(超え|超過)", r"メールが大きすぎ"),
    zh=(r"邮件(过大|太大|大小超过)",),
    ko=(r"(메일|메시지)(의)? (크기|용량).{0,30}(초과|제한)",),
    # "İleti".lower() is "i̇leti" (i + combining dot above).
    tr=(r"(i̇?leti|mesaj|e-?posta)(nin)? boyutu.{0,40}(aş|büyük|sınır)",),
    pl=(r"(wiadomość|wiadomości) .{0,20}(jest )?za duż", r"rozmiar .{0,30}przekracza"),
    nl=(r"(bericht|e-?mail) (is )?te groot", r"grootte .{0,30}(overschrijdt|limiet)"),
)

EXPIRY = rule(
    EXPIRED,
    "expired",
    en=(
        r"delivery time expired",
        r"retry time(out)? (exceeded|not reached)",
        r"message expired",
        r"in the queue too long",
        r"could not be delivered within",
        r"maximum time in queue",
        r"expired after",
        r"timeout exceeded",
        r"gave up (on|after)",
        r"deferred for too long",
        r"could not be delivered for \d{1,3} (days?|hours?)",  # sendmail queuereturn
        r"cannot send message for \d{1,3} (days?|hours?)",
        r"have been failing for a long time",  # Exim retry rules ran out
        r"not going to try again",  # qmail queuelifetime
        # Not qmail-remote's "Giving up on 192.0.2.7." under every permanent refusal.
        r"giving up(?! on (?:\d{1,3}\.\d|[0-9a-f]{0,4}:))",
        r"not reachable within the allowed queue period",  # Openwave/Critical Path InterMail
        r"(?:was )?not delivered within \d{1,3} (days?|hours?)",
    ),
    de=(r"zustellung .{0,40}aufgegeben",),
    fr=(r"délai .{0,30}(expiré|dépassé)",),
    ru=(r"в течение \d+ (дн|день|дня|час|сут)", r"попытки доставки прекращены"),
    ja=(
        r"配送期限",
        r"\d+日間.{0,10}配送を試み",
        r"\d{1,3} ?(時間|日)以内に(配送|配信)できな",  # OCN: "72時間以内に配送できなかった"
        r"(配送|配信)を(中止|断念)しました",
    ),
    zh=(
        r"投递超时",
        r"重试.{0,10}(超时|失败).{0,10}退回",
        r"(滞留|重试|尝试).{0,20}超过 ?\d{1,3} ?(天|小时)",
        r"停止投递",
    ),
)

# Our envelope sender refused ("Sender address rejected: Domain not found"): about us, and
# before the address rules, which would read "domain not found" as the recipient's.
SENDER = rule(
    POLICY,
    "sender",
    en=(
        r"sender (address |domain )?(rejected|refused|denied|invalid|unknown|not found)",
        r"sender (address|domain) .{0,40}(does not exist|not found|unknown|invalid)",
        r"(unknown|invalid|unverified) sender",
        r"sender verify failed",
        # GMX/web.de/1&1 (mx.emig) at MAIL FROM: "550-Requested action not taken: mailbox
        # unavailable 550 invalid DNS MX or A/AAAA resource record" — our sender's domain.
        r"invalid dns mx or a/aaaa",
    ),
)

LOOP = rule(
    MAIL_LOOP,
    "loop",
    en=(
        r"mail (forwarding )?loop",
        r"loop(s)? (detected|back to myself)",
        r"routing loop",
        r"too many hops",
        r"hop count exceeded",
        r'too many "?(received|delivered-to)',
    ),
)

POLICY_WORDS = rule(
    POLICY,
    "policy",
    en=(
        r"policy",
        r"access denied",
        r"not (authorized|authorised|permitted)",
        r"relay(ing)? (denied|not permitted|prohibited|not allowed)",
        r"unable to relay",
        r"rcpthosts",
        r"administrative prohibition",
        r"sender (address )?(rejected|refused|denied)",
        r"restricted",
        r"greylist",
        r"policies",  # Mimecast "554 Email rejected due to security policies"
    ),
    de=(r"richtlinie",),
    fr=(r"politique",),
    es=(r"política",),
    pt=(r"política",),
    it=(r"policy aziendale", r"politica"),
    nl=(r"beleid",),
)

# Generic refusals: after the address reasons, so "account blocked" is disabled.
BLOCKED_WORDS = rule(
    BLOCKED,
    "blocked",
    en=(r"\bblocked\b", r"\bbanned\b", r"rejected due to (the )?(sender|ip)"),
    de=(r"blockiert", r"gesperrt"),
    fr=(r"bloqué",),
    es=(r"bloquead[oa]",),
    pt=(r"bloquead[oa]",),
    it=(r"bloccat[oa]",),
    pl=(r"zablokowan",),
    tr=(r"engellen",),
    ru=(r"заблокирован",),
    ja=(r"ブロック",),
    zh=(r"拦截", r"被阻止", r"屏蔽"),
    ko=(r"차단",),
    nl=(r"geblokkeerd",),
)

SYSTEM = rule(
    SYSTEM_ERROR,
    "system",
    en=(
        r"internal (server )?error",
        r"system error",
        r"local error in processing",
        r"temporary (local )?problem(?! delivering)",  # not Gmail's delay sentence
        r"insufficient system (storage|resources)",
        r"configuration error",
        r"misconfigur",
        r"service (is )?(temporarily )?(not available|unavailable)",
        r"server (is )?(too )?busy",
    ),
)

NETWORK = rule(
    NETWORK_ERROR,
    "network",
    en=(
        r"connection (timed out|refused|reset|lost|closed|dropped)",
        r"no route to host",
        r"network (is )?unreachable",
        r"host (is )?unreachable",
        r"(could not|couldn't|unable to|cannot|can't) connect",
        r"lost connection",
        r"(tls|ssl) (handshake|negotiation)",
        r"timed out",
        r"temporary failure in name resolution",
        r"dns (lookup )?(failure|error|timeout)",
        # Exchange / Office 365: "Failed to connect. Winsock error code: 10060",
        # "Error encountered while communicating with primary target IP address".
        r"failed to connect",
        r"error encountered while communicating with (the )?primary target",
    ),
)

# An open-relay refusal is policy even when it asks for (SMTP) authentication: "Relaying
# denied. Proper authentication required." (sendmail) is not an SPF/DKIM failure.
RELAY = rule(
    POLICY,
    "relay",
    en=(r"relay(ing)? (access )?(denied|not permitted|prohibited|not allowed)", r"unable to relay"),
)

# In order: the first rule that matches wins.
TEXT_RULES: list[TextRule] = [
    *GATEWAY_RULES,
    NETEASE_SPAM,
    NETEASE_BLOCKED,
    NETEASE_RATE,
    RATE,
    intl.RATE,
    BLOCK_LIST,
    *more.AFTER_BLOCK_LIST,
    VIRUS,
    RELAY,
    RESTRICTION,
    OWNER_FILTER,
    AUTHENTICATION,
    SPAM,
    intl.SPAM,
    CONTENT,
    *more.AFTER_CONTENT,
    address.FULL,
    SIZE,
    *more.AFTER_SIZE,
    EXPIRY,
    intl.EXPIRY,
    LOOP,
    SENDER,
    *intl.ADDRESS,
    address.NULL_MX,
    address.HOST,
    address.DISABLED,
    address.USER,
    address.MOVED,
    POLICY_WORDS,
    BLOCKED_WORDS,
    SYSTEM,
    *more.AFTER_SYSTEM,
    NETWORK,
]

# Text that says "temporary" without a code (the kind, when nothing stronger says).
SOFT_TEXT = re.compile(
    # "Check the address and try again" is advice after a permanent failure, not a retry.
    r"(?<!and )try again|and try again (?:later|in )|"
    r"temporar|delayed|will (be )?retr|still trying|greylist|deferred|"
    r"vorübergehend|temporaire|temporal|temporári|temporane|tymczasow|geçici|временн|"
    r"一時的|暂时|暫時|일시적",
    re.I,
)


def reason_from_text(text: str, allowed: frozenset[str] | None = None) -> tuple[str, str] | None:
    """(reason, rule) from the first rule whose phrase is in `text`; only rules for the
    `allowed` reasons when given."""
    text = prepare(text)
    if not text:
        return None
    for text_rule in TEXT_RULES:
        if allowed is not None and text_rule.reason not in allowed:
            continue
        found = text_rule.match(text)
        if found:
            phrase, lang = found
            return text_rule.reason, f"text /{phrase}/ ({lang})"
    return None
