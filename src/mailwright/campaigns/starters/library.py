"""Loading, building and installing the starter library (the JSON format is described in
__init__.py).

`load()` reads every starter, `build(starter, language)` gives (subject, html, text) ready to
render, `sync()` writes them into Template/TemplateTranslation. sync() runs after every
migrate (campaigns.apps) and is cheap when nothing changed: each starter's source hash is
kept in the first line of its stored MJML and compared before anything is built.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

from django.db import connections, transaction

from mailwright.campaigns.models import Template, TemplateTranslation
from mailwright.campaigns.service_templates import LANGUAGES
from mailwright.campaigns.templates import compile_mjml

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
# Bump when build() would give different output for the same sources.
BUILD_VERSION = "1"
REQUIRED_STRINGS = ("subject", "preheader")
TEXT_FOOTER = "\n-- \n[[footer_note]]\n{{ organisation.name }}\n{{ organisation.address }}\n"

_PLACEHOLDER = re.compile(r"\[\[([a-z0-9_]+)\]\]")
_HASH_LINE = re.compile(r"^<!-- mailwright starter [a-z0-9-]+ sha256:([0-9a-f]{64}) -->\n")
_KEY = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
_built: dict[tuple[str, str], tuple[str, str, str]] = {}


class StarterError(ValueError):
    """A starter file is malformed (a bug in the library, caught by the tests)."""


@dataclass(frozen=True)
class Starter:
    key: str
    name: str
    description: str
    fields: dict
    body: str
    text: str
    strings: dict
    digest: str = field(repr=False)

    def example(self) -> dict:
        """The documented example data: every field's `example`."""
        return {n: spec["example"] for n, spec in self.fields.items() if "example" in spec}


def _layout() -> tuple[str, dict]:
    mjml = (HERE / "_layout.mjml").read_text(encoding="utf-8")
    strings = json.loads((HERE / "_layout.json").read_text(encoding="utf-8"))
    return mjml, strings


def _parse(path: Path, layout_source: str) -> Starter:
    raw = path.read_text(encoding="utf-8")
    try:
        spec = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise StarterError(f"{path.name}: not valid JSON: {exc}") from None
    for name in ("key", "name", "description", "fields", "body", "text", "strings"):
        if name not in spec:
            raise StarterError(f"{path.name}: no '{name}'")
    if not _KEY.match(spec["key"]) or path.stem != spec["key"]:
        raise StarterError(f"{path.name}: the key must be the file name, lowercase-with-dashes")
    missing = [lang for lang in LANGUAGES if lang not in spec["strings"]]
    if missing:
        raise StarterError(f"{path.name}: no strings for {', '.join(missing)}")
    english = set(spec["strings"]["en"])
    for lang in LANGUAGES:
        have = set(spec["strings"][lang])
        for name in REQUIRED_STRINGS:
            if not str(spec["strings"][lang].get(name, "")).strip():
                raise StarterError(f"{path.name}: strings.{lang}.{name} is empty")
        if have != english:
            diff = sorted(have ^ english)
            raise StarterError(f"{path.name}: strings.{lang} differ from en in {diff}")
    digest = hashlib.sha256(
        "\0".join((BUILD_VERSION, layout_source, raw)).encode("utf-8")
    ).hexdigest()
    return Starter(
        key=spec["key"],
        name=spec["name"],
        description=spec["description"],
        fields=spec["fields"],
        body=spec["body"],
        text=spec["text"],
        strings=spec["strings"],
        digest=digest,
    )


def load() -> list[Starter]:
    """Every starter in this directory, by key."""
    mjml, strings = _layout()
    layout_source = mjml + json.dumps(strings, sort_keys=True)
    return [_parse(p, layout_source) for p in sorted(HERE.glob("[!_]*.json"))]


def get(key: str) -> Starter:
    for starter in load():
        if starter.key == key:
            return starter
    raise KeyError(key)


def _fill(source: str, strings: dict, where: str) -> str:
    def sub(match: re.Match) -> str:
        name = match.group(1)
        if name not in strings:
            raise StarterError(f"{where}: no string for [[{name}]]")
        return strings[name]

    return _PLACEHOLDER.sub(sub, source)


