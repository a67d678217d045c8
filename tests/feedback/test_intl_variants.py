"""Localised notices and the large Japanese, Chinese, Korean and Russian providers: notices in
undeclared legacy charsets, provider refusal codes, Exchange's localised NDRs, notices that
gave up after days of retries, and the Italian, Portuguese and Dutch wordings. Each message is
written here (the corpus holds the fuller v2_* fixtures)."""

from __future__ import annotations

from mailwright.feedback.parsing import parse_message

OURS = {"bounces.example.org"}

ORIGINAL = (
    "Return-Path: <bounce+4z01-0101a1b2c3d4@bounces.example.org>\n"
    "From: Example News <news@news.example.org>\n"
    "To: {to}\n"
    "Cc: colleague@example.net\n"
    "Subject: Monthly newsletter\n"
    "Message-ID: <999.a1b2c3d4@news.example.org>\n"
)


def notice(body: str, charset: str = "utf-8", subject: str = "Undelivered") -> bytes:
    head = (
        "Return-Path: <>\n"
        "From: Mail Delivery System <MAILER-DAEMON@mx.example.net>\n"
        "To: bounce+4z01-0101a1b2c3d4@bounces.example.org\n"
        f"Subject: {subject}\n"
        "MIME-Version: 1.0\n"
        f"Content-Type: text/plain; charset={charset}\n"
        "Content-Transfer-Encoding: 8bit\n\n"
    )
    return head.encode("ascii") + body.encode(charset)


def found(raw: bytes) -> list[tuple[str | None, str, str]]:
    p = parse_message(raw, bounce_domains=OURS)
    assert p.bounce, "not recognised as a bounce"
    return [(r.address, r.kind, r.reason) for r in p.recipients]


def test_body_only_notice_in_undeclared_gb2312_is_read():
    body = (
        "很抱歉，您的邮件未能成功发送。\n\n"
        "收件人地址：liu.yang@nodomain.example.cn\n"
        "失败原因：收件人域名不存在，无法找到该域名的邮件服务器。\n"
    )
    assert found(body.encode("gb2312")) == [
        ("liu.yang@nodomain.example.cn", "hard", "host_unknown")
    ]


def test_body_only_notice_in_undeclared_euc_kr_is_read():
    body = (
        "메일 발송 실패 안내\n\n"
        "받는 사람 : choi.yuna@example.co.kr\n"
        "실패 사유 : 받는 사람의 계정이 휴면 상태입니다.\n"
    )
    assert found(body.encode("euc_kr")) == [("choi.yuna@example.co.kr", "hard", "mailbox_disabled")]


def test_netease_spam_code_is_spam_although_its_text_mentions_viruses():
    body = (
        "Your message could not be delivered.\n\n"
        "<zhou.min@163.example.com>: host mx.163.example.com said: 554 DT:SPM 163 mx3: "
        "发送的邮件内容包含了未被许可的信息，或被系统识别为垃圾邮件。"
        "请检查是否有用户发送病毒或者垃圾邮件；\n"
    )
    raw = notice("This is the mail system at host relay.example.org.\n\n" + body)
    assert found(raw) == [("zhou.min@163.example.com", "hard", "spam_detected")]


def test_netease_rate_code_is_rate_limited():
    body = (
        "This is the mail system at host relay.example.org.\n\n"
        "<sun.li@126.example.com>: host mx.126.example.com said: 451 MI:DMC "
        "当前连接发送的邮件数量超出限制。请减少每次连接中投递的邮件数量\n"
    )
    assert found(notice(body)) == [("sun.li@126.example.com", "soft", "rate_limited")]


def test_german_exchange_ndr_names_the_recipient_before_am_date():
    body = (
        "Ihre Nachricht hat einige oder alle Empfänger nicht erreicht.\n\n"
        "Die folgenden Empfänger sind nicht erreichbar:\n\n"
        "    'felix.wagner@example.de' am 03.03.2025 10:00\n"
        "            Das Postfach ist voll.\n"
        "            <mx.example.de #5.2.2 smtp;552 5.2.2 Mailbox full>\n"
    )
    assert found(notice(body, "iso-8859-1")) == [
        ("felix.wagner@example.de", "soft", "mailbox_full")
    ]


