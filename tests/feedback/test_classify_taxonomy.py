"""The reason taxonomy: enhanced status codes, SMTP codes and diagnostic text in twelve
languages → (kind, reason), and the decision each reason leads to. The texts are written for
this table from the RFCs (3463, 4954, 5248, 7293, 7372, 7505) and the wording mail systems
commonly use; each row is what a sender would see in a bounce."""

from __future__ import annotations

import pytest

from mailwright.feedback.bounces import COUNT, IGNORE, SUPPRESS, BounceFact, decide
from mailwright.feedback.parsing.classify import classify, classify_explained
from mailwright.feedback.parsing.result import REASONS

CASES = [
    # --- enhanced status codes (RFC 3463 subject.detail and later registrations) ---
    (
        "5.1.1",
        "550 5.1.1 <ana@example.com>: Recipient address rejected: User unknown",
        "hard",
        "user_unknown",
    ),
    ("5.1.3", "553 5.1.3 Bad recipient address syntax", "hard", "user_unknown"),
    ("5.1.2", "", "hard", "host_unknown"),
    ("5.4.4", "", "hard", "host_unknown"),
    ("5.1.6", "", "hard", "has_moved"),
    ("5.1.10", "556 5.1.10 Recipient address has null MX", "hard", "not_accepting_mail"),
    (
        None,
        "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup",
        "hard",
        "user_unknown",
    ),
    ("5.2.1", "", "hard", "mailbox_disabled"),
    (
        "5.1.1",
        "550 5.1.1 The email account that you tried to reach is disabled.",
        "hard",
        "mailbox_disabled",
    ),
    ("5.7.13", "", "hard", "mailbox_disabled"),
    ("4.2.2", "", "soft", "mailbox_full"),
    ("5.2.2", "552 5.2.2 Mailbox full", "soft", "mailbox_full"),
    ("5.2.3", "", "hard", "message_too_large"),
    (
        "5.3.4",
        "552 5.3.4 Message size exceeds fixed maximum message size",
        "hard",
        "message_too_large",
    ),
    ("4.3.1", "452 4.3.1 Insufficient system storage", "soft", "system_error"),
    ("4.3.2", "", "soft", "system_error"),
    (
        "4.4.1",
        "connect to mx.example.net[203.0.113.9]:25: Connection timed out",
        "soft",
        "network_error",
    ),
    (
        "4.4.2",
        "lost connection with mx.example.net while receiving the initial server greeting",
        "soft",
        "network_error",
    ),
    ("5.4.6", "554 5.4.6 Too many hops", "hard", "mail_loop"),
    ("4.4.7", "", "soft", "expired"),
    ("5.4.7", "delivery time expired", "soft", "expired"),
    ("5.6.1", "", "hard", "content_rejected"),
    ("5.5.3", "452 5.5.3 Too many recipients", "hard", "rate_limited"),
    ("5.7.1", "554 5.7.1 Message rejected for policy reasons", "hard", "policy"),
    ("5.7.1", "550 5.7.1 Unable to relay", "hard", "policy"),
    (
        "5.7.1",
        "550 5.7.1 Service unavailable, Client host [203.0.113.5] blocked using Spamhaus",
        "hard",
        "blocked",
    ),
    (
        "5.7.1",
        "550 5.7.1 Our system has detected that this message is likely unsolicited mail",
        "hard",
        "spam_detected",
    ),
    (
        "5.7.1",
        "554 5.7.1 Message rejected: virus found (Eicar-Test-Signature)",
        "hard",
        "virus_detected",
    ),
    (
        "5.7.0",
        "554 5.7.0 Message content rejected: attachment type not allowed",
        "hard",
        "content_rejected",
    ),
    ("5.7.7", "", "hard", "security_error"),
    (
        "5.7.26",
        "550 5.7.26 This mail has been blocked because the sender is unauthenticated.",
        "hard",
        "security_error",
    ),
    ("5.7.23", "550 5.7.23 SPF validation failed", "hard", "security_error"),
    (
        "5.7.25",
        "550 5.7.25 The IP address sending this message does not have a PTR record",
        "hard",
        "security_error",
    ),
    (
        "5.7.1",
        "550 5.7.1 Email rejected per DMARC policy for example.org",
        "hard",
        "security_error",
    ),
    ("5.0.0", "", "hard", "other"),
    # --- throttling ---
    (None, "421 4.7.0 Try again later, closing connection.", "soft", "rate_limited"),
    (
        None,
        "421 4.7.28 Unusual rate of unsolicited mail originating from your IP address",
        "soft",
        "rate_limited",
    ),
    (
        None,
        "450 4.2.1 The user you are trying to contact is receiving mail at a rate that "
        "prevents additional messages from being delivered",
        "soft",
        "rate_limited",
    ),
    (None, "421 Too many connections from your IP address", "soft", "rate_limited"),
    ("4.7.1", "451 4.7.1 Greylisting in action, please come back later", "soft", "policy"),
    (
        None,
        "Messages from 203.0.113.5 temporarily deferred due to unexpected volume or user "
        "complaints",
        "soft",
        "rate_limited",
    ),
    # --- Exchange Online directory-based edge blocking: the recipient does not exist ---
    (
        None,
        "550 5.4.1 Recipient address rejected: Access denied. AS(201806281)",
        "hard",
        "user_unknown",
    ),
    # --- vendor wordings where the words beat or refine the code ---
    ("5.7.9", "554 5.7.9 Message not accepted for policy reasons", "hard", "policy"),
    ("5.7.1", "550 5.7.1 No such user!", "hard", "user_unknown"),
    (
        "5.7.1",
        "554 5.7.1 <ana@example.com>: Recipient address rejected: Access denied",
        "hard",
        "policy",
    ),
    ("5.4.1", "550 5.4.1 Relay Access Denied", "hard", "policy"),
    (
        None,
        "421 4.7.650 The mail server has been temporarily rate limited due to IP reputation",
        "soft",
        "rate_limited",
    ),
    (None, "550 Ip frequency limited", "hard", "rate_limited"),
    (None, "554 DT:SPM 163 smtp14, please see the help page", "hard", "spam_detected"),
    (None, "550 Mail content denied", "hard", "content_rejected"),
    (
        None,
        "550 5.1.90 You've reached your daily limit for message recipients",
        "hard",
        "rate_limited",
    ),
    (None, "Sorry, no mailbox here by that name. (#5.1.1)", "hard", "user_unknown"),
    (
        None,
        "Sorry, I couldn't find any host named example.invalid. (#5.1.2)",
        "hard",
        "host_unknown",
    ),
    (None, "554 5.4.14 Hop count exceeded - possible mail loop", "hard", "mail_loop"),
    (None, "550 5.1.1 수신자가 휴면 계정입니다", "hard", "mailbox_disabled"),
    (None, "450 <bounce@example.org>: Sender address rejected: Domain not found", "soft", "policy"),
    (None, "553 sorry, your envelope sender domain must exist (#5.7.1)", "hard", "policy"),
    (None, "550 This account has been closed", "hard", "mailbox_disabled"),
    (
        None,
        "user not found. Possible causes: misspelled, or the user has moved",
        "hard",
        "user_unknown",
    ),
    (
        "5.7.708",
        "550 5.7.708 Service unavailable. Access denied, traffic not accepted from this IP.",
        "hard",
        "blocked",
    ),
    (None, "550 5.7.606 Access denied, banned sending IP [203.0.113.5]", "hard", "blocked"),
    (
        None,
        "553 sorry, that domain isn't in my list of allowed rcpthosts (#5.7.1)",
        "hard",
        "policy",
    ),
    (None, "550 5.7.1 Message rejected due to content restrictions", "hard", "content_rejected"),
    (None, "552 Размер сообщения превышает допустимый", "hard", "message_too_large"),
    # --- text only, English ---
    (None, "550 No such user here", "hard", "user_unknown"),
    (None, "user is over quota", "soft", "mailbox_full"),
    (None, "This account has been suspended", "hard", "mailbox_disabled"),
    (None, "Host or domain name not found", "hard", "host_unknown"),
    (None, "The domain example.org does not accept mail (null MX)", "hard", "not_accepting_mail"),
    (None, "551 User not local; please try <ana@example.org>", "hard", "has_moved"),
    (None, "Your IP is listed on a blocklist", "hard", "blocked"),
    (None, "Message looks like spam", "hard", "spam_detected"),
    (None, "Mail loop detected", "soft", "mail_loop"),
    (None, "Connection refused by mx.example.net", "soft", "network_error"),
    (None, "Local error in processing", "soft", "system_error"),
    (None, "Retry timeout exceeded", "soft", "expired"),
    (None, "something odd happened", "hard", "other"),
    # --- German ---
    (None, "Benutzer unbekannt", "hard", "user_unknown"),
    (None, "Das Postfach des Empfängers ist voll", "soft", "mailbox_full"),
    (None, "Das Konto des Empfängers wurde deaktiviert", "hard", "mailbox_disabled"),
    (None, "Die Domain example.invalid existiert nicht", "hard", "host_unknown"),
    (None, "Die Nachricht wurde als Spam eingestuft", "hard", "spam_detected"),
    (None, "Ihre IP-Adresse wurde blockiert", "hard", "blocked"),
    # --- French ---
    (None, "L'adresse du destinataire est inconnue", "hard", "user_unknown"),
    (None, "La boîte aux lettres du destinataire est pleine", "soft", "mailbox_full"),
    (None, "Le compte du destinataire est désactivé", "hard", "mailbox_disabled"),
    (None, "Le domaine example.invalid n’existe pas", "hard", "host_unknown"),
    (None, "Message considéré comme indésirable", "hard", "spam_detected"),
    (None, "Votre adresse IP est bloquée", "hard", "blocked"),
    # --- Spanish ---
    (None, "El usuario no existe", "hard", "user_unknown"),
    (None, "El buzón del destinatario está lleno", "soft", "mailbox_full"),
    (None, "La cuenta de correo está desactivada", "hard", "mailbox_disabled"),
    (None, "El dominio no existe", "hard", "host_unknown"),
    (None, "Mensaje rechazado por ser correo no deseado", "hard", "spam_detected"),
    (None, "Su dirección IP ha sido bloqueada", "hard", "blocked"),
    # --- Portuguese ---
    (None, "Usuário desconhecido", "hard", "user_unknown"),
    (None, "A caixa postal do destinatário está cheia", "soft", "mailbox_full"),
    (None, "A conta do destinatário está desativada", "hard", "mailbox_disabled"),
    (None, "O domínio não existe", "hard", "host_unknown"),
    (None, "Mensagem identificada como lixo eletrônico", "hard", "spam_detected"),
    (None, "Seu endereço IP foi bloqueado", "hard", "blocked"),
    # --- Italian ---
    (None, "Utente sconosciuto", "hard", "user_unknown"),
    (None, "La casella del destinatario è piena", "soft", "mailbox_full"),
    (None, "L'account del destinatario è stato disattivato", "hard", "mailbox_disabled"),
    (None, "Il dominio non esiste", "hard", "host_unknown"),
    (None, "Messaggio classificato come posta indesiderata", "hard", "spam_detected"),
    (None, "Il tuo indirizzo IP è stato bloccato", "hard", "blocked"),
    # --- Polish ---
    (None, "Użytkownik nie istnieje", "hard", "user_unknown"),
    (None, "Skrzynka odbiorcy jest pełna", "soft", "mailbox_full"),
    (None, "Konto odbiorcy zostało zablokowane", "hard", "mailbox_disabled"),
    (None, "Domena nie istnieje", "hard", "host_unknown"),
    (None, "Wiadomość uznana za niechcianą", "hard", "spam_detected"),
    (None, "Twój adres IP został zablokowany", "hard", "blocked"),
    # --- Turkish ---
    (None, "Kullanıcı bulunamadı", "hard", "user_unknown"),
    (None, "Alıcının posta kutusu dolu", "soft", "mailbox_full"),
    (None, "Alıcının hesabı askıya alındı", "hard", "mailbox_disabled"),
    (None, "Alan adı bulunamadı", "hard", "host_unknown"),
    (None, "İleti istenmeyen e-posta olarak işaretlendi", "hard", "spam_detected"),
    (None, "IP adresiniz engellendi", "hard", "blocked"),
    # --- Russian ---
    (None, "Пользователь не найден", "hard", "user_unknown"),
    (None, "Почтовый ящик получателя переполнен", "soft", "mailbox_full"),
    (None, "Учетная запись получателя заблокирована", "hard", "mailbox_disabled"),
    (None, "Домен не существует", "hard", "host_unknown"),
    (None, "Сообщение похоже на спам", "hard", "spam_detected"),
    (None, "Ваш IP-адрес заблокирован", "hard", "blocked"),
    # --- Japanese ---
    (None, "宛先のメールアドレスは存在しません", "hard", "user_unknown"),
    (None, "メールボックスがいっぱいです", "soft", "mailbox_full"),
    (None, "このアカウントは無効です", "hard", "mailbox_disabled"),
    (None, "ドメインが存在しません", "hard", "host_unknown"),
    (None, "迷惑メールと判定されました", "hard", "spam_detected"),
    (None, "送信元IPアドレスがブロックされています", "hard", "blocked"),
    # --- Chinese ---
    (None, "收件人用户不存在", "hard", "user_unknown"),
    (None, "收件人邮箱已满", "soft", "mailbox_full"),
    (None, "该账户已停用", "hard", "mailbox_disabled"),
    (None, "域名不存在", "hard", "host_unknown"),
    (None, "邮件被识别为垃圾邮件", "hard", "spam_detected"),
    (None, "您的IP已被拦截", "hard", "blocked"),
    # --- Korean ---
    (None, "수신자 주소를 찾을 수 없습니다", "hard", "user_unknown"),
    (None, "받는 사람의 메일함이 가득 찼습니다", "soft", "mailbox_full"),
    (None, "해당 계정은 휴면 상태입니다", "hard", "mailbox_disabled"),
    (None, "도메인이 존재하지 않습니다", "hard", "host_unknown"),
    (None, "스팸으로 분류되었습니다", "hard", "spam_detected"),
    (None, "발신 IP가 차단되었습니다", "hard", "blocked"),
]


