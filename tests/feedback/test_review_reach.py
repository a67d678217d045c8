"""Review of the round 1-4 parser rules (issue 13): words a rule took for a dead address that
say something else in a plausible notice. Each message here would have suppressed a good
subscriber (or reported a help address as the failed recipient) before the fix."""

from mailwright.feedback.parsing import parse_message
from mailwright.feedback.parsing.classify import should_suppress

OURS = {"bounces.example.org"}

_HEAD = """Return-Path: <>
From: Mail Delivery System <MAILER-DAEMON@mx.{domain}>
To: bounce+7g01-7g01e5f6a7b8@bounces.example.org
Subject: {subject}
Date: Mon, 03 Mar 2025 09:00:04 +0000
Message-ID: <notice.7g01@mx.{domain}>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

"""

_ORIGINAL = """
------ Original message follows ------

Return-Path: <bounce+7g01-7g01e5f6a7b8@bounces.example.org>
From: Example News <news@news.example.org>
To: {rcpt}
Subject: Monthly newsletter
Date: Mon, 03 Mar 2025 09:00:00 +0000
Message-ID: <127021.e5f6a7b8@news.example.org>

Hello
"""


def _notice(domain: str, subject: str, text: str, rcpt: str) -> bytes:
    head = _HEAD.format(domain=domain, subject=subject)
    return (head + text + _ORIGINAL.format(rcpt=rcpt)).encode("utf-8")


def _only(raw: bytes):
    parsed = parse_message(raw, bounce_domains=OURS)
    assert parsed.bounce
    assert len(parsed.recipients) == 1, parsed.recipients
    return parsed.recipients[0]


def test_swedish_there_is_not_enough_space_is_no_dead_address():
    # "Det finns inte tillräckligt med utrymme i mottagarens postlåda": "there is not enough
    # space in the recipient's mailbox" — "finns inte" here is "there is no", not "does not
    # exist".
    raw = _notice(
        "telia.example.se",
        "Olevererbart meddelande",
        "Meddelandet kunde inte levereras till följande mottagare:\n\n"
        "<ingrid.berg@telia.example.se>: 552 Det finns inte tillräckligt med utrymme i "
        "mottagarens postlåda\n",
        "ingrid.berg@telia.example.se",
    )
    r = _only(raw)
    assert r.address == "ingrid.berg@telia.example.se"
    assert r.reason != "user_unknown"
    assert not should_suppress(r)


def test_danish_sender_not_on_the_allowed_list_is_about_us():
    # "Afsenderen findes ikke på listen over godkendte afsendere": our sender is not on the
    # allowed-senders list of the receiver — a refusal of us, the address works.
    raw = _notice(
        "tdc.example.dk",
        "Meddelelse kunne ikke leveres",
        "Meddelelsen kunne ikke afleveres til følgende modtager:\n\n"
        "<mette.hansen@tdc.example.dk>: 550 Afsenderen findes ikke på listen over godkendte "
        "afsendere\n",
        "mette.hansen@tdc.example.dk",
    )
    r = _only(raw)
    assert r.address == "mette.hansen@tdc.example.dk"
    assert r.reason != "user_unknown"
    assert not should_suppress(r)


def test_nordic_address_that_does_not_exist_still_suppressed():
    raw = _notice(
        "telia.example.se",
        "Olevererbart meddelande",
        "Meddelandet kunde inte levereras till följande mottagare:\n\n"
        "<lars.nilsson@telia.example.se>: 550 Mottagarens adress finns inte\n",
        "lars.nilsson@telia.example.se",
    )
    r = _only(raw)
    assert (r.address, r.reason) == ("lars.nilsson@telia.example.se", "user_unknown")
    assert should_suppress(r)


def test_mailbox_timeout_in_romance_languages_is_no_expired_account():
    # "tempo di attesa scaduto" (it), "plazo vencido" (es), "Zeitlimit abgelaufen" (de) say
    # the delivery timed out, not that the account expired (mailbox_disabled suppresses).
    for domain, subject, sentence, rcpt in (
        (
            "libero.example.it",
            "Messaggio non consegnato",
            "Il messaggio per <{rcpt}> non è stato consegnato.\n\n"
            "Impossibile consegnare il messaggio alla casella di posta, tempo di attesa "
            "scaduto.",
            "giulia.rossi@libero.example.it",
        ),
        (
            "correo.example.es",
            "Mensaje no entregado",
            "El mensaje para <{rcpt}> no se ha entregado.\n\n"
            "No se pudo entregar al buzón del destinatario, plazo vencido.",
            "pablo.garcia@correo.example.es",
        ),
        (
            "mail.example.de",
            "Unzustellbar",
            "Die Nachricht an <{rcpt}> konnte nicht zugestellt werden.\n\n"
            "Zustellung an das Postfach nicht möglich, Zeitlimit abgelaufen.",
            "jonas.weber@mail.example.de",
        ),
    ):
        r = _only(_notice(domain, subject, sentence.format(rcpt=rcpt) + "\n", rcpt))
        assert r.address == rcpt
        assert r.reason != "mailbox_disabled", sentence
        assert not should_suppress(r), sentence


def test_help_address_in_the_servers_reply_is_not_the_recipient():
    # An unknown notice format: the reply names where to write for help; the failed address
    # is the returned original's recipient, never abuse@.
    raw = _notice(
        "provider.example",
        "Returned mail: see transcript for details",
        "Your message was rejected by the receiving system.\n\n"
        "Remote server said: 550 5.7.1 Refused, write to abuse@provider.example for help\n",
        "ana.lopez@provider.example",
    )
    r = _only(raw)
    assert r.address == "ana.lopez@provider.example"
    assert not should_suppress(r)


def test_qmail_giving_up_on_the_host_is_no_expiry():
    # qmail-remote ends every permanent refusal with "Giving up on <IP>."; a dead address
    # refused with a bare "550 Unknown user" (no enhanced code) is user_unknown, not expired
    # (expired is soft and never suppressed).
    raw = (
        b"Return-Path: <>\n"
        b"From: MAILER-DAEMON@mx.example.net\n"
        b"To: bounce+7g01-7g01e5f6a7b8@bounces.example.org\n"
        b"Subject: failure notice\n"
        b"Date: Mon, 03 Mar 2025 09:00:04 +0000\n"
        b"Message-ID: <notice.2@mx.example.net>\n\n"
        b"Hi. This is the qmail-send program at mx.example.net.\n"
        b"I'm afraid I wasn't able to deliver your message to the following addresses.\n"
        b"This is a permanent error; I've given up. Sorry it didn't work out.\n\n"
        b"<ana.lopez@example.net>:\n"
        b"192.0.2.7 does not like recipient.\n"
        b"Remote host said: 550 Unknown user\n"
        b"Giving up on 192.0.2.7.\n\n"
        b"--- Below this line is a copy of the message.\n\n"
        b"Return-Path: <bounce+7g01-7g01e5f6a7b8@bounces.example.org>\n"
        b"From: Example News <news@news.example.org>\n"
        b"To: ana.lopez@example.net\n"
        b"Subject: Monthly newsletter\n"
    )
    r = _only(raw)
    assert (r.address, r.kind, r.reason) == ("ana.lopez@example.net", "hard", "user_unknown")
    assert should_suppress(r)
