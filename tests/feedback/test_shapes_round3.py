"""Odd shapes of real bounce mail (issue 13, round 3): notices forwarded with every line
quoted, forwarded as an attached .eml, sent as HTML only, followed by the original's headers
without a marker; and list digests that quote a bounce (never one of ours)."""

from tests.feedback.corpus_files import failed_reasons as _failed
from tests.feedback.corpus_files import parse_corpus as _parse


def test_a_forward_quoted_twice_names_only_the_failed_address():
    got = _failed("shapes/v4_fwd_fwd_double_quoted_exim_unrouteable.eml")
    # the forwarder's own address, quoted above the notice, is not a recipient
    assert got == {"jugend@alt-verein.example": "host_unknown"}


def test_a_reply_quoting_a_forwarded_ndr_is_not_a_bounce():
    parsed = _parse("nonbounce/v4_reply_quoting_outlook_original_message_ndr.eml")
    assert not parsed.bounce
    assert parsed.recipients == []


def test_html_only_ndrs_keep_the_address_on_its_line():
    assert _failed("office365/v4_o365_html_only_recipient_not_found.eml") == {
        "j.schmidt@example-kita.de": "user_unknown"
    }
    assert _failed("exchange/v4_exchange2016_de_html_only.eml") == {
        "m.wagner@example-praxis.de": "user_unknown"
    }
    assert _failed("gmail/v4_gmail_html_only_over_quota_inactive.eml") == {
        "anna.lind@example-skola.se": "mailbox_full"
    }


def test_a_dsn_forwarded_as_an_attachment_is_read_with_its_status():
    assert _failed("shapes/v4_fw_outlook_attached_postfix_dsn.eml") == {
        "studio@example-agency.nl": "message_too_large"
    }
    parsed = _parse("shapes/v4_fwd_gmail_attached_o365_ndr_eml.eml")
    assert [(r.address, r.reason, r.status) for r in parsed.recipients] == [
        ("ops.desk@example-shipping.sg", "user_unknown", "5.1.10")
    ]


def test_addresses_above_their_reply_in_an_unknown_format_with_unmarked_original():
    assert _failed("shapes/v4_unmarked_original_two_failed.eml") == {
        "j.hughes@example-college.ac.uk": "user_unknown",
        "library@example-college.ac.uk": "mailbox_full",
    }
    assert _failed("shapes/v3_inline_original_headers_no_marker.eml") == {
        "rgarcia@example-univ.edu": "mailbox_disabled"
    }


def test_a_digest_quoting_a_bounce_is_list_traffic():
    for name in (
        "nonbounce/v4_plain_digest_with_quoted_exim_bounce.eml",
        "nonbounce/v4_mime_digest_with_posted_bounce.eml",
    ):
        parsed = _parse(name)
        assert not parsed.bounce and not parsed.auto_reply
        assert parsed.recipients == []


def test_a_forwarded_notice_naming_no_address_keeps_our_verp_token():
    parsed = _parse("shapes/v3_body_only_verp_only.eml")
    assert parsed.bounce
    assert [(r.address, r.reason) for r in parsed.recipients] == [(None, "user_unknown")]
    assert parsed.verp_token == "3v18-d6e7f8091a"


def test_office365_recipient_after_original_message_details_is_read():
    got = _failed("office365/v3_o365_new_ndr_spf_two_recipients_text.eml")
    assert got == {
        "board@aurora-coop.example.ca": "security_error",
        "treasurer@aurora-coop.example.ca": "security_error",
    }


def test_google_groups_refusal_is_a_policy_bounce_of_the_group():
    assert _failed("shapes/v3_google_groups_no_permission.eml") == {
        "volunteers@example-charity.org": "policy"
    }


def test_plain_text_outlook_read_receipt_is_machine_mail_not_a_bounce():
    parsed = _parse("nonbounce/v3_outlook_read_receipt_plaintext.eml")
    assert not parsed.bounce and parsed.automated
