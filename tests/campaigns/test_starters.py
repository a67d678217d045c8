"""The starter library (SPEC §5.3): every starter builds and renders in the six languages
with its documented example data, declares exactly the data it uses, and is installed by
migrate, idempotently."""

from __future__ import annotations

import re

import pytest
from markupsafe import Markup

from mailwright.campaigns.models import Template, TemplateTranslation
from mailwright.campaigns.service_templates import (
    LANGUAGES,
    data_names,
    lint_service,
    render_service,
    validate_data,
)
from mailwright.campaigns.starters import library
from mailwright.consent import organisation

pytestmark = pytest.mark.django_db

STARTERS = library.load()
KEYS = [s.key for s in STARTERS]
CONTACT = {"email": "ana@example.com", "name": "Ana Kowalska", "first_name": "Ana"}
GMAIL_CLIPS = 102 * 1024


class Spy(dict):
    """A dict that remembers which keys a template asked for and did not find."""

    def __init__(self, value, missing: list[str], path: str = "data") -> None:
        super().__init__(
            {k: _spy(v, missing, f"{path}.{k}") for k, v in value.items()},
        )
        self.missing, self.path = missing, path

    def __missing__(self, key):
        self.missing.append(f"{self.path}.{key}")
        raise KeyError(key)


def _spy(value, missing, path):
    if isinstance(value, dict):
        return Spy(value, missing, path)
    if isinstance(value, list):
        return [_spy(v, missing, f"{path}[]") for v in value]
    return value


def _render(key: str, language: str, data: dict, consent: bool = False):
    tpl = Template.objects.get(key=key)
    return render_service(
        tpl,
        language=language,
        data=validate_data(tpl, data),
        contact=CONTACT,
        marketing_consent=consent,
    )


def test_the_library_has_the_starters_of_part_a():
    assert {
        "order-confirmation",
        "preorder-confirmation",
        "order-shipped",
        "order-delivered",
        "password-reset",
    } <= set(KEYS)


def test_delivered_carries_the_rating_row():
    """The surveys app's survey_row is a global of every template: the delivered starter
    shows the question and the row (inert links here: no real recipient); a render may
    also supply its own row."""
    tpl = Template.objects.get(key="order-delivered")
    data = validate_data(tpl, library.get("order-delivered").example())
    calls = []

    def survey_row(key, scale):
        calls.append((key, scale))
        return Markup('<table class="rating-row"><tr><td>★</td></tr></table>')

    plain = render_service(tpl, language="tr", data=data, contact=CONTACT)
    rated = render_service(
        tpl, language="tr", data=data, contact=CONTACT, extra={"survey_row": survey_row}
    )
    assert 'class="mw-survey"' in plain.html and "memnun kaldınız" in plain.html
    assert '<table class="rating-row">' in rated.html
    assert "Teslimattan ne kadar memnun kaldınız?" in rated.html
    assert calls == [("delivery", "stars")]


def test_order_confirmation_promo_only_with_marketing_consent():
    tpl = Template.objects.get(key="order-confirmation")
    data = validate_data(tpl, library.get("order-confirmation").example())
    title = data["promo"]["title"]
    without = render_service(tpl, language="es", data=data, contact=CONTACT)
    with_consent = render_service(
        tpl, language="es", data=data, contact=CONTACT, marketing_consent=True
    )
    assert title not in without.html and title not in without.text
    assert "Ver la oferta" not in without.html
    assert title in with_consent.html and title in with_consent.text
    assert "Ver la oferta" in with_consent.html
    codes = {w["code"] for w in lint_service(tpl)}
    assert "promotional_content" in codes


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("key", KEYS)
def test_starter_renders_with_its_example_data(key, language, settings):
    starter = library.get(key)
    missing: list[str] = []
    tpl = Template.objects.get(key=key)
    data = Spy(validate_data(tpl, starter.example()), missing)
    for consent in (False, True):
        out = render_service(
            tpl, language=language, data=data, contact=CONTACT, marketing_consent=consent
        )
        assert out.language == language
        assert missing == [], f"the template uses data it does not declare: {missing}"
        for part in (out.subject, out.html, out.text):
            assert "[[" not in part and "]]" not in part
            assert "None" not in part and "{{" not in part and "{%" not in part
        assert out.subject.strip()
        assert out.text.strip()
        assert len(out.html.encode("utf-8")) < GMAIL_CLIPS
        assert f'<html lang="{language}"' in out.html
        # the organisation's footer, with the postal address, in both parts
        for part in (out.html, out.text):
            assert organisation.context()["name"] in part
        assert settings.ORGANISATION_ADDRESS.splitlines()[0] in out.text


