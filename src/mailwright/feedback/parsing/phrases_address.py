"""The text rules for reasons about the address (see phrases.py for how they are used)."""

from __future__ import annotations

from mailwright.feedback.parsing.phrase_rule import near, rule
from mailwright.feedback.parsing.result import (
    HAS_MOVED,
    HOST_UNKNOWN,
    MAILBOX_DISABLED,
    MAILBOX_FULL,
    NOT_ACCEPTING_MAIL,
    USER_UNKNOWN,
)

FULL = rule(
    MAILBOX_FULL,
    "full",
    en=(
        r"mailbox (is )?full",
        r"(mailbox|inbox|account) .{0,30}(is )?(full|over quota)",
        r"over ?quota",
        r"quota (exceeded|exceed|full)",
        r"exceeded .{0,20}(storage|quota)",
        r"(mailbox|storage|disk) quota",
        r"insufficient (disk )?(space|storage)(?! allocation)",
        r"mailbox size limit",
        r"out of (storage|space)",
        r"exceeds? .{0,20}storage allocation",
        r"\bfull\b.{0,20}mailbox",
        r"mail ?box .{0,20}(exceeded|exceeds)",
    ),
    de=(
        near("postfach", r"voll\b|überfüllt", 30),
        r"(speicherplatz|kontingent|quota) .{0,20}(überschritten|erschöpft|voll)",
        r"(speicher|postfach)kontingent",
    ),
    fr=(
        near("boîte", "pleine", 40),
        r"quota .{0,20}(dépassé|atteint)",
        r"espace (disque )?insuffisant",
    ),
    es=(r"buzón .{0,20}(está )?llen[oa]", r"cuota .{0,20}(excedida|superada|llena)"),
    pt=(
        near("caixa", "cheia|lotada", 40),
        r"(cota|quota) .{0,20}(excedida|esgotada|ultrapassada)",
        r"excedeu a (cota|quota)",
    ),
    it=(near("casella", "piena", 40), r"quota .{0,20}(superata|esaurita)"),
    pl=(
        near("skrzynka", "pełna|przepełnion", 40),
        # Polish servers often strip the diacritics ("przepelniona", "pelna").
        near("skrzynka", "pelna|przepelnion", 40),
        r"przekroczon[oy] .{0,20}(limit|quot|przydział|pojemnoś)",
    ),
    tr=(r"posta kutusu (dolu|doldu)", r"kota(sı)? (aşıldı|dolu|doldu)"),
    ru=(
        r"ящик .{0,20}(переполнен|полон|заполнен)",
        r"превышен.{0,20}(квот|лимит|объ[её]м|размер ящика)",
    ),
    ja=(
        r"(メールボックス|メールボックスの容量|受信箱).{0,20}(いっぱい|満杯|一杯|容量.{0,10}超)",
        r"容量(オーバー|超過|不足)",
        r"容量(が|を)(オーバー|超過|不足|超え)",
        # Round 7 (BIGLOBE): "メールボックスの容量が上限に達している".
        r"(メールボックス|受信箱|保存)の?容量が上限に達",
    ),
    zh=(
        r"(邮箱|信箱|郵箱)(已满|已滿|空间不足|容量已满|容量不足)",
        r"超(过|出).{0,10}(容量|配额)",
        # Round 7 (Sina): "邮箱空间已满".
        r"(邮箱|信箱|郵箱)(空间|空間|容量)(已满|已滿)",
    ),
    ko=(
        r"(메일함|편지함|사서함).{0,20}(가득|꽉 ?찼|용량.{0,10}초과)",
        r"용량 초과",
        r"저장 ?공간(이)? ?부족",
    ),
    vi=(r"hộp thư .{0,20}(đầy|hết dung lượng)",),
    th=(r"กล่องจดหมาย.{0,20}เต็ม",),
    id=(r"kotak (surat|masuk|pesan) .{0,20}penuh", r"kuota .{0,20}(penuh|terlampaui)"),
    nl=(near("mailbox|postvak|postbus|mailbox van de ontvanger", r"vol\b", 30), r"quotum"),
)

NULL_MX = rule(
    NOT_ACCEPTING_MAIL,
    "null MX",
    en=(
        r"null mx",
        # "… does not accept mail from you/your IP" is a refusal of us, not a null MX.
        r"(does|do) not accept (e-?)?mail(?! from)",
        r"(is )?not accepting (e-?)?mail(?! from)",
        r"accepts no (e-?)?mail(?! from)",
        r"indicated no smtp service",  # Exim's router on a null MX (routers/dnslookup.c)
        r"doesn't accept (e-?)?mail(?! from)",  # Office 365 "… doesn't accept email"
        r"(does not|doesn't) receive (e-?)?mail(?! from)",
    ),
)

