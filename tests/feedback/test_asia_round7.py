"""Round 7 of the Japanese, Chinese, Korean and Russian providers: every v7_ fixture of these
families reads exactly as its .json says, free-text notices that are still retrying are delays
(not bounces that would count against a live address), and a notice a person forwarded as body
text is read below the forward's own header block (whose "收件人：" is the forwarder's)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mailwright.feedback.parsing import parse_message

CORPUS = Path(__file__).parent / "corpus"
OURS = {"bounces.example.org"}
FAMILIES = ("japanese", "chinese", "korean", "russian", "mailru", "yandex")


def parsed(raw: bytes):
    return parse_message(raw, bounce_domains=OURS)


def what(p) -> str:
    for name in ("complaint", "bounce", "delay", "auto_reply"):
        if getattr(p, name):
            return name
    return "other"


@pytest.mark.parametrize(
    "relpath",
    sorted(str(p.relative_to(CORPUS)) for f in FAMILIES for p in (CORPUS / f).glob("v7_*.eml")),
)
def test_round7_fixture_reads_as_its_json_says(relpath):
    want = json.loads((CORPUS / relpath).with_suffix(".json").read_text())
    p = parsed((CORPUS / relpath).read_bytes())
    assert what(p) == want["is"]
    got = sorted((r.address, r.kind, r.reason) for r in p.recipients)
    assert got == sorted((r["address"], r["kind"], r["reason"]) for r in want["recipients"])


JA_DELAY = """From: Mail Delivery <mailer-daemon@isp.example.jp>
To: bounces+77-abc@bounces.example.org
Subject: =?UTF-8?B?44Oh44O844Or6YWN5L+h44Gu44GK55+l44KJ44Gb?=
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

以下の宛先へのメールは、まだ配信されていません。
配信は引き続き試みられます。

宛先： kenta.mori@isp.example.jp
状態： 4.4.1 connection refused
"""


def test_japanese_free_text_notice_still_retrying_is_a_delay_not_a_bounce():
    p = parsed(JA_DELAY.encode())
    assert p.delay and not p.bounce
    assert [(r.address, r.kind) for r in p.recipients] == [("kenta.mori@isp.example.jp", "soft")]
    # The same notice once it gave up is a bounce.
    raw = JA_DELAY.replace(
        "まだ配信されていません。\n配信は引き続き試みられます。", "配信できませんでした。"
    )
    raw = raw.replace("4.4.1 connection refused", "550 5.1.1 user unknown")
    p = parsed(raw.encode())
    assert p.bounce and not p.delay
    assert [(r.address, r.reason) for r in p.recipients] == [
        ("kenta.mori@isp.example.jp", "user_unknown")
    ]


RU_DELAY = """From: mailer-daemon@mail.example.ru
To: bounces+78-abc@bounces.example.org
Subject: =?UTF-8?B?0J/QuNGB0YzQvNC+?=
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

Ваше письмо пока не доставлено получателю:

  oleg.titov@firma.example.ru

Сервер получателя не отвечает (Connection refused). Мы будем продолжать попытки.
"""


def test_russian_not_yet_delivered_notice_is_a_delay_for_the_named_recipient():
    p = parsed(RU_DELAY.encode())
    assert p.delay and not p.bounce
    assert [r.address for r in p.recipients] == ["oleg.titov@firma.example.ru"]


ZH_FORWARD = """---------- 转发的邮件 ----------
发件人：系统管理员 <postmaster@mail.example.cn>
日期：2025年11月5日 10:00
主题：系统退信
收件人：ops@shop.example.org

您发送的邮件未能成功送达。

失败的收件人：wang.lei@factory.example.cn
失败原因：550 用户不存在
"""


def test_chinese_forwarded_notice_reports_the_failed_recipient_not_the_forwarder():
    p = parsed(ZH_FORWARD.encode())
    assert p.bounce
    assert [(r.address, r.reason) for r in p.recipients] == [
        ("wang.lei@factory.example.cn", "user_unknown")
    ]