def build_sources(starter: Starter, language: str) -> tuple[str, str, str]:
    """(subject, MJML, text) of one language: placeholders filled, layout applied."""
    layout, layout_strings = _layout()
    strings = {**layout_strings[language], **starter.strings[language], "lang": language}
    where = f"{starter.key}/{language}"
    subject = _fill(strings["subject"], strings, where)
    mjml = _fill(layout.replace("[[body]]", starter.body), strings, where)
    text = _fill(starter.text.rstrip("\n") + "\n" + TEXT_FOOTER, strings, where)
    return subject, mjml, text


def build(starter: Starter, language: str) -> tuple[str, str, str]:
    """(subject, HTML, text) of one language, the HTML compiled by MRML (its styles are
    already inline: MRML writes them on each element; the <style> block only holds the
    media queries). Cached by the starter's source hash."""
    cache_key = (starter.digest, language)
    if cache_key not in _built:
        subject, mjml, text = build_sources(starter, language)
        _built[cache_key] = (subject, compile_mjml(mjml), text)
    return _built[cache_key]


def stored_digest(template: Template) -> str | None:
    match = _HASH_LINE.match(template.mjml or "")
    return match.group(1) if match else None


def _with_digest(starter: Starter, mjml: str) -> str:
    return f"<!-- mailwright starter {starter.key} sha256:{starter.digest} -->\n{mjml}"


def install(starter: Starter, *, using: str = "default") -> Template:
    """Write one starter: its Template (English) and one TemplateTranslation per other
    language; translations of languages it no longer has are removed."""
    built = {lang: build(starter, lang) for lang in LANGUAGES}
    sources = {lang: build_sources(starter, lang)[1] for lang in LANGUAGES}
    with transaction.atomic(using=using):
        tpl = Template.objects.using(using).filter(key=starter.key).first() or Template(
            key=starter.key
        )
        subject, html, text = built["en"]
        tpl.kind = Template.Kind.SERVICE
        tpl.starter = True
        tpl.language = "en"
        tpl.name = starter.name
        tpl.description = starter.description
        tpl.fields = starter.fields
        tpl.subject, tpl.html, tpl.text = subject, html, text
        tpl.mjml = _with_digest(starter, sources["en"])
        tpl.save(using=using)
        others = [lang for lang in LANGUAGES if lang != "en"]
        for lang in others:
            subject, html, text = built[lang]
            TemplateTranslation.objects.using(using).update_or_create(
                template=tpl,
                language=lang,
                defaults={
                    "subject": subject,
                    "html": html,
                    "text": text,
                    "mjml": _with_digest(starter, sources[lang]),
                },
            )
        TemplateTranslation.objects.using(using).filter(template=tpl).exclude(
            language__in=others
        ).delete()
    return tpl


def sync(*, using: str = "default") -> dict[str, int]:
    """Install every starter that is missing or changed; idempotent. A template with a
    starter's key that an operator made (starter=False) is left alone."""
    counts = {"created": 0, "updated": 0, "unchanged": 0, "skipped": 0}
    existing = {
        t.key: t
        for t in Template.objects.using(using)
        .filter(key__isnull=False)
        .only("id", "key", "starter", "mjml")
    }
    for starter in load():
        tpl = existing.get(starter.key)
        if tpl is not None and not tpl.starter:
            log.warning("starter %s not installed: a template with that key exists", starter.key)
            counts["skipped"] += 1
        elif tpl is not None and stored_digest(tpl) == starter.digest:
            counts["unchanged"] += 1
        else:
            install(starter, using=using)
            counts["created" if tpl is None else "updated"] += 1
    return counts


def _tables_ready(using: str) -> bool:
    """False when migrate left the template tables older than this code (migrating
    backwards, or a partial plan): there is nothing to install into yet."""
    with connections[using].cursor() as cursor:
        intro = connections[using].introspection
        tables = set(intro.table_names(cursor))
        if not {Template._meta.db_table, TemplateTranslation._meta.db_table} <= tables:
            return False
        columns = {c.name for c in intro.get_table_description(cursor, Template._meta.db_table)}
    return {"key", "kind", "starter", "fields"} <= columns


def after_migrate(sender, using: str = "default", **kwargs) -> None:
    """post_migrate receiver (campaigns.apps)."""
    if not _tables_ready(using):
        return
    counts = sync(using=using)
    if counts["created"] or counts["updated"]:
        log.info("starter templates: %s", counts)