HOST = rule(
    HOST_UNKNOWN,
    "unknown host",
    en=(
        r"host or domain name not found",
        r"host not found",
        r"domain not found",
        r"no such domain",
        r"domain (does not|doesn't) exist",
        r"unrouteable (mail )?domain",
        r"unrouteable address",  # Exim: no router took it, i.e. the domain does not resolve
        r"name service error",
        r"nxdomain",
        r"no mx (record|host)",
        r"no mx or a records? for",  # Yahoo's/qmail-remote-style "No MX or A records for x"
        r"bad destination system",
        r"unable to route",
        r"domain .{0,40}not exist",
        r"unknown (host|domain)",
        r"host unknown",
        r"mx records? points? to non-?existent host",  # Exim dnslookup router
        r"domain name .{0,80}(does not appear to be|is not|not) registered",  # MailEnable
        r"no route found to domain",  # Lotus Notes/Domino router
        r"illegal host/domain name",  # PMDF, Sun/Oracle Messaging Server
        r"no mail servers appear to exists? for",  # hMailServer
        r"(could not|couldn't|cannot|unable to) resolve (the )?(recipient )?domain",  # Axigen
    ),
    de=(
        r"domain .{0,40}(existiert nicht|nicht gefunden|unbekannt)",
        r"host .{0,20}nicht gefunden",
        r"unbekannte domain",
    ),
    fr=(
        r"domaine .{0,40}(n['’]existe pas|introuvable|inexistant|inconnu)",
        r"hôte .{0,20}introuvable",
    ),
    es=(r"dominio .{0,40}(no existe|inexistente|no encontrado|desconocido)",),
    pt=(r"domínio .{0,40}(não existe|inexistente|não encontrado|desconhecido)",),
    it=(r"dominio .{0,40}(non esiste|inesistente|sconosciuto|non trovato)",),
    pl=(r"domena .{0,40}nie istnieje", r"nieznana domena"),
    tr=(r"alan ad[ıi] .{0,40}(bulunamad[ıi]|mevcut değil)",),
    ru=(r"домен.{0,40}не (существует|найден)",),
    ja=(r"ドメイン.{0,20}(存在しません|見つかりません)",),
    zh=(r"域名.{0,10}(不存在|无法解析)",),
    ko=(r"도메인.{0,20}(존재하지 않|찾을 수 없)",),
    nl=(r"domein .{0,40}(bestaat niet|niet gevonden|onbekend)",),
)

DISABLED = rule(
    MAILBOX_DISABLED,
    "disabled",
    en=(
        near(
            "account|mailbox",
            "disabled|suspended|deactivated|inactive|locked|frozen|discontinued",
            30,
        ),
        r"(user|recipient) .{0,20}(disabled|suspended|deactivated|inactive)",
        r"(disabled|suspended|deactivated|inactive|locked|frozen|closed) (account|mailbox|user)",
        r"(disabled|suspended|deactivated|inactive) e-?mail (address|account)",
        r"no longer (active|in use|available)",
        # dot-qmail(5)'s retired-address idiom: |bouncesaying 'This address no longer accepts
        # mail.' (also "This mailbox no longer accepts e-mail").
        # The address's own words only: "our server no longer accepts mail from your
        # network" is a block of us, not a retired mailbox.
        r"(address|mailbox|account|user|recipient) no longer accepts? (e-?)?mail(?! from)",
        r"account (has been |was |is )?(closed|terminated)",
        r"mailbox (is )?disabled",
    ),
    de=(
        near(
            "konto|postfach|benutzerkonto|empfänger", "deaktiviert|gesperrt|stillgelegt|inaktiv", 30
        ),
    ),
    fr=(r"(compte|boîte|destinataire) .{0,30}(désactivé|suspendu|bloqué|inactif|fermé)",),
    es=(r"(cuenta|buzón|usuario) .{0,30}(desactivad|suspendid|bloquead|inactiv|deshabilitad)",),
    pt=(r"(conta|caixa|usuário) .{0,30}(desativad|suspens|bloquead|inativ|desabilitad)",),
    it=(r"(account|casella|utente) .{0,30}(disattivat|sospes|bloccat|disabilitat|inattiv)",),
    pl=(r"(konto|skrzynka|użytkownik) .{0,30}(zablokowan|wyłączon|nieaktywn|zawieszon)",),
    tr=(r"(hesap|hesab[ıi]|posta kutusu) .{0,30}(devre dışı|askıya alın|kapatıl|pasif|engellen)",),
    ru=(
        near(
            "учетная запись|учётная запись|аккаунт|ящик|пользователь",
            "заблокирован|отключен|неактив|приостановлен",
            30,
        ),
    ),
    ja=(r"(アカウント|メールボックス|ユーザー?).{0,20}(無効|停止|凍結|ロック)",),
    zh=(r"(账户|帐户|账号|帐号|邮箱|用户).{0,10}(已停用|被禁用|已禁用|冻结|锁定|注销)",),
    ko=(r"(계정|메일함|사용자).{0,20}(비활성|정지|휴면|잠겨|잠금)", r"(휴면|비활성|정지된) ?계정"),
    nl=(
        near(
            "account|mailbox|postvak",
            "uitgeschakeld|gedeactiveerd|geblokkeerd|opgeschort|inactief|opgeheven",
            30,
        ),
    ),
)

