"""Surveys appear when a template first uses them: saving a template (or a translation)
that calls `survey_row("key", scale=…, question=…)` with literal arguments creates the survey
with that scale and question, so the Surveys page lists it before anyone answers. (A survey is
also created by its first response: the link carries the key and the scale.)"""

from __future__ import annotations

from django.db.models.signals import post_save
from django.dispatch import receiver
from jinja2 import Environment, TemplateSyntaxError, nodes

from mailwright.campaigns.models import Template, TemplateTranslation
from mailwright.campaigns.survey_links import KEY, MAX_QUESTION, SCALES
from mailwright.surveys.models import Survey

_parser = Environment(autoescape=True)  # parses only, never renders


def rows_in(source: str) -> list[dict]:
    """The survey_row(...) calls in a template source whose key is a literal:
    [{"key", "scale", "question"}]."""
    try:
        tree = _parser.parse(source or "")
    except TemplateSyntaxError:
        return []
    found = []
    for call in tree.find_all(nodes.Call):
        if not (isinstance(call.node, nodes.Name) and call.node.name == "survey_row"):
            continue
        args = {i: a for i, a in enumerate(call.args)}
        named = {k.key: k.value for k in call.kwargs}
        values = {}
        for index, name in enumerate(("key", "scale", "question")):
            node = named.get(name, args.get(index))
            values[name] = node.value if isinstance(node, nodes.Const) else None
        key, scale, question = values["key"], values["scale"] or "stars", values["question"]
        if isinstance(key, str) and KEY.fullmatch(key) and scale in SCALES:
            question = question if isinstance(question, str) else ""
            found.append({"key": key, "scale": scale, "question": question[:MAX_QUESTION]})
    return found


def create_from(source: str, language: str) -> list[Survey]:
    """Create the surveys a template source uses that do not exist yet."""
    created = []
    for row in rows_in(source):
        question = {language: row["question"]} if row["question"] else {}
        survey, was_created = Survey.objects.get_or_create(
            key=row["key"],
            defaults={"name": row["key"], "scale": row["scale"], "question": question},
        )
        if was_created:
            created.append(survey)
        elif question and language not in survey.question:
            survey.question = {**survey.question, **question}
            survey.save(update_fields=["question"])
    return created


@receiver(post_save, sender=Template, dispatch_uid="surveys.discover.template")
def _template_saved(sender, instance: Template, raw=False, **_kwargs) -> None:
    if not raw:
        create_from(f"{instance.html}\n{instance.text}", instance.language or "en")


@receiver(post_save, sender=TemplateTranslation, dispatch_uid="surveys.discover.translation")
def _translation_saved(sender, instance: TemplateTranslation, raw=False, **_kwargs) -> None:
    if not raw:
        create_from(f"{instance.html}\n{instance.text}", instance.language or "en")