@pytest.mark.parametrize(("status", "text", "kind", "reason"), CASES)
def test_classify_taxonomy(status, text, kind, reason):
    assert classify(status, text)[:2] == (kind, reason)


def test_every_failure_reason_is_covered():
    failures = set(REASONS) - {"delivered", "delayed", "vacation"}
    assert failures <= {c[3] for c in CASES}


@pytest.mark.parametrize(
    ("status", "text", "permanent", "kind"),
    [
        (None, "mailbox is full", None, "soft"),  # the reason's default
        (None, "mailbox is full", True, "soft"),  # always soft (RFC 3463 X.2.2)
        (None, "User unknown", False, "soft"),  # a DSN Action: delayed
        ("4.1.1", "User unknown", None, "soft"),  # the class beats the text
        (None, "452 mailbox full", None, "soft"),  # the SMTP code
        (None, "User unknown", None, "hard"),  # the reason's default
        (None, "Host or domain name not found, try again", None, "soft"),  # says temporary
        (None, "Le serveur est temporairement indisponible", None, "soft"),
    ],
)
def test_kind_evidence_order(status, text, permanent, kind):
    assert classify(status, text, permanent=permanent)[0] == kind


def test_explained_names_the_rule_and_classify_keeps_its_shape():
    assert classify_explained("5.1.1", "") == (
        "hard",
        "user_unknown",
        "5.1.1",
        {"reason": "status 5.1.1 → user_unknown", "kind": "status class 5 → hard"},
    )
    kind, reason, status, why = classify_explained(None, "Das Postfach ist voll")
    assert (kind, reason, status) == ("soft", "mailbox_full", None)
    assert why["reason"].startswith("text /") and why["reason"].endswith("(de)")
    assert why["kind"] == "reason mailbox_full defaults to soft"
    assert len(classify(None, "x")) == 3


