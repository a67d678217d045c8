"""A topic's words in the product languages (name, description, consent text): the table on
the topic page and one page per language. Thin views over consent.topic_translations."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from mailwright.consent.topic_translations import (
    do_delete_topic_translation,
    do_save_topic_translation,
    localize_one,
    translations_of,
)
from mailwright.consent.topics import TopicError
from mailwright.contacts.models import LANGUAGES, Topic, TopicTranslation
from mailwright.web.shell.helpers import staff_actor
from mailwright.web.topics.forms import TopicEditForm

LANGUAGE_NAMES = dict(settings.LANGUAGES)


class TopicTranslationForm(TopicEditForm):
    """A topic's texts in one language: the edit form's fields, its own consent-text help."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["consent_text"].help_text = (
            "The exact wording shown in this language. Changing it makes a new consent-text"
            " version; people who agreed keep the version they saw. Left empty, the topic's"
            " own consent text is shown."
        )


def language_rows(topic: Topic) -> list[dict]:
    """One row per product language for the topic page's table."""
    found = translations_of(topic)
    return [
        {
            "code": code,
            "label": label,
            "translation": found.get(code),
            "version": localize_one(topic, code).consent_version if code in found else None,
        }
        for code, label in settings.LANGUAGES
    ]


@login_required
@require_http_methods(["GET", "POST"])
def topic_translation(request, topic_id: int, language: str):
    topic = get_object_or_404(Topic, pk=topic_id)
    if language not in LANGUAGES:
        raise Http404("not a product language")
    existing = TopicTranslation.objects.filter(topic=topic, language=language).first()
    initial = (
        {
            "name": existing.name,
            "description": existing.description,
            "consent_text": existing.consent_text,
        }
        if existing
        else {}
    )
    form = TopicTranslationForm(request.POST or None, initial=initial)
    label = LANGUAGE_NAMES[language]
    if request.method == "POST" and request.POST.get("action") == "delete":
        if do_delete_topic_translation(topic, language, by=staff_actor(request)):
            messages.success(request, f"The {label} translation of “{topic.name}” was removed.")
        return redirect("web:topic_edit", topic.pk)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        consent_text = data["consent_text"]
        # An unchanged wording saved another way (API: CRLF) must not become a new version.
        if existing and consent_text == existing.consent_text.replace("\r\n", "\n").strip():
            consent_text = existing.consent_text
        try:
            do_save_topic_translation(
                topic,
                language,
                data["name"],
                data["description"],
                consent_text,
                by=staff_actor(request),
            )
        except TopicError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        else:
            shown = localize_one(topic, language)
            messages.success(
                request,
                f"The {label} translation of “{topic.name}” was saved; its consent text is"
                f" version {shown.consent_version}.",
            )
            return redirect("web:topic_edit", topic.pk)
    context = {
        "topic": topic,
        "form": form,
        "language": language,
        "label": label,
        "existing": existing,
        "history": topic.texts.filter(language=language).order_by("-version"),
    }
    return render(request, "web/topics/translation.html", context)
