"""Odd structures around common notices (issue 13, round 4): X-Actual-Recipient-only DSNs,
Exchange Online NDRs forwarded from localised Outlook, Gmail's Spanish notice, and addresses
in smart quotes or only inside the server's reply."""

from tests.feedback.corpus_files import failed_reasons as _failed
from tests.feedback.corpus_files import parse_raw


def test_a_dsn_naming_only_x_actual_recipient_reports_that_mailbox_not_the_alias():
    got = _failed("shapes/v5_dsn_x_actual_recipient_only.eml")
    assert got == {"sales@example-outdoor.com.au": "mailbox_full"}


def test_exchange_online_ndrs_forwarded_from_localised_outlook_are_bounces():
    assert _failed("shapes/v5_tr_non_remis_outlook_fr_domain.eml") == {
        "accueil@example-mairie-ancienne.fr": "host_unknown"
    }
    assert _failed("shapes/v5_enc_outlook_pt_o365_quota.eml") == {
        "financeiro@example-distribuidora.com.br": "mailbox_full"
    }
    # the Italian heading comes before the address; the "#550 … ##" line after it
    assert _failed("shapes/v5_i_outlook_it_exchange_disabled.eml") == {
        "acquisti@example-ferramenta.it": "mailbox_disabled"
    }


def test_gmails_spanish_notice_forwarded_names_the_address_not_the_new_one():
    got = _failed("shapes/v5_fwd_gmail_dsn_failure_es.eml")
    assert got == {"daniela.rios@example-andina.co": "user_unknown"}


def test_addresses_in_smart_quotes_are_found_and_the_support_address_is_not():
    assert _failed("shapes/v5_cp1252_smart_single_quotes.eml") == {
        "achats@example-industrie.fr": "user_unknown"
    }
    assert _failed("shapes/v5_utf8_smart_double_quotes_suspended.eml") == {
        "t.herrera@example-webmail.io": "mailbox_disabled"
    }


def test_a_reply_naming_our_sender_is_not_taken_for_the_recipient():
    raw = (
        b"From: MAILER-DAEMON@mx.example.net\r\nTo: bounce+x1-ab@bounces.example.org\r\n"
        b"Subject: Mail delivery failed\r\n\r\n"
        b"Error: 550 5.7.1 sender news@news.example.org rejected by policy\r\n"
    )
    parsed = parse_raw(raw)
    assert parsed.bounce
    assert [r.address for r in parsed.recipients] == [None]