DECISIONS = {
    "user_unknown": SUPPRESS,
    "mailbox_disabled": SUPPRESS,
    "host_unknown": SUPPRESS,
    "not_accepting_mail": SUPPRESS,
    "has_moved": SUPPRESS,
    "mailbox_full": COUNT,
    "network_error": COUNT,
    "expired": COUNT,
    "system_error": COUNT,
    "mail_loop": COUNT,
    "other": COUNT,
    "blocked": IGNORE,
    "policy": IGNORE,
    "spam_detected": IGNORE,
    "virus_detected": IGNORE,
    "content_rejected": IGNORE,
    "security_error": IGNORE,
    "rate_limited": IGNORE,
    "message_too_large": IGNORE,
}


@pytest.mark.parametrize(("reason", "decision"), sorted(DECISIONS.items()))
def test_decision_per_reason(reason, decision):
    hard = BounceFact(None, "hard", reason, "5.0.0", "", "dsn", "a@example.com")
    soft = BounceFact(None, "soft", reason, "4.0.0", "", "dsn", "a@example.com")
    delayed = BounceFact(None, "delayed", reason, "4.0.0", "", "dsn", "a@example.com")
    assert decide(hard) == decision
    assert decide(soft) == (IGNORE if decision == IGNORE else COUNT)
    assert decide(delayed) == IGNORE


def test_other_with_a_bad_address_code_suppresses():
    assert decide(BounceFact(None, "hard", "other", "5.1.0", "", "dsn")) == SUPPRESS
    assert decide(BounceFact(None, "hard", "other", "5.0.0", "", "dsn")) == COUNT


def test_every_failure_reason_has_a_decision():
    assert set(DECISIONS) == set(REASONS) - {"delivered", "delayed", "vacation"}
