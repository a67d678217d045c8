"""The lists address hygiene judges by: role accounts, disposable domains, the mailbox
providers whose misspellings we recognise, and misspelled top-level domains (docs/hygiene.md).
"""

from __future__ import annotations

from functools import lru_cache

from disposable_email_domains import allowlist as _disposable_allowlist
from disposable_email_domains import blocklist as _disposable_blocklist

# Local parts that name a function, not a person (RFC 2142 and common practice): mail to them
# reaches a team or nobody, they never gave consent themselves, and a list full of them was
# usually scraped from web sites. Compared case-insensitively, with a +tag removed.
ROLE_ACCOUNTS = frozenset(
    {
        # RFC 2142 and the usual English ones
        "abuse", "accounting", "accounts", "admin", "administrator", "billing", "careers",
        "compliance", "contact", "contactus", "customercare", "customerservice", "dev",
        "devnull", "do-not-reply", "donotreply", "do_not_reply", "enquiries", "enquiry",
        "feedback", "finance", "help", "helpdesk", "hello", "hostmaster", "hr", "info",
        "inquiries", "it", "jobs", "legal", "list", "mail", "mailer-daemon", "marketing",
        "media", "news", "newsletter", "no-reply", "noc", "noreply", "no_reply", "office",
        "orders", "postmaster", "press", "privacy", "recruitment", "reception", "root",
        "sales", "security", "service", "shop", "spam", "staff", "support", "sysadmin",
        "team", "tech", "test", "usenet", "uucp", "webmaster", "www",
        # Polish
        "biuro", "kontakt", "sekretariat", "sklep", "zamowienia", "ksiegowosc", "rekrutacja",
        "praca", "obsluga", "pomoc", "handel", "recepcja", "faktury",
        # Turkish
        "iletisim", "bilgi", "destek", "satis", "muhasebe", "insankaynaklari", "ik",
        "siparis", "yonetim",
        # Spanish
        "contacto", "informacion", "ventas", "soporte", "administracion", "facturacion",
        "empleo", "rrhh", "atencionalcliente", "pedidos", "recepcion",
        # Vietnamese (as written without diacritics)
        "lienhe", "hotro", "kinhdoanh", "tuyendung", "ketoan", "cskh",
        # Bulgarian (transliterated)
        "ofis", "poddrazhka", "prodazhbi", "zapitvania",
        # German, French, Italian, Portuguese: frequent in the same lists
        "vertrieb", "buchhaltung", "bewerbung", "verwaltung", "commercial", "comptabilite",
        "emploi", "accueil", "contatti", "amministrazione", "vendite", "contato", "vendas",
        "suporte",
    }
)  # fmt: skip

# Mailbox providers whose domains people mistype. A domain on this list is never "corrected";
# a domain one or two edits away from one of them gets it as a suggestion. Listed in rough
# order of use, which settles ties.
PROVIDERS = (
    "gmail.com", "yahoo.com", "hotmail.com", "outlook.com", "icloud.com", "googlemail.com",
    "live.com", "aol.com", "msn.com", "me.com", "mac.com", "protonmail.com", "proton.me",
    "gmx.de", "gmx.net", "gmx.com", "gmx.at", "gmx.ch", "web.de", "t-online.de",
    "freenet.de", "wp.pl", "o2.pl", "onet.pl", "op.pl", "onet.eu", "vp.pl", "interia.pl",
    "interia.eu", "poczta.fm", "gazeta.pl", "tlen.pl", "int.pl", "yandex.ru", "yandex.com",
    "ya.ru", "mail.ru", "bk.ru", "inbox.ru", "list.ru", "rambler.ru", "abv.bg", "mail.bg",
    "dir.bg", "yahoo.co.jp", "yahoo.co.uk", "yahoo.fr", "yahoo.de", "yahoo.es", "yahoo.it",
    "ymail.com", "rocketmail.com", "hotmail.co.uk", "hotmail.fr", "hotmail.de",
    "hotmail.es", "hotmail.it", "outlook.fr", "outlook.de", "outlook.es", "live.co.uk",
    "live.fr", "live.de", "live.nl", "live.it", "btinternet.com", "comcast.net",
    "verizon.net", "att.net", "sbcglobal.net", "orange.fr", "free.fr", "laposte.net",
    "libero.it", "virgilio.it", "seznam.cz", "mail.com", "zoho.com", "fastmail.com",
    "qq.com", "163.com", "126.com", "naver.com", "daum.net", "hanmail.net", "yahoo.com.vn",
    "yahoo.com.tr", "hotmail.com.tr", "windowslive.com", "terra.com.br", "uol.com.br",
    "bol.com.br", "email.com", "hotmail.nl", "hotmail.be", "hotmail.ca", "live.ca",
    "live.be", "live.at", "outlook.it", "outlook.at", "yahoo.ca", "yahoo.in", "yahoo.gr",
    "yahoo.com.au", "yahoo.com.br", "yahoo.com.mx", "yahoo.co.in",
)  # fmt: skip
_PROVIDER_SET = frozenset(PROVIDERS)
_MAX_PROVIDER_LENGTH = max(map(len, PROVIDERS))
# Providers with domains in many countries (hotmail.se, yahoo.co.id, gmx.fr): their name with
# another plausible country code is one of theirs, not a typo.
# "ana@gmail" (no TLD at all) → gmail.com: the first provider with that name.
_BY_NAME: dict[str, str] = {}
for _provider in PROVIDERS:
    _BY_NAME.setdefault(_provider.split(".", 1)[0], _provider)
