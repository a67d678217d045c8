"""Which contact field each column of an import file fills (SPEC §2.3): `auto_map` guesses
from the header names, in the product's languages and a few more; `validate_mapping` checks a
mapping a person edited. Docs: docs/importing.md, "Column mapping"."""

from __future__ import annotations

import re
import unicodedata

from mailwright.contacts import attributes

__all__ = [
    "FIELDS",
    "TARGETS",
    "MappingError",
    "attribute_key",
    "auto_map",
    "normalize_header",
    "validate_mapping",
]

FIELDS = (
    "email",
    "name",
    "first_name",
    "last_name",
    "language",
    "time_zone",
    "tags",
    "birthday",
    "anniversary",
    "consent",  # evidence of consent: a date/time, yes/true, or a text naming the source
)
# A column maps to one of FIELDS, to "attributes.<key>" (a key as contacts.attributes.KEY
# allows), or to "" (ignored); each target takes at most one column.
TARGETS = (*FIELDS, "attributes.<key>", "")


class MappingError(ValueError):
    """A column mapping that cannot be used; the message names the problem."""


# Synonyms, written as people write them; compared after `normalize_header`.
# fmt: off
SYNONYMS: dict[str, tuple[str, ...]] = {
    "email": (
        "email", "e-mail", "mail", "email address", "e-mail address", "emailaddress",
        "mail address", "e-mail-adresse", "emailadresse", "mailadresse", "adresse e-mail",
        "adresse email", "adresse électronique", "courriel", "adres e-mail", "adres email",
        "e-mail adres", "poczta", "e-posta", "e-posta adresi", "eposta", "mail adresi",
        "correo", "correo electrónico", "dirección de correo", "dirección de correo electrónico",
        "email liên hệ", "địa chỉ email", "địa chỉ e-mail", "thư điện tử", "имейл",
        "имейл адрес", "е-мейл", "е-поща", "електронна поща", "email адрес",
    ),
    "name": (
        "name", "full name", "fullname", "display name", "contact name", "imię i nazwisko",
        "ad soyad", "adı soyadı", "isim soyisim", "nombre completo", "nombre y apellidos",
        "họ và tên", "họ tên", "име и фамилия", "пълно име", "vollständiger name",
        "nom complet",
    ),
    "first_name": (
        "first name", "firstname", "first", "given name", "forename", "imię", "ad", "adı",
        "isim", "nombre", "tên", "име", "собствено име", "vorname", "prénom",
    ),
    "last_name": (
        "last name", "lastname", "last", "surname", "family name", "nazwisko", "soyad",
        "soyadı", "soyisim", "apellido", "apellidos", "apellido(s)", "họ", "фамилия",
        "nachname", "familienname", "nom", "nom de famille",
    ),
    "language": (
        "language", "lang", "locale", "preferred language", "język", "dil", "idioma",
        "ngôn ngữ", "език", "sprache", "langue",
    ),
    "time_zone": (
        "time zone", "timezone", "tz", "strefa czasowa", "saat dilimi", "zona horaria",
        "múi giờ", "часова зона", "zeitzone", "fuseau horaire",
    ),
    "tags": (
        "tags", "tag", "labels", "label", "tagi", "etykiety", "etiketler", "etiket",
        "etiquetas", "etiqueta", "thẻ", "nhãn", "етикети", "тагове", "schlagwörter",
        "étiquettes",
    ),
    "birthday": (
        "birthday", "birth date", "birthdate", "date of birth", "dob", "data urodzenia",
        "urodziny", "doğum tarihi", "doğum günü", "fecha de nacimiento", "cumpleaños",
        "ngày sinh", "sinh nhật", "рождена дата", "дата на раждане", "рожден ден",
        "geburtsdatum", "geburtstag", "date de naissance", "anniversaire",
    ),
    "anniversary": (
        "anniversary", "rocznica", "yıl dönümü", "yıldönümü", "aniversario",
        "ngày kỷ niệm", "годишнина", "jahrestag",
    ),
    "consent": (
        "consent", "consent date", "consented", "consented at", "consent given", "opt-in",
        "opt in", "opted in", "opt-in date", "optin", "gdpr consent", "marketing consent",
        "zgoda", "zgoda marketingowa", "zgoda na marketing", "izin", "onay", "pazarlama izni",
        "consentimiento", "đồng ý", "sự đồng ý", "съгласие", "einwilligung", "consentement",
    ),
}
# fmt: on