@pytest.mark.parametrize("key", KEYS)
def test_starter_declares_exactly_the_data_it_uses(key):
    starter = library.get(key)
    sources = [starter.body, starter.text] + [
        v for strings in starter.strings.values() for v in strings.values()
    ]
    used = set().union(*(data_names(s) for s in sources))
    assert used == set(starter.fields), (
        f"used but not declared: {sorted(used - set(starter.fields))};"
        f" declared but unused: {sorted(set(starter.fields) - used)}"
    )
    whole = "\n".join(sources)
    for name, spec in starter.fields.items():
        assert spec.get("description"), f"{name} has no description"
        assert "example" in spec, f"{name} has no example"
        for sub in spec.get("items") or spec.get("fields") or {}:
            assert re.search(rf"\.{sub}\b|\['{sub}'\]", whole), f"{name}.{sub} is never used"


@pytest.mark.parametrize("key", KEYS)
def test_starter_renders_with_only_its_required_data(key):
    starter = library.get(key)
    required = {n: s["example"] for n, s in starter.fields.items() if s.get("required")}
    for language in LANGUAGES:
        out = _render(key, language, required)
        assert "None" not in out.text and "None" not in out.html
        assert out.subject.strip() and out.text.strip()


def test_migrate_installed_every_starter_in_six_languages():
    installed = Template.objects.filter(starter=True).order_by("key")
    assert [t.key for t in installed] == sorted(KEYS)
    for tpl in installed:
        assert (tpl.kind, tpl.language) == ("service", "en")
        assert tpl.fields == library.get(tpl.key).fields
        languages = sorted(tpl.translations.values_list("language", flat=True))
        assert languages == sorted(set(LANGUAGES) - {"en"})


def test_sync_is_idempotent_and_repairs_a_changed_starter():
    assert library.sync() == {
        "created": 0,
        "updated": 0,
        "unchanged": len(KEYS),
        "skipped": 0,
    }
    ids = sorted(Template.objects.filter(starter=True).values_list("id", flat=True))
    # a starter whose stored copy is out of date (an older release) is rewritten in place
    tpl = Template.objects.get(key="password-reset")
    Template.objects.filter(pk=tpl.pk).update(subject="old", mjml="<mjml></mjml>")
    TemplateTranslation.objects.filter(template=tpl, language="vi").delete()
    assert library.sync()["updated"] == 1
    tpl.refresh_from_db()
    assert tpl.subject == "Reset your password"
    assert tpl.translations.filter(language="vi").exists()
    assert sorted(Template.objects.filter(starter=True).values_list("id", flat=True)) == ids
    assert library.sync()["unchanged"] == len(KEYS)


def test_sync_leaves_an_operators_template_with_a_starters_key_alone():
    Template.objects.filter(key="password-reset").delete()
    mine = Template.objects.create(
        kind="service", key="password-reset", name="Ours", subject="Ours", html="<p>x</p>"
    )
    counts = library.sync()
    assert counts["skipped"] == 1
    mine.refresh_from_db()
    assert (mine.name, mine.starter, mine.subject) == ("Ours", False, "Ours")


@pytest.mark.parametrize("key", [s.key for s in library.load()])
def test_starter_makes_no_request_to_a_third_party(key):
    """A web font from fonts.googleapis.com would tell Google who opened a password reset:
    the layout names only fonts the reader already has."""
    _, html, _ = library.build(library.get(key), "en")
    assert "googleapis" not in html and "<link" not in html.lower()