_COUNTRY_FAMILIES = frozenset({"hotmail", "live", "outlook", "yahoo", "gmx", "msn", "aol"})

# Top-level domains that do not exist but are one slip of the finger from one that does
# (.con is not a TLD; .co and .cm are, so they are not here).
TLD_TYPOS = {
    "con": "com", "cmo": "com", "comm": "com", "ocm": "com", "vom": "com", "xom": "com",
    "cpm": "com", "coom": "com", "cim": "com", "copm": "com", "comn": "com", "clm": "com",
    "nte": "net", "nett": "net", "ner": "net", "nrt": "net",
    "ogr": "org", "orgg": "org", "prg": "org",
    "pll": "pl", "ppl": "pl",
}  # fmt: skip


def _max_edits(provider: str) -> int:
    # Two edits turn a short domain into another real one (foo.com → zoho.com), so shorter
    # names only get single-edit suggestions.
    return 2 if len(provider) >= 10 else 1


# One edit to a very short name is another real domain (aol.com → aon.com, wp.pl → wo.pl):
# for these only a misspelled ending is corrected (wp.p → wp.pl).
_SHORT_NAMES = frozenset(p.partition(".")[0] for p in PROVIDERS if len(p.partition(".")[0]) <= 3)
_CANDIDATES = tuple(
    (p, p.partition(".")[0], p.partition(".")[0] in _SHORT_NAMES) for p in PROVIDERS
)


def edit_distance(a: str, b: str, limit: int) -> int:
    """Optimal string alignment distance (insert, delete, substitute, swap two neighbours),
    or limit + 1 as soon as it must exceed limit."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                value = min(value, previous2[j - 2] + 1)
            current[j] = value
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


def _country_variant(domain: str) -> bool:
    first, _, rest = domain.partition(".")
    if first not in _COUNTRY_FAMILIES or not rest:
        return False
    *second, country = rest.split(".")
    return len(country) == 2 and country.isalpha() and all(x in {"co", "com"} for x in second)


@lru_cache(maxsize=65536)
def suggest_domain(domain: str) -> str | None:
    """The provider domain a (lower-case, ASCII) domain is most likely a misspelling of, or the
    domain with its misspelled TLD corrected; None when it looks fine or is a provider."""
    if domain in _PROVIDER_SET:
        return None
    if domain in _BY_NAME:
        return _BY_NAME[domain]
    name, dot, tld = domain.rpartition(".")
    if len(domain) <= _MAX_PROVIDER_LENGTH + 2 and not _country_variant(domain):
        best, best_distance = None, 3
        first = name.partition(".")[0]
        for provider, provider_first, short in _CANDIDATES:
            if (short or first in _SHORT_NAMES) and first != provider_first:
                continue
            limit = min(_max_edits(provider), best_distance - 1)
            distance = edit_distance(domain, provider, limit)
            if distance <= limit:
                best, best_distance = provider, distance
                if distance == 1:
                    break
        if best is not None:
            return best
    fixed = TLD_TYPOS.get(tld)
    if dot and name and fixed:
        return f"{name}.{fixed}"
    return None


@lru_cache(maxsize=65536)
def disposable_domain(domain: str) -> str | None:
    """The entry of the disposable-email-domains block list that the (lower-case, ASCII)
    domain is or is a subdomain of, or None."""
    if domain in _disposable_allowlist:
        return None
    labels = domain.split(".")
    for i in range(len(labels) - 1):
        candidate = ".".join(labels[i:])
        if candidate in _disposable_blocklist:
            return candidate
    return None


def role_account(local_part: str) -> str | None:
    """The role name ("info") when the local part is one (case and a +tag ignored)."""
    name = local_part.lower()
    if "+" in name:
        name = name.split("+", 1)[0]
    return name if name in ROLE_ACCOUNTS else None
