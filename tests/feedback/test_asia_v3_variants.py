"""Round 2 (v3) variants of the Japanese, Chinese, Korean and other Asian providers: what the
new fixtures revealed, held as behaviour a user notices (who failed, why, suppressed or not)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailwright.feedback.parsing import parse_message
from mailwright.feedback.parsing.classify import should_suppress

CORPUS = Path(__file__).parent / "corpus"
OURS = {"bounces.example.org"}


def parsed(name: str):
    return parse_message((CORPUS / name).read_bytes(), bounce_domains=OURS)


def by_address(p) -> dict:
    return {r.address: r for r in p.recipients}


def test_docomo_unknown_user_after_data_is_the_owners_filter_not_a_dead_address():
    p = parsed("japanese/v3_docomo_postfix_filtered_after_data_and_unknown.eml")
    found = by_address(p)
    filtered = found["misaki.tanaka@docomo.ne.jp"]  # refused after DATA
    unknown = found["kenta.mori@docomo.ne.jp"]  # refused at RCPT TO
    assert (filtered.kind, filtered.reason) == ("hard", "policy")
    assert not should_suppress(filtered)
    assert (unknown.kind, unknown.reason) == ("hard", "user_unknown")
    assert should_suppress(unknown)


def test_unknown_user_after_data_elsewhere_stays_unknown():
    raw = (CORPUS / "japanese/v3_docomo_postfix_filtered_after_data_and_unknown.eml").read_bytes()
    raw = raw.replace(b"docomo.ne.jp", b"example.ne.jp")
    found = by_address(parse_message(raw, bounce_domains=OURS))
    assert found["misaki.tanaka@example.ne.jp"].reason == "user_unknown"


@pytest.mark.parametrize(
    "name, address",
    [
        ("japanese/v3_docomo_dsn_rejected_by_receive_settings.eml", "hana.kobayashi@docomo.ne.jp"),
        ("japanese/v3_au_receive_settings_refused_iso2022jp.eml", "yui.nakamura@au.com"),
        (
            "japanese/v3_softbank_reception_settings_inline_original.eml",
            "riku.hayashi@i.softbank.jp",
        ),
        ("korean/v3_hiworks_recipient_refuses_sender.eml", "choi.woojin@example-hiworks.co.kr"),
    ],
)
def test_receive_settings_refusals_are_policy_and_never_suppress(name, address):
    p = parsed(name)
    assert p.bounce
    (r,) = p.recipients
    assert (r.address, r.kind, r.reason) == (address, "hard", "policy")
    assert not should_suppress(r)


def test_half_width_katakana_notice_is_read():
    p = parsed("japanese/v3_disney_stripped_sjis_halfwidth_kana_mailbox_full.eml")
    (r,) = p.recipients
    assert (r.address, r.kind, r.reason) == ("mei.ogawa@disney.ne.jp", "soft", "mailbox_full")


@pytest.mark.parametrize(
    "name, address, reason",
    [
        (
            "chinese/v3_hinet_big5_account_does_not_exist.eml",
            "lin.yating@ms12.hinet.net",
            "user_unknown",
        ),
        (
            "chinese/v3_yahootw_stripped_big5_mailbox_full.eml",
            "chen.meiling@yahoo.com.tw",
            "mailbox_full",
        ),
        ("japanese/v3_sonet_eucjp_suspected_spam.eml", "koharu.endo@so-net.ne.jp", "spam_detected"),
        (
            "japanese/v3_au_ezweb_account_disabled_rfc822.eml",
            "sora.kimura@ezweb.ne.jp",
            "mailbox_disabled",
        ),
        (
            "japanese/v3_gmo_utf8_b64_spf_failed.eml",
            "takumi.ishikawa@example-gmo.jp",
            "security_error",
        ),
        (
            "japanese/v3_softbank_sjis_address_not_in_use.eml",
            "kaito.shimizu@softbank.ne.jp",
            "user_unknown",
        ),
        ("chinese/v3_189_expired_after_5_days.eml", "tang.jing@189.cn", "expired"),
        ("korean/v3_hanmail_euckr_qp_storage_full.eml", "lee.sora@hanmail.net", "mailbox_full"),
        ("asia_misc/v3_vietnam_vnn_user_unknown_qp.eml", "nguyen.thi.lan@vnn.vn", "user_unknown"),
        ("asia_misc/v3_thai_tis620_mailbox_full.eml", "somchai.k@example.co.th", "mailbox_full"),
        ("asia_misc/v3_indonesian_user_unknown.eml", "budi.santoso@example.co.id", "user_unknown"),
    ],
)
def test_localised_notice_names_the_recipient_and_reason(name, address, reason):
    p = parsed(name)
    assert p.bounce
    assert [(r.address, r.reason) for r in p.recipients] == [(address, reason)]


def test_a_person_writing_about_receive_settings_is_not_a_bounce():
    raw = (
        "From: Yuki Sato <yuki.sato@example.jp>\n"
        "To: bounce+6a99-9999c3d4e5f6@bounces.example.org\n"
        "Subject: Re: Monthly newsletter\n"
        "Content-Type: text/plain; charset=utf-8\n\n"
        "受信拒否設定を解除しました。メールが受信を拒否されましたら教えてください。\n"
        "I changed my receive settings, please send it again.\n"
    ).encode()
    p = parse_message(raw, bounce_domains=OURS)
    assert not p.bounce and not p.recipients
