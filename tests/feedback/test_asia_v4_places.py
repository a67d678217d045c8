"""Round 3 (v4) Asian notices: where the failed address is (CJK brackets, full-width ＠, the
line after a label, only in the returned original) and what the new fixtures revealed, held as
behaviour a user notices (who failed, why, suppressed or not)."""

from __future__ import annotations

from pathlib import Path

from mailwright.feedback.parsing import parse_message
from mailwright.feedback.parsing.classify import should_suppress

CORPUS = Path(__file__).parent / "corpus"
OURS = {"bounces.example.org"}

NOTICE = (
    "From: MAILER-DAEMON@mx.example.jp\r\n"
    "To: bounce+7a99-9999c3d4e5f6@bounces.example.org\r\n"
    "Subject: =?utf-8?B?44Oh44O844Or6YCB5L+h44Ko44Op44O8?=\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n\r\n"
)


def parse_text(body: str):
    return parse_message((NOTICE + body).encode("utf-8"), bounce_domains=OURS)


def parsed(name: str):
    return parse_message((CORPUS / name).read_bytes(), bounce_domains=OURS)


def addresses(p) -> list:
    return [r.address for r in p.recipients]


def test_address_in_parentheses_after_the_recipient_word_is_the_failed_one():
    p = parse_text(
        "宛先(riko.nakano@example.jp)へのメールは、一時的に受信を制限しています。\n"
        "お問い合わせ: support@mx.example.jp\n\n"
        "421 4.7.0 Too many messages from your IP, try again later\n"
    )
    assert p.bounce
    assert addresses(p) == ["riko.nakano@example.jp"]
    assert p.recipients[0].reason == "rate_limited"


def test_full_width_at_sign_is_read_as_the_address():
    p = parse_text(
        "送信されたメールは宛先に届きませんでした。\n\n"
        "宛先　　：hana.kobayashi＠example.jp\n"
        "理由　　：受信者のメールボックスの容量がいっぱいのため受信できませんでした。\n"
    )
    assert addresses(p) == ["hana.kobayashi@example.jp"]
    assert (p.recipients[0].kind, p.recipients[0].reason) == ("soft", "mailbox_full")


def test_two_addresses_in_recipient_places_of_an_unknown_notice_name_nobody():
    # No known format, two candidates: guessing one would report the wrong person.
    p = parse_text(
        "宛先(a.one@example.jp)へのメールと宛先(b.two@example.jp)へのメール。\n"
        "550 5.1.1 User unknown\n"
    )
    assert p.bounce
    assert addresses(p) == [None]


def test_coremail_notice_reason_is_read_below_its_original_mail_info_block():
    # "原邮件信息：" heads the notice's summary, it is not the start of the returned original.
    p = parsed("chinese/v4_coremail_gbk_label_then_address_next_line.eml")
    assert addresses(p) == ["zhang.wei@example-univ.edu.cn"]
    assert p.recipients[0].reason == "user_unknown"
    assert should_suppress(p.recipients[0])


def test_recipients_own_blacklist_is_policy_not_a_block_list_of_our_ip():
    p = parsed("chinese/v4_coremail_gb18030_name_parentheses_recipient_blacklist.eml")
    assert p.recipients[0].reason == "policy"
    assert not should_suppress(p.recipients[0])


def test_japanese_qmail_template_returns_both_recipients_not_the_originals_to_line():
    p = parsed("japanese/v4_kagoya_qmail_ja_two_recipients_unknown_and_quota.eml")
    found = {r.address: (r.kind, r.reason) for r in p.recipients}
    assert found == {
        "shun.ito@example-kagoya.jp": ("hard", "user_unknown"),
        "nao.saito@example-kagoya.jp": ("soft", "mailbox_full"),
    }


def test_ocn_gave_up_after_72_hours_is_expired_not_a_network_error():
    p = parsed("japanese/v4_ocn_iso2022jp_fullwidth_colon_expired_72h.eml")
    assert (p.recipients[0].kind, p.recipients[0].reason) == ("soft", "expired")
