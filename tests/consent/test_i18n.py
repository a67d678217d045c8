"""Translations of the public pages and system emails (pl, tr, es, vi, bg).

The expected strings are written out here, not read from the catalogs, so a lost or broken
catalog fails these tests. The catalog checks make sure every shipped .po file is complete
(no empty or fuzzy entries) and that the committed .mo file matches it: CI does not compile.
"""

from __future__ import annotations

import ast
import gettext
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.utils import translation
from django.utils.html import escape

import mailwright
from mailwright.consent.organisation import current as current_organisation
from mailwright.consent.topics import create_topic
from mailwright.delivery.compose import add_footer
from mailwright.delivery.models import Delivery

PACKAGE = Path(mailwright.__file__).resolve().parent
LOCALE = PACKAGE / "locale"
LANGS = ["pl", "tr", "es", "vi", "bg"]

PLURAL_FORMS = {
    "pl": "nplurals=3; plural=(n==1 ? 0 : n%10>=2 && n%10<=4 && (n%100<10 || n%100>=20) ? 1 : 2);",
    "tr": "nplurals=2; plural=(n != 1);",
    "es": "nplurals=2; plural=(n != 1);",
    "vi": "nplurals=1; plural=0;",
    "bg": "nplurals=2; plural=(n != 1);",
}

# "Subscribe to %(org)s" (the heading), "Email address", "What would you like to receive?"
SUBSCRIBE_PAGE = {
    "pl": ("Zapisz się na wiadomości od {org}", "Adres e-mail", "Co chcesz otrzymywać?"),
    "tr": ("{org} e-postalarına abone olun", "E-posta adresi", "Neler almak istersiniz?"),
    "es": ("Suscribirse a {org}", "Dirección de correo electrónico", "¿Qué desea recibir?"),
    "vi": ("Đăng ký nhận email từ {org}", "Địa chỉ email", "Bạn muốn nhận những gì?"),
    "bg": ("Абонирайте се за {org}", "Имейл адрес", "Какво бихте искали да получавате?"),
}
SUBSCRIBE_BUTTON = {
    "pl": "Subskrybuj",
    "tr": "Abone ol",
    "es": "Suscribirme",
    "vi": "Đăng ký",
    "bg": "Абониране",
}
BAD_LINK = {
    "pl": "Ten link nie działa",
    "tr": "Bu bağlantı çalışmıyor",
    "es": "Este enlace no funciona",
    "vi": "Liên kết này không hoạt động",
    "bg": "Тази връзка не работи",
}
UNSUBSCRIBE = {
    "pl": "Wypisz się",
    "tr": "Abonelikten çık",
    "es": "Cancelar la suscripción",
    "vi": "Hủy đăng ký",
    "bg": "Отписване",
}
PREFERENCES = {
    "pl": "Preferencje e-mailowe",
    "tr": "E-posta tercihleri",
    "es": "Preferencias de correo electrónico",
    "vi": "Tùy chọn email",
    "bg": "Предпочитания за имейли",
}
OPTIN_SUBJECT = {
    "pl": "Potwierdź subskrypcję wiadomości od {org}",
    "tr": "Lütfen {org} aboneliğinizi onaylayın",
    "es": "Confirme su suscripción a {org}",
    "vi": "Vui lòng xác nhận đăng ký nhận email từ {org}",
    "bg": "Моля, потвърдете абонамента си за {org}",
}
# The opt-in link is valid for 7 days.
OPTIN_VALIDITY = {
    "pl": "Link jest ważny przez 7 dni.",
    "tr": "Bağlantı 7 gün geçerlidir.",
    "es": "El enlace es válido durante 7 días.",
    "vi": "Liên kết có hiệu lực trong 7 ngày.",
    "bg": "Връзката е валидна 7 дни.",
}


@pytest.fixture
def topics(db):
    return [create_topic(key="news", name="Newsletter", consent_text="Monthly news.")]


# --- pages ----------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("lang", LANGS)
def test_subscribe_page_in_the_language_asked_for(client, topics, lang):
    response = client.get("/subscribe/", {"lang": lang})
    assert response.status_code == 200
    page = response.content.decode()
    assert f'<html lang="{lang}">' in page
    heading, email_label, legend = SUBSCRIBE_PAGE[lang]
    org = current_organisation().name
    assert f"<h1>{escape(heading.format(org=org))}</h1>" in page
    assert escape(email_label) in page and escape(legend) in page
    assert escape(SUBSCRIBE_BUTTON[lang]) in page
    assert "Email address" not in page


