"""Phrases of the Asian providers' plain-text notices (round 2 of "unseen variants"), kept
apart from plaintext_formats.py so that module stays one concern and under the size limit.

Each is used by plaintext_formats.py exactly like its own lists: a notice's signature
sentence, a recipient label, a "gave up after days" sentence.
"""

from __future__ import annotations

# Signatures (anywhere in the notice; the localised format also needs an address block, a
# returned original or a mailer-daemon sender): Japanese "受信を拒否されました" (refused, e.g.
# by the owner's receive settings) and "配送失敗のお知らせ"; Traditional Chinese (Taiwan:
# HiNet, Yahoo TW) "郵件無法送達/寄達"; Vietnamese, Thai and Indonesian "could not send".
SIGNATURES = (
    r"受信(?:を|が)拒否されました|(?:配送|配信)失敗のお知らせ",
    r"郵件(?:沒有|未能|無法)(?:成功)?(?:發送|投遞|送達|寄達)|無法(?:投遞|送達|寄達)",
    r"không thể (?:gửi|chuyển)|ไม่สามารถส่ง(?:อีเมล|ข้อความ)|"
    r"tidak (?:dapat|bisa) (?:dikirim|terkirim)",
)
# "Recipient:" labels: Traditional Chinese, Indonesian, Vietnamese, Thai.
LABELS = r"收件者|penerima|người nhận|ผู้รับ"
# au/KDDI (ezweb.ne.jp, au.com): "Your mail sent on: <date>", then "Could not be delivered to:
# <addr>" or "The following recipients haven't received this message:" with the address alone
# in angle brackets on the next line.
KDDI_SIGNATURE = (
    r"Your mail sent on:.{0,80}\n(?:.*\n){0,3}[ \t]*"
    r"(?:Could not be delivered to:|The following recipients haven't received this message:)"
)
# China Telecom/China Mobile style "stayed in the queue over 5 days", "stopped delivering".
GAVE_UP = r"(?:滞留|重试|尝试).{0,20}超过 ?\d{1,3} ?(?:天|小时)|停止投递"
