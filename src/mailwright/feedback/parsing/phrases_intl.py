"""What receivers say about the address in the languages of round 4 (Ukrainian, Czech,
Slovak, Hungarian, Romanian, Bulgarian, Greek, Swedish, Norwegian, Danish, Finnish,
Lithuanian, Hebrew, Arabic, Persian) and the wordings round 1-3 lacked in Russian, Polish and
Turkish, tried beside the rule of phrases.py they extend (TEXT_RULES says where; the first
rule that matches wins). Lower case, as phrase_rule.prepare() gives the text.

The domain rule comes before the user rule: "doména neexistuje" is a missing domain, the
bare "neexistuje" a missing mailbox.
"""

from __future__ import annotations

from mailwright.feedback.parsing.phrase_rule import TextRule, rule
from mailwright.feedback.parsing.result import (
    EXPIRED,
    HOST_UNKNOWN,
    MAILBOX_DISABLED,
    MAILBOX_FULL,
    RATE_LIMITED,
    SPAM_DETECTED,
    USER_UNKNOWN,
)

FULL = rule(
    MAILBOX_FULL,
    "mailbox full",
    uk=(r"скриньк.{0,30}переповнен",),
    cs=(r"schránka .{0,30}(je )?plná", r"překročena kvóta"),
    sk=(r"schránka .{0,30}(je )?plná", r"prekročená kvóta"),
    hu=(r"postafiók.{0,20}megtelt", r"megtelt a postafiók"),
    ro=(r"căsuța .{0,30}(este )?plină",),
    bg=(r"пощенската кутия .{0,30}(е )?пълна",),
    el=(r"γραμματοκιβώτιο .{0,40}(πλήρες|γεμάτο)",),
    sv=(r"(brevlådan|postlådan|inkorgen) .{0,20}(är )?full",),
    no=(r"(postkassen|innboksen) .{0,20}(er )?full",),
    da=(r"(postkassen|indbakken) .{0,20}(er )?fuld",),
    fi=(r"postilaatikko .{0,20}(on )?täynnä",),
    lt=(r"pašto dėžutė .{0,20}pilna",),
    he=(r"תיבת הדואר .{0,30}מלאה",),
    ar=(r"صندوق (ال)?بريد .{0,30}ممتلئ",),
    fa=(r"صندوق .{0,30}پر (است|شده)",),
)

HOST = rule(
    HOST_UNKNOWN,
    "domain not found",
    uk=(r"домен.{0,40}не (існує|знайдено)",),
    cs=(r"doména .{0,40}(neexistuje|nebyla nalezena)",),
    sk=(r"doména .{0,40}(neexistuje|nebola nájdená)",),
    hu=(r"domain.{0,30}nem létezik",),
    ro=(r"domeniul .{0,40}nu există",),
    bg=(r"домейн.{0,40}не съществува",),
    el=(r"τομέας .{0,40}δεν (βρέθηκε|υπάρχει)",),
    sv=(r"domänen .{0,40}(finns inte|hittades inte)",),
    no=(r"finner ikke domenet", r"domenet .{0,30}finnes ikke"),
    fi=(r"verkkotunnus.{0,30}(ei ole olemassa|ei löytynyt)",),
    he=(r"הדומיין .{0,30}לא (קיים|נמצא)",),
    ar=(r"النطاق .{0,30}غير موجود",),
    fa=(r"دامنه .{0,30}وجود ندارد",),
)

DISABLED = rule(
    MAILBOX_DISABLED,
    "disabled",
    uk=(r"(обліковий запис|акаунт|скриньк).{0,30}(заблоковано|вимкнено|деактивовано)",),
    cs=(r"(účet|schránka) .{0,40}(zablokován|deaktivován|zrušen)",),
    sk=(r"(účet|schránka) .{0,40}(zablokovan|deaktivovan|zrušen)",),
    hu=(r"(fiók|postafiók) .{0,30}(letiltva|felfüggesztve|zárolva|le van tiltva)",),
    ro=(r"contul .{0,30}(dezactivat|suspendat|blocat)",),
    bg=(r"(акаунт|профил|пощенска(та)? кутия).{0,30}(деактивиран|блокиран|спрян)",),
    el=(r"λογαριασμός .{0,30}(απενεργοποιη|ανεσταλμένος)",),
    sv=(r"kontot .{0,30}(inaktiverat|avstängt|spärrat)",),
    fi=(r"tili .{0,30}(suljettu|poistettu käytöstä)",),
    he=(r"החשבון .{0,30}(מושבת|הושעה|חסום)",),
    ar=(r"الحساب .{0,30}(معطل|موقوف)",),
    # Persian; Windows-1256 has no Persian yeh, so ي stands for ی there.
    fa=(r"حساب .{0,30}(غ[یي]رفعال|مسدود|تعل[یي]ق)",),
)

