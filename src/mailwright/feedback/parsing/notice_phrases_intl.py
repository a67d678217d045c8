"""Phrases of the plain-text notices of Eastern and Northern Europe, the Middle East and
Latin America (round 4 of "unseen variants"), kept apart from plaintext_formats.py and
notice_places.py so those stay one concern and under the size limit.

Used exactly like the lists there: a localised notice's signature sentence (anywhere; the
localised format also needs an address block, a returned original or a mailer-daemon sender),
a "Recipient:" label, the words of a sentence right before the failed address, a "gave up
after days" sentence and a "still trying" one.
"""

from __future__ import annotations

from mailwright.feedback.parsing import notice_phrases_asia as asia

# Signatures: Ukrainian (ukr.net, i.ua, meta.ua), Czech and Slovak (Seznam, Centrum, Azet),
# Hungarian (Freemail, Citromail), Romanian, Bulgarian (abv.bg), Greek, Swedish, Norwegian,
# Danish and Arabic Exchange headings, Finnish, Lithuanian/Latvian/Estonian, Hebrew, Arabic,
# Persian, and the Latin-American Spanish "No se pudo entregar" / "aún no ha sido entregado".
SIGNATURES = (
    r"не вдалося доставити|(?:лист|повідомлення)[^\n]{0,80}не (?:було )?доставлено|"
    r"не може да бъде доставено|не беше доставено",
    r"nepodařilo doručit|nebyla doručena|nepodarilo doručiť|nebola doručená|"
    r"nem sikerült kézbesíteni|nem kézbesíthető|nu a putut fi livrat|nu a fost livrat",
    r"δεν ήταν δυνατ[όή] να παραδοθεί|δεν παραδόθηκε",
    r"kunde inte levereras|Det gick inte att leverera till följande mottagare|"
    r"Levering til disse mottakerne eller gruppene mislyktes|kunne ikke (?:leveres|afleveres)|"
    r"ei voitu toimittaa|toimitus epäonnistui",
    r"nebuvo pristatytas|nepavyko pristatyti|netika piegādāt|ei õnnestunud kohale toimetada",
    r"לא נמסרה|לא ניתן היה למסור|לא ניתן למסור",
    r"تعذر تسليم|لم نتمكن من توصيل|فشل التسليم|لم يتم التسليم|تحویل داده نشد",
    r"no se pudo entregar|no ha sido entregado",
    # Round 9: Czech "nelze doručit" (Centrum), Turkish "ulaştırılamadı"/"iletilemedi"
    # (Superonline, TTNet), Persian "ارسال نشد", Thai "ไม่สามารถส่งถึง" (could not reach).
    r"nelze doručit|ulaştırılamadı|iletilemedi|ارسال نشد|ไม่สามารถส่งถึง",
)
# "Recipient:" labels in those languages.
LABELS = (
    r"адрес получателя|одержувач|адреса одержувача|получател|příjemce|adresát|príjemca|"
    r"címzett|destinatar|παραλήπτης|mottagare|mottaker|modtager|vastaanottaja|gavėjas|"
    r"saņēmējs|saaja|נמען|المستلم|المرسل إليه|گیرنده"
)
# The words right before the failed address in a sentence: "Ваш лист для addr не
# доставлено", "не доставлено получателю addr", "Wiadomość do addr", "Zpráva pro addr",
# "Su mensaje para addr", "sua mensagem para addr", "לנמען addr".
BEFORE_ADDR = (
    r"(?:лист|письмо|сообщение|повідомлення) (?:для|до)|получателю|одержувачу|"
    r"wiadomość do|zpráva pro|zprávu pro|správa pre|mensaje para|mensagem para|לנמען"
)
# Gave up after days of retries (Polish "przez 5 dni … próby … przerwane", Spanish, Czech).
GAVE_UP = (
    r"przez \d{1,3} dni|próby (?:doręczenia|dostarczenia)[^.\n]{0,30}(?:przerwane|zakończone)|"
    r"durante \d{1,3} días[^.\n]{0,30}(?:sin éxito|se cancel)|po \d{1,3} dnech"
)
# Still trying: a warning, not a failure ("Seguiremos intentando", "ainda não foi entregue").
TEMPORARY = r"seguiremos intentando|aún no ha sido entregado|ainda não foi entregue"
# Round 9: Exchange's "Delivery is delayed" heading and "not delivered yet" in Greek, and the
# delay words of the Czech, Hungarian, Romanian, Hebrew, Arabic and Persian notices.
TEMPORARY += (
    r"|παράδοση καθυστερεί|δεν έχει παραδοθεί ακόμη|doručení (?:je )?zpožděno|"
    r"kézbesítés(?:e)? késik|livrarea (?:este )?întârziată|המסירה מתעכבת|"
    r"تأخر (?:ال)?تسليم|با تأخیر|با تاخیر"
)
# Where the returned original starts (freetext.ORIGINAL_MARKERS), in those languages and the
# variants of Russian and Polish the providers use ("Заголовки исходного письма",
# "Wiadomość oryginalna").
ORIGINAL_MARKERS = (
    r"Původní zpráva|Hlavičky původní zprávy|Pôvodná správa|Eredeti üzenet|Mesajul original|"
    r"Оригинално съобщение|Αρχικό μήνυμα|Alkuperäinen viesti|Ursprungligt meddelande|"
    r"Opprinnelig melding|Oprindelig meddelelse|ההודעה המקורית|الرسالة الأصلية|پیام اصلی|"
    r"Оригінальний лист|Оригінальне повідомлення|Текст вашого листа|"
    r"Заголовки исходного письма|Wiadomość oryginalna"
)
# Right-to-left text (Hebrew, Arabic, Persian notices) wraps an address in direction marks
# (LRM/RLM, embeddings, isolates): one space each, so positions stay the same.
BIDI_MARKS = {c: 0x20 for c in (0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A))}
FOLD = asia.FULLWIDTH | BIDI_MARKS