# Letters that Unicode does not decompose into a base letter and a mark.
_FOLD = str.maketrans(
    {"ł": "l", "đ": "d", "ı": "i", "ß": "ss", "æ": "ae", "ø": "o", "œ": "oe", "þ": "th"}
)
# Bulgarian streamlined transliteration, for attribute keys of Cyrillic headers.
_CYRILLIC = str.maketrans(
    {
        "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ж": "zh", "з": "z",
        "и": "i", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p",
        "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "h", "ц": "ts", "ч": "ch",
        "ш": "sh", "щ": "sht", "ъ": "a", "ь": "y", "ю": "yu", "я": "ya", "ё": "yo",
        "ы": "y", "э": "e", "є": "ye", "і": "i", "ї": "yi", "ґ": "g",
    }
)  # fmt: skip


def _fold(text: str) -> str:
    """Lowercase, without accents or marks (NFKD), with ł, đ, ı… folded."""
    text = unicodedata.normalize("NFKC", text).casefold().translate(_FOLD)
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def normalize_header(header: str) -> str:
    """The comparison key of a header: folded, letters and digits only ("E-Mail-Adresse" and
    "e mail adresse" are both "emailadresse")."""
    return "".join(ch for ch in _fold(header) if ch.isalnum())


_BY_KEY: dict[str, str] = {}
for _target, _names in SYNONYMS.items():
    for _name in _names:
        _BY_KEY.setdefault(normalize_header(_name), _target)


def attribute_key(header: str) -> str:
    """The custom-attribute key for a header: lowercase [a-z0-9_], not starting with a digit,
    at most 64 characters ("Ulubiony kolor" → "ulubiony_kolor", "Град" → "grad", "2024
    score" → "_2024_score"); "" when nothing is left."""
    folded = _fold(header).translate(_CYRILLIC)
    slug = re.sub(r"[^a-z0-9]+", "_", folded).strip("_")
    if slug[:1].isdigit():
        slug = "_" + slug
    return slug[:64].rstrip("_")


def auto_map(headers: list[str]) -> dict[str, str]:
    """header -> target for every header. A known name maps to its field (the first column for
    a field that takes one); any other column to "attributes.<key>" (unique keys)."""
    mapping: dict[str, str] = {}
    taken: set[str] = set()
    for index, header in enumerate(headers, 1):
        target = _BY_KEY.get(normalize_header(header), "")
        if target and target not in taken:
            mapping[header] = target
            taken.add(target)
            continue
        key = attribute_key(header) or f"column_{index}"
        candidate, n = key, 1
        while f"attributes.{candidate}" in taken:
            n += 1
            suffix = f"_{n}"
            candidate = key[: 64 - len(suffix)] + suffix
        mapping[header] = f"attributes.{candidate}"
        taken.add(mapping[header])
    return mapping


def validate_mapping(mapping: dict, headers: list[str]) -> None:
    """Raise MappingError unless `mapping` (header -> target) can be used for a file with
    these headers: known columns, known targets, exactly one email column, and no field or
    attribute filled from two columns. Headers left out are ignored."""
    if not isinstance(mapping, dict):
        raise MappingError("The column mapping must be an object of column name → field.")
    known = set(headers)
    by_target: dict[str, list[str]] = {}
    for header, target in mapping.items():
        if not isinstance(header, str) or header not in known:
            raise MappingError(
                f"The file has no column {header!r}; its columns are {_names(headers)}."
            )
        if not isinstance(target, str):
            raise MappingError(f"Column {header!r}: the field must be text, not {target!r}.")
        if target == "":
            continue
        if target.startswith("attributes."):
            key = target.removeprefix("attributes.")
            if not attributes.KEY.match(key):
                raise MappingError(
                    f"Column {header!r}: {key!r} is not a valid attribute key (use 1 to 64 "
                    "lowercase letters a-z, digits and _, not starting with a digit)."
                )
        elif target not in FIELDS:
            raise MappingError(
                f"Column {header!r}: unknown field {target!r}; use one of "
                f"{', '.join(FIELDS)}, attributes.<key>, or leave it empty to ignore the column."
            )
        by_target.setdefault(target, []).append(header)
    emails = by_target.get("email", [])
    if not emails:
        raise MappingError(
            "No column is mapped to email: choose the column that holds the addresses "
            f"(the file's columns are {_names(headers)})."
        )
    for target, columns in by_target.items():
        if len(columns) > 1:
            raise MappingError(
                f"Columns {_names(columns)} are all mapped to {target}: choose one of them."
            )


def _names(headers: list[str], limit: int = 10) -> str:
    shown = ", ".join(repr(h) for h in headers[:limit])
    return shown + (f" and {len(headers) - limit} more" if len(headers) > limit else "")