# "finns inte" (sv), "finnes ikke" (no), "findes ikke" (da), "δεν υπάρχει" (el) and "nu
# există" (ro) also say "there is no …" ("Det finns inte tillräckligt med utrymme i
# mottagarens postlåda" is a full mailbox, "Avsändaren finns inte på listan över godkända
# avsändare" refuses us): they name a missing address only after an address word of the same
# sentence.
_SAME = r"\w{0,12}[^.!?\n]{0,40}?"

USER = rule(
    USER_UNKNOWN,
    "unknown user",
    uk=(r"не існу",),
    cs=(r"(schránka|uživatel|adresa|adresát|příjemce) .{0,30}neexistuje",),
    sk=(r"(schránka|používateľ|adresa|adresát) .{0,30}neexistuje",),
    hu=(r"nem létezik", r"ismeretlen (címzett|felhasználó)"),
    ro=(
        rf"(?:adres|destinatar|utilizator|căsuț|cont){_SAME}nu există",
        r"utilizator necunoscut",
        r"destinatar necunoscut",
    ),
    bg=(r"несъществуващ", r"не съществува", r"неизвестен (потребител|получател)"),
    el=(
        rf"(?:διεύθυνση|παραλήπτ|χρήστ|λογαριασμ|γραμματοκιβώτιο){_SAME}δεν υπάρχει",
        r"άγνωστος (χρήστης|παραλήπτης)",
    ),
    sv=(
        r"okänd mottagare",
        rf"(?:adress|mottagar|användar|brevlåd|postlåd|konto){_SAME}finns inte",
    ),
    no=(r"ukjent mottaker", rf"(?:adresse|mottaker|bruker|postkass|konto){_SAME}finnes ikke"),
    da=(r"ukendt modtager", rf"(?:adresse|modtager|bruger|postkass|konto){_SAME}findes ikke"),
    fi=(r"ei ole olemassa", r"tuntematon (vastaanottaja|käyttäjä)"),
    lt=(r"neegzistuoja", r"nėra tokio"),
    he=(r"אינה קיימת", r"אינו קיים", r"לא קיים"),
    ar=(r"غير موجود",),
    fa=(r"وجود ندارد",),
)

SPAM = rule(
    SPAM_DETECTED,
    "spam",
    hu=(r"kéretlen",),
    el=(r"ανεπιθύμητ",),
    he=(r"דואר זבל",),
    ar=(r"بريد (عشوائي|مزعج)", r"رسائل مزعجة"),
    fa=(r"هرزنامه",),
)

RATE = rule(
    RATE_LIMITED,
    "rate",
    ru=(r"превышен(ы)? (лимит|предел)[^.]{0,20}(отправки|писем|сообщений)",),
    uk=(
        r"забагато (листів|повідомлень|з'єднань)",
        r"перевищено ліміт",
    ),
    cs=(r"příliš mnoho (zpráv|spojení|e-?mailů)",),
    hu=(r"túl sok (levél|üzenet|kapcsolat)",),
)

EXPIRY = rule(
    EXPIRED,
    "expired",
    pl=(r"przez \d{1,3} dni", r"próby (doręczenia|dostarczenia).{0,30}(przerwane|zakończone)"),
)

# Where they go in phrases.TEXT_RULES: RATE after RATE, SPAM after SPAM, EXPIRY after
# EXPIRY, ADDRESS after SENDER (before the English domain, disabled and user rules).
ADDRESS: list[TextRule] = [FULL, HOST, DISABLED, USER]