@pytest.mark.django_db
@pytest.mark.parametrize("lang", LANGS)
def test_subscribe_page_follows_accept_language(client, topics, lang):
    response = client.get("/subscribe/", HTTP_ACCEPT_LANGUAGE=f"{lang},en;q=0.5")
    assert response.status_code == 200
    page = response.content.decode()
    assert f'<html lang="{lang}">' in page
    assert escape(SUBSCRIBE_PAGE[lang][1]) in page
    assert "What would you like to receive?" not in page


@pytest.mark.django_db
@pytest.mark.parametrize("lang", LANGS)
def test_bad_link_page_is_translated(client, lang):
    response = client.get("/u/garbage", HTTP_ACCEPT_LANGUAGE=lang)
    assert response.status_code == 400
    page = response.content.decode()
    assert f'<html lang="{lang}">' in page
    assert f"<h1>{escape(BAD_LINK[lang])}</h1>" in page
    assert "This link does not work" not in page


@pytest.mark.django_db
@pytest.mark.parametrize("lang", LANGS)
def test_optin_email_is_in_the_subscribers_language(client, topics, lang):
    response = client.post(
        f"/subscribe/?lang={lang}",
        {"email": f"{lang}@example.com", "topic": ["news"], "v_news": "1", "language": lang},
    )
    assert response.status_code == 200
    [mail] = Delivery.objects.filter(content__kind="optin")
    org = current_organisation().name
    assert mail.content["subject"] == OPTIN_SUBJECT[lang].format(org=org)
    assert OPTIN_VALIDITY[lang] in mail.content["text"]
    assert escape(OPTIN_VALIDITY[lang]) in mail.content["html"]
    assert f'<html lang="{lang}">' in mail.content["html"]


# --- Python strings -------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_gettext_unsubscribe(lang):
    with translation.override(lang):
        assert translation.gettext("Unsubscribe") == UNSUBSCRIBE[lang]
        assert translation.gettext("Email preferences") == PREFERENCES[lang]


@pytest.mark.parametrize("lang", LANGS)
def test_compliance_footer_is_translated(lang):
    ctx = {
        "organisation": {"name": "Acme", "address": "1 Test Street"},
        "unsubscribe_url": "https://example.com/u/x",
        "preferences_url": "https://example.com/p/x",
    }
    html, text = add_footer("<html><body><p>Hi</p></body></html>", "Hi\n", ctx, None, lang)
    assert f"{UNSUBSCRIBE[lang]}: https://example.com/u/x" in text
    assert f"{PREFERENCES[lang]}: https://example.com/p/x" in text
    assert f">{escape(UNSUBSCRIBE[lang])}</a>" in html
    assert "You receive this email" not in text


# --- catalogs -------------------------------------------------------------------------------


