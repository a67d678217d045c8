"""Odd shapes of real bounce mail (issue 13, round 2): DSNs written without the blank lines
between their blocks, relays that send two status parts for one recipient, and people who
answer about a notice ("Re: Undelivered Mail Returned to Sender")."""

from tests.feedback.corpus_files import parse_corpus as _parse


def test_dsn_blocks_without_blank_lines_are_each_recipient():
    parsed = _parse("shapes/v3_dsn_blocks_without_blank_line.eml")
    assert parsed.bounce
    got = {r.address: r.reason for r in parsed.recipients}
    # the third block was delivered: not a failure
    assert got == {"anmeldung@example-clinic.de": "mailbox_full",
                   "dr.weiss@example-clinic.de": "user_unknown"}  # fmt: skip


def test_two_status_parts_for_one_recipient_give_one_recipient_with_the_specific_reason():
    parsed = _parse("shapes/v3_dsn_two_status_parts_one_recipient.eml")
    assert [(r.address, r.reason, r.status) for r in parsed.recipients] == [
        ("dispatch@example-logistics.com", "user_unknown", "5.1.1")
    ]


def test_action_before_final_recipient_stays_one_block():
    parsed = _parse("mandrill/v2_dsn_mailbox_full_552.eml")
    assert [r.address for r in parsed.recipients] == ["sven.larsen@example.dk"]


def test_a_reply_about_a_notice_is_not_a_bounce():
    parsed = _parse("nonbounce/v3_human_reply_nested_quoted_postfix.eml")
    assert not parsed.bounce
    assert parsed.recipients == []


def test_a_forwarded_notice_is_still_a_bounce():
    parsed = _parse("shapes/v3_fwd_thunderbird_qmail.eml")
    assert parsed.bounce
    assert [r.address for r in parsed.recipients] == ["morten@example-consult.dk"]
