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
LABELS = r"收件者|penerima|người nhận|ผู้รับ|あて先|宛て先|失败的收件人|失敗的收件者|投递失败的收件人"
# au/KDDI (ezweb.ne.jp, au.com): "Your mail sent on: <date>", then "Could not be delivered to:
# <addr>" or "The following recipients haven't received this message:" with the address alone
# in angle brackets on the next line.
KDDI_SIGNATURE = (
    r"Your mail sent on:.{0,80}\n(?:.*\n){0,3}[ \t]*"
    r"(?:Could not be delivered to:|The following recipients haven't received this message:)"
)
# China Telecom/China Mobile style "stayed in the queue over 5 days", "stopped delivering".
GAVE_UP = r"(?:滞留|重试|尝试).{0,20}超过 ?\d{1,3} ?(?:天|小时)|停止投递"

# Round 3: more Japanese and Korean notice sentences (signatures). Japanese "…に届きません
# でした" (au), the plain-form "配送できなかった" and "配送を中止/断念しました" (OCN and other
# ISPs when they give up); Korean "배달 실패" (Daum), "전송 실패"/"전송에 실패" (groupware
# delivery-result notices), "보낼 수 없습니다"; "配送されませんでした" (@nifty).
SIGNATURES_R3 = (
    r"(?:宛先|相手(?:先)?)に届きませんでした|(?:配送|配信)できなかった|"
    r"(?:配送|配信)を(?:中止|断念)しました|(?:配送|配信)されませんでした",
    r"메일 배달 실패|배달(?:에)? 실패|\[?전송 실패\]|전송에 실패|메일을 보낼 수 없습니다",
)
# Round 7: a notice that is still retrying says so (a delay, not a bounce): Japanese "まだ配信
# されていません" / "配信は引き続き試みられます", Chinese "仍在尝试投递", Korean "계속 시도",
# Russian "пока не доставлено" / "будем продолжать попытки".
TEMPORARY_R7 = (
    r"まだ(?:配信|配送)されていません|引き続き(?:配信|配送)?を?試み|再送する必要はありません|"
    r"(?:仍在|将继续|將繼續)(?:尝试|嘗試)|계속 (?:재)?시도|"
    r"пока не доставлено|(?:будем )?продолжать попытки"
)
# Gave up: "72時間以内に配送できなかったため、配送を中止しました".
GAVE_UP_R3 = r"\d{1,3} ?(?:時間|日)以内に(?:配送|配信)できな|(?:配送|配信)を(?:中止|断念)しました"

# The words CJK notices put right before or after the failed address (in 「」【】《》〈〉『』,
# (), （）, <> or bare): "宛先「addr」へ", "<addr> 宛の", "发送至【addr】的邮件", "发往 <addr> 的",
# "寄給「addr」的郵件", "수신자(addr)에게", "<addr> 주소로 보낸". A reply-to or help address
# in the notice has none of them.
CJK_BEFORE = (
    r"宛先(?:アドレス)?|送信先|受信者|收件人(?:地址)?|收件者|收信人|"
    r"发送(?:至|到|给)|發送(?:至|到|給)|发往|發往|寄給|寄给|投递(?:至|到|给)|投遞(?:至|到|給)|"
    r"수신자|받는 ?사람"
)
CJK_AFTER = (
    r"宛|へ(?:の|送|配)|に(?:配信|配送|送信)|的(?:邮件|郵件|信)|주소로|에게|으로 보낸|로 보낸"
)
# Full-width ASCII (＠, ａ-ｚ, ０-９, ．, ：) and the ideographic space, as NFKC folds them,
# one character for one so positions stay the same: "chen.jie＠sina.com".
FULLWIDTH = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