MOVED = rule(
    HAS_MOVED,
    "moved",
    en=(
        r"has moved",
        r"moved permanently",
        r"user not local",
        r"no forwarding address",
        r"address (has )?changed",
        # A departed employee's mailbox (an Exchange transport rule's "… is no longer with
        # Example Srl. Please contact …", a company's own reject text).
        r"no longer (with|employed (at|by|with)|working (at|for|with)) ",
        r"(has )?left the (company|organi[sz]ation|firm)",
    ),
    de=(r"nicht mehr .{0,40}(tätig|beschäftigt|im unternehmen)", r"hat das unternehmen verlassen"),
    fr=(r"ne fait plus partie", r"a quitté (la société|l'entreprise|notre)"),
    es=(r"ya no (trabaja|forma parte|pertenece)",),
    pt=(r"não (trabalha|faz parte) mais", r"não faz mais parte", r"deixou a empresa"),
    it=(r"non (fa|lavora) più", r"ha lasciato l'azienda"),
    nl=(r"niet meer (werkzaam|in dienst)",),
    pl=(r"nie pracuje już", r"już nie pracuje"),
)

USER = rule(
    USER_UNKNOWN,
    "unknown user",
    en=(
        r"user unknown",
        r"unknown user",
        r"no such (user|mailbox|recipient|address|account)",
        r"(does not|doesn't|not) exist",
        r"recipient ?not ?found",
        r"unknown (recipient|mailbox|address)",
        r"invalid (recipient|mailbox|address)",
        r"no mailbox here",
        r"mailbox not found",
        r"address (couldn't|could not|can't|cannot) be found",
        r"not listed in",
        r"doesn't have an? .{0,40}account",
        r"user (is )?not found",
        r"no longer valid",
        r"bad (destination )?mailbox",
        r"mailbox unavailable",
        r"mailbox (is )?not available",
        r"not a valid (recipient|mailbox|address)",  # AOL/Yahoo "dd Not a valid recipient"
        # Exchange 2007/2010 NDR text for 5.1.1: "The recipient's e-mail address wasn't found
        # in the recipient's e-mail system."
        r"address (wasn't|was not) found in the recipient",
    ),
    de=(
        near(
            "benutzer|empfänger|adresse|postfach|mailbox",
            "unbekannt|existiert nicht|nicht gefunden|nicht vorhanden|ungültig",
        ),
        r"unbekannter? (benutzer|empfänger)",
        r"kein(en)? solche[rn]? (benutzer|empfänger|postfach)",
    ),
    fr=(
        near(
            "utilisateur|destinataire|adresse|boîte",
            "inconnu|inexistant|introuvable|n['’]existe pas|invalide",
        ),
    ),
    es=(
        near(
            "usuario|destinatario|dirección|buzón",
            "desconocido|no existe|inexistente|no encontrado|no válid|inválid",
        ),
    ),
    pt=(
        near(
            "usuário|utilizador|destinatário|endereço",
            "desconhecido|não existe|inexistente|não encontrado|inválido",
        ),
    ),
    it=(
        near(
            "utente|destinatario|indirizzo|casella",
            "sconosciut|non esiste|inesistente|non trovat|non valid",
        ),
    ),
    pl=(
        near(
            "użytkownik|adresat|odbiorca|adres|skrzynka",
            "nie istnieje|nieznan|nie znaleziono|nieprawidłow",
        ),
        r"nieznan(y|a) (użytkownik|odbiorca|adresat|skrzynka)",
    ),
    tr=(
        near("kullan[ıi]c[ıi]|al[ıi]c[ıi]|adres", "bulunamad[ıi]|mevcut değil|bilinmiyor|geçersiz"),
        r"böyle bir (kullan[ıi]c[ıi]|adres)",
    ),
    ru=(
        r"(пользовател|адрес|получател|ящик).{0,40}(не существует|не найден|неизвест)",
        r"нет такого (пользователя|ящика|адреса|получателя)",
        r"неизвестн(ый|ого) (пользовател|получател|адрес)",
    ),
    ja=(
        r"(宛先|アドレス|ユーザー?|受信者).{0,20}(存在しません|見つかりません|不明)",
        r"該当するユーザー?(は|が)(いません|存在しません)",
        r"(アドレス|宛先).{0,20}使用され(ていません|ておりません)",
    ),
    zh=(
        r"(用户|用戶|收件人|收件者|邮箱|地址|帐号|账号|账户|帐户|帳號).{0,10}(不存在|未找到|无效|無效)",
        r"查无此人",
    ),
    ko=(r"(사용자|수신자|받는 ?사람|계정|주소).{0,20}(존재하지 않|찾을 수 없|없습니다)",),
    vi=(r"(địa chỉ|người nhận|tài khoản).{0,30}(không tồn tại|không tìm thấy)",),
    th=(r"ไม่(มี|พบ)(ผู้ใช้|ผู้รับ|ที่อยู่)",),
    id=(r"(alamat|pengguna|penerima).{0,30}(tidak ditemukan|tidak dikenal|tidak ada)",),
    nl=(
        near(
            "gebruiker|ontvanger|e-?mailadres|adres|mailbox", "bestaat niet|onbekend|niet gevonden"
        ),
        r"onbekende (gebruiker|ontvanger|geadresseerde)",
    ),
)
