"""What a plain-text notice says about all its recipients at once, in several languages: a
localised reason restated in the English words classify() knows, and "gave up after days of
retries" (plaintext_formats reads both)."""

from __future__ import annotations

import re

from mailwright.feedback.parsing import notice_phrases_asia as asia
from mailwright.feedback.parsing import notice_phrases_intl as intl


def _any(*phrases: str) -> re.Pattern[str]:
    return re.compile("|".join(phrases), re.I)


# Localised reasons → the English words classify() knows (host, then full, then unknown).
LOCAL_REASONS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "domain not found",
        _any(
            r"ドメインが(?:存在しません|見つかりません)|域名不存在|домен не (?:существует|найден)",
            r"도메인이 존재하지|Domain existiert nicht|domaine (?:n'existe pas|inexistant)",
            r"dominio no existe|domena nie istnieje|alan adı bulunamadı",
        ),
    ),
    (
        "mailbox full",
        _any(
            r"容量(?:オーバー|超過|が不足)|メールボックスがいっぱい|邮箱(?:已满|空间不足)|信箱已满",
            r"ящик (?:получателя )?переполнен|превышен(?:а)? квот|용량(?:이)? 초과|메일함이 가득",
            r"Postfach (?:des Empfängers )?ist voll|boîte (?:aux lettres )?(?:est )?pleine",
            r"buzón (?:está )?lleno|skrzynka .{0,20}(?:jest )?pełna|posta kutusu dolu",
        ),
    ),
    (
        "user unknown",
        _any(
            r"宛先不明|存在しない(?:アドレス|ユーザ)|(?:アドレス|ユーザー?|アカウント)(?:が|は)存在しません",
            r"用户不存在|收件人不存在|地址不存在|无此用户|帐[户号]不存在|账[户号]不存在",
            r"не существует|нет такого (?:пользователя|ящика)|адресат не найден|несуществующ",
            r"존재하지 않는 (?:사용자|계정|주소)|없는 (?:사용자|계정|주소)",
            r"Empfänger(?:adresse)? (?:ist )?unbekannt|existiert nicht|unbekannte[rn]? Empfänger",
            r"Benutzer (?:ist )?unbekannt|unbekannte[rn]? Benutzer",  # Merak, MDaemon (de)
            r"utilisateur inconnu|destinataire inconnu|adresse (?:est )?inconnue|n'existe pas",
            r"usuario desconocido|destinatario desconocido|no existe",
            r"nie istnieje|nieznany (?:adresat|odbiorca|użytkownik)",
            r"kullanıcı (?:bulunamadı|mevcut değil)|alıcı bulunamadı|böyle bir kullanıcı yok",
        ),
    ),
)

# A notice that says, once for all its recipients, that it gave up after days of retries
# (each recipient's block then shows only the last error, e.g. "451 4.4.1 Connection timed
# out"): restated next to each recipient as "delivery time expired" for classify().
GAVE_UP = _any(
    r"could not be delivered for \d+ (?:days?|hours?)|cannot send message for \d+",
    # Not qmail-remote's "Giving up on 192.0.2.7." under every permanent refusal.
    r"giving up(?! on (?:\d{1,3}\.\d|[0-9a-f]{0,4}:))|gave up|retry time(?:out)? exceeded",
    r"delivery time expired|in the queue too long",
    r"в течение \d+ (?:дн|день|дня|час|сут)|попытки доставки прекращены",
    r"配送期限|\d+日間.{0,10}配送を試み",
    asia.GAVE_UP,
    asia.GAVE_UP_R3,
    intl.GAVE_UP,
)


_TEMPORARY = re.compile(
    r"This is a temporary error|will (?:continue to )?(?:re)?try|still trying|"
    r"has been delayed|Delivery Status Notification \(Delay\)|not yet been delivered|"
    r"THIS IS A WARNING MESSAGE ONLY|message still undelivered after|"  # sendmail queuewarn
    r"message is delayed for more than|only a temporary failure report|"  # OpenSMTPD
    rf"{intl.TEMPORARY}|{asia.TEMPORARY_R7}|"
    r"Zustellung verzögert|retardé|retrasad|opóźnion|gecikti|遅延|延迟|задерж|지연|"
    # Exchange Online's and Gmail's delay notices ("Delivery is delayed to these recipients or
    # groups", "This message hasn't been delivered yet", "There was a temporary problem").
    r"Delivery is delayed to|(?:hasn't|has not) been delivered yet|will keep trying to deliver|"
    r"temporary problem delivering|"
    r"\bDelay reason:|vertraagd|nog niet (?:\w{1,12} ){0,2}afgeleverd|"  # Exim warnings
    # Round 8: delay warnings in Spanish, German (Domino, Exchange), French, Italian.
    r"seguirá intentándo|no ha podido entregarse todavía|todavía no (?:ha sido|se ha) entregad|"
    r"noch nicht zugestellt|verzögert|Zustellung weiterhin|pas encore termin|"
    r"continuera à essayer|continuerà a tentare|non è stato ancora recapitat|ritardat",
    re.I,
)
_PERMANENT = re.compile(
    r"permanent (?:fatal )?error|failed permanently|given up|gave up|"
    # ... and in the languages whose delay words are above: a final notice that mentions the
    # earlier delay or the retries it made ("war verzögert … endgültig fehlgeschlagen", "мы
    # не будем продолжать попытки", "계속 시도했으나 … 실패") is no delay.
    # Past forms only: Domino's delay report says "Sollte die Zustellung endgültig fehlschlagen".
    r"endgültig (?:fehlgeschlagen|abgebrochen|gescheitert)|dauerhaft fehlgeschlagen|"
    r"не будем продолжать|попытки доставки прекращены|시도했으나|재시도하지 않|"
    r"(?:配送|配信)を(?:中止|断念)|停止投递|放弃投递",
    re.I,
)


def says_temporary(report: str) -> bool:
    """The notice says the failure is temporary (a delay), and nowhere that it is final."""
    return bool(_TEMPORARY.search(report)) and not _PERMANENT.search(report)
