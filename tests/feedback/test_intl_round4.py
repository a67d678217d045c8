"""Localised notices of Eastern and Northern Europe, the Middle East and Latin America
(issue 13, round 4): the notice is recognised by its own sentence, the recipient read from
its label or sentence (also through right-to-left marks), the reason from its own words, and
the addresses a notice or its quoted original mentions besides are never recipients."""

from tests.feedback.corpus_files import failed as _failed
from tests.feedback.corpus_files import parse_corpus as _parse


def test_hebrew_notice_address_between_direction_marks():
    assert _failed("hebrew/v5_iso88598i_user_unknown_rtl.eml") == {
        "yossi.cohen@example.co.il": ("hard", "user_unknown")
    }


def test_central_european_notices_in_their_charsets():
    assert _failed("czech/v5_centrum_cp1250_mailbox_full.eml") == {
        "petr.dvorak@centrum.cz": ("soft", "mailbox_full")
    }
    assert _failed("czech/v5_azet_sk_iso88592_account_disabled.eml") == {
        "martin.horvath@azet.sk": ("hard", "mailbox_disabled")
    }
    assert _failed("hungarian/v5_freemail_iso88592_user_unknown.eml") == {
        "kovacs.zoltan@freemail.hu": ("hard", "user_unknown")
    }
    assert _failed("balkan/v5_romanian_cont_dezactivat.eml") == {
        "andrei.popescu@example.ro": ("hard", "mailbox_disabled")
    }


def test_greek_arabic_finnish_full_mailboxes_are_soft():
    for name, address in (
        ("balkan/v5_greek_iso88597_mailbox_full.eml", "nikos.papadopoulos@otenet.example.gr"),
        ("arabic/v5_cp1256_mailbox_full.eml", "ahmed.alharbi@example.sa"),
        ("nordic/v5_finnish_postilaatikko_taynna.eml", "mikko.virtanen@posti.example.fi"),
    ):
        assert _failed(name) == {address: ("soft", "mailbox_full")}, name


def test_recipient_in_a_sentence_and_help_addresses_ignored():
    # "Ваш лист для addr не доставлено" (i.ua), the original under "Оригінальний лист"
    assert _failed("ukrainian/v5_iua_cp1251_mailbox_full_nocode.eml") == {
        "bohdan.shevchuk@i.ua": ("soft", "mailbox_full")
    }
    # "Адрес получателя:"; the help address and the quoted Cc are not recipients
    assert _failed("russian/v5_rambler_cp1251_host_unknown_quoted.eml") == {
        "nikolai.frolov@stroitel-ural.ru": ("hard", "host_unknown")
    }
    assert _failed("latam/v5_speedy_ar_dominio_inexistente.eml") == {
        "martin.gomez@fabrica-cordoba.com.ar": ("hard", "host_unknown")
    }


def test_polish_notice_that_gave_up_after_days_is_expired():
    assert _failed("polish/v5_interia_expired_5_dni.eml") == {
        "tomasz.mazur@poczta.interia.pl": ("soft", "expired")
    }


def test_spanish_still_trying_notice_is_a_delay():
    parsed = _parse("latam/v5_terra_mx_delay_aun_no_entregado.eml")
    assert parsed.delay and not parsed.bounce
    assert [r.address for r in parsed.recipients] == ["diego.flores@terra.com.mx"]


def test_yandex_come_back_later_is_rate_limited():
    assert _failed("turkish/v5_yandex_com_tr_dsn_gecici_kisitlama.eml") == {
        "zeynep.arslan@yandex.com.tr": ("soft", "rate_limited")
    }