def test_notice_that_gave_up_after_days_of_timeouts_is_expired():
    body = (
        "Сообщение не доставлено.\n\n"
        "Письмо не удалось доставить в течение 5 дней. Попытки доставки прекращены.\n\n"
        "Получатель: oleg.belov@example.ru\n"
        "Последняя ошибка: 451 4.4.1 Connection timed out\n"
    )
    assert found(notice(body, "koi8-r")) == [("oleg.belov@example.ru", "soft", "expired")]


def test_mailru_notice_account_disabled():
    body = (
        "К сожалению, Ваше письмо не может быть доставлено одному или нескольким получателям:\n\n"
        "nina.orlova@mail.example.ru\n"
        "Message was not accepted -- invalid mailbox.  Local mailbox "
        "nina.orlova@mail.example.ru is unavailable: account is disabled\n"
    )
    assert found(notice(body, "koi8-r")) == [
        ("nina.orlova@mail.example.ru", "hard", "mailbox_disabled")
    ]


def test_italian_notice_reports_the_recipient_not_the_cc_of_the_original():
    body = (
        "Il messaggio non è stato recapitato ai seguenti destinatari:\n\n"
        "  sara.gallo@example.it\n"
        "  Motivo: utente inesistente (550 5.1.1 User unknown)\n\n"
        "----- Messaggio originale -----\n" + ORIGINAL.format(to="sara.gallo@example.it")
    )
    assert found(notice(body, "iso-8859-1")) == [("sara.gallo@example.it", "hard", "user_unknown")]


def test_portuguese_notice_without_code_account_disabled():
    body = (
        "A sua mensagem não pôde ser entregue.\n\n"
        "Destinatário: rui.santos@example.pt\n"
        "Motivo: a conta do destinatário está desativada.\n"
    )
    assert found(notice(body)) == [("rui.santos@example.pt", "hard", "mailbox_disabled")]


def test_dutch_notices_full_and_unknown():
    full = "Uw bericht kon niet worden afgeleverd.\n\nOntvanger: sem.bakker@example.nl\n" + (
        "Reden: de mailbox van de ontvanger is vol.\n"
    )
    assert found(notice(full)) == [("sem.bakker@example.nl", "soft", "mailbox_full")]
    unknown = "Uw bericht kon niet worden afgeleverd.\n\nOntvanger: lotte.smit@example.nl\n" + (
        "Reden: onbekende gebruiker.\n"
    )
    assert found(notice(unknown)) == [("lotte.smit@example.nl", "hard", "user_unknown")]
    # The same words from a person (no mailer daemon, no address block, no original): no bounce.
    person = (
        b"From: Joris <joris@example.nl>\nTo: news@news.example.org\nSubject: Re: nieuwsbrief\n"
        b"MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n"
        b"Hallo, mijn pakket kon niet worden afgeleverd, kunt u helpen?\n"
    )
    assert not parse_message(person, bounce_domains=OURS).bounce


def test_au_kddi_notice():
    body = (
        "Your mail sent on: Mon, 03 Mar 2025 18:00:00 +0900\n\n"
        "   Could not be delivered to: <riku.kato@ezweb.example.ne.jp>\n"
        "   As their mailbox is full.\n"
    )
    raw = notice(body, "us-ascii", "Mail System Error - Returned Mail")
    assert found(raw) == [("riku.kato@ezweb.example.ne.jp", "soft", "mailbox_full")]


def test_korean_notice_size_and_recipient_named_with_nim():
    body = (
        "lim.haneul@example.co.kr 님에게 보낸 메일이 반송되었습니다.\n"
        "반송 사유: 메일의 크기가 수신 서버의 허용 용량을 초과하였습니다.\n"
    )
    assert found(notice(body, "euc-kr")) == [
        ("lim.haneul@example.co.kr", "hard", "message_too_large")
    ]