def read_po(path: Path) -> list[dict]:
    """A minimal .po reader: entries with msgid, msgid_plural, msgstr list, flags, obsolete."""
    entries: list[dict] = []
    entry: dict | None = None
    field = None

    def finish():
        if entry is not None and (entry["msgid"] is not None):
            entries.append(entry)

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line:
            finish()
            entry, field = None, None
            continue
        if entry is None:
            entry = {"msgid": None, "msgid_plural": None, "msgstr": {}, "flags": set()}
            entry["obsolete"] = False
        if line.startswith("#~"):
            entry["obsolete"] = True
            continue
        if line.startswith("#,"):
            entry["flags"].update(f.strip() for f in line[2:].split(","))
            continue
        if line.startswith("#"):
            continue
        match = re.match(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(".*")$', line)
        if match:
            keyword, index, value = match.groups()
            value = ast.literal_eval(value)
            if keyword == "msgstr":
                field = ("msgstr", 0)
            elif keyword.startswith("msgstr["):
                field = ("msgstr", int(index))
            else:
                field = (keyword, None)
            if field[0] == "msgstr":
                entry["msgstr"][field[1]] = value
            else:
                entry[field[0]] = value
        elif line.startswith('"') and field is not None:
            value = ast.literal_eval(line)
            if field[0] == "msgstr":
                entry["msgstr"][field[1]] += value
            else:
                entry[field[0]] += value
        else:
            raise AssertionError(f"{path}: cannot read line {raw!r}")
    finish()
    return entries


def catalog(lang: str) -> tuple[dict, list[dict]]:
    po = LOCALE / lang / "LC_MESSAGES" / "django.po"
    assert po.is_file(), f"missing {po}"
    entries = read_po(po)
    header = [e for e in entries if e["msgid"] == ""]
    assert len(header) == 1, f"{po}: needs exactly one header"
    fields = dict(
        line.split(": ", 1) for line in header[0]["msgstr"][0].splitlines() if ": " in line
    )
    return fields, [e for e in entries if e["msgid"] != ""]


@pytest.mark.parametrize("lang", LANGS)
def test_po_header_is_filled_in(lang):
    fields, _ = catalog(lang)
    assert fields["Language"] == lang
    assert fields["Plural-Forms"] == PLURAL_FORMS[lang]
    assert fields["Content-Type"] == "text/plain; charset=UTF-8"
    for key in ("Project-Id-Version", "PO-Revision-Date", "Last-Translator", "Language-Team"):
        assert fields.get(key) and "YEAR" not in fields[key] and "PACKAGE" not in fields[key]


@pytest.mark.parametrize("lang", LANGS)
def test_po_is_complete(lang):
    fields, entries = catalog(lang)
    nplurals = int(re.search(r"nplurals=(\d+)", fields["Plural-Forms"]).group(1))
    assert entries, "empty catalog"
    for e in entries:
        assert not e["obsolete"], f"{lang}: obsolete entry {e['msgid']!r}"
        assert "fuzzy" not in e["flags"], f"{lang}: fuzzy entry {e['msgid']!r}"
        expected = nplurals if e["msgid_plural"] is not None else 1
        assert sorted(e["msgstr"]) == list(range(expected)), f"{lang}: forms of {e['msgid']!r}"
        for text in e["msgstr"].values():
            assert text.strip(), f"{lang}: untranslated {e['msgid']!r}"
            # Placeholders and tags must survive translation.
            tokens = re.compile(r"%\(\w+\)[sd]|</?\w+>")
            assert sorted(tokens.findall(text)) == sorted(tokens.findall(e["msgid"])), (
                f"{lang}: placeholders differ in {text!r}"
            )


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="GNU gettext is not installed")
@pytest.mark.parametrize("lang", LANGS)
def test_msgfmt_accepts_the_po(lang, tmp_path):
    po = LOCALE / lang / "LC_MESSAGES" / "django.po"
    result = subprocess.run(
        [shutil.which("msgfmt"), "--check", "--statistics", "-o", str(tmp_path / "x.mo"), str(po)],
        capture_output=True,
        text=True,
        env={**os.environ, "LC_ALL": "C", "LANGUAGE": ""},
    )
    assert result.returncode == 0, result.stderr
    assert "fuzzy" not in result.stderr and "untranslated" not in result.stderr, result.stderr


@pytest.mark.parametrize("lang", LANGS)
def test_committed_mo_matches_the_po(lang):
    _, entries = catalog(lang)
    mo = LOCALE / lang / "LC_MESSAGES" / "django.mo"
    assert mo.is_file(), f"missing {mo}: run compilemessages"
    with mo.open("rb") as fh:
        compiled = gettext.GNUTranslations(fh)
    msgids = {key[0] if isinstance(key, tuple) else key for key in compiled._catalog}
    msgids.discard("")
    assert len(msgids) == len(entries), f"{mo} is out of date: recompile it"
    for e in entries:
        if e["msgid_plural"] is None:
            assert compiled.gettext(e["msgid"]) == e["msgstr"][0], f"{mo}: {e['msgid']!r}"
        else:
            for index, text in e["msgstr"].items():
                assert compiled._catalog.get((e["msgid"], index)) == text, f"{mo}: {e['msgid']!r}"


SIMPLE_TEMPLATE_STRING = re.compile(r'{%\s*(?:translate|trans)\s+"([^"]+)"')
SIMPLE_PYTHON_STRING = re.compile(r'\b_\(\s*"([^"]+)"\s*\)')


def marked_strings() -> set[str]:
    """Plain `{% translate "..." %}` and `_("...")` strings of the translated sources."""
    found = set()
    for path in (PACKAGE / "consent" / "templates").rglob("*"):
        if path.suffix in (".html", ".txt"):
            found.update(SIMPLE_TEMPLATE_STRING.findall(path.read_text(encoding="utf-8")))
    for path in [*(PACKAGE / "consent").glob("*.py"), PACKAGE / "delivery" / "compose.py"]:
        found.update(SIMPLE_PYTHON_STRING.findall(path.read_text(encoding="utf-8")))
    return found


@pytest.mark.parametrize("lang", LANGS)
def test_catalogs_cover_the_marked_strings(lang):
    """A new string in a public page needs `makemessages` and translations (see module doc)."""
    _, entries = catalog(lang)
    missing = marked_strings() - {e["msgid"] for e in entries}
    assert not missing, f"{lang}: not in the catalog, run makemessages: {sorted(missing)}"
