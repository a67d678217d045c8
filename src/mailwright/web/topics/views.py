"""Staff pages of the Topics area: thin views over consent.topics."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from mailwright.consent.topics import TopicError, create_topic, update_topic
from mailwright.contacts.models import Topic
from mailwright.web.topics.forms import TopicEditForm, TopicForm
from mailwright.web.topics.translations import language_rows


def _embed_context() -> dict:
    topics = list(Topic.objects.order_by("name"))
    hosted_url = settings.BASE_URL + reverse("consent:subscribe")
    json_url = settings.BASE_URL + reverse("consent:subscribe_json")
    snippet = render_to_string(
        "web/topics/embed_snippet.html",
        {"topics": topics, "hosted_url": hosted_url, "json_url": json_url},
    )
    return {
        "hosted_url": hosted_url,
        "json_url": json_url,
        "embed_snippet": snippet.strip() + "\n",
        "form_origins": settings.FORM_ORIGINS,
    }


@login_required
@require_http_methods(["GET", "POST"])
def topic_list(request):
    form = TopicForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            topic = create_topic(
                key=data["key"],
                name=data["name"],
                description=data["description"],
                consent_text=data["consent_text"],
            )
        except TopicError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        else:
            messages.success(request, f"Topic “{topic.name}” created.")
            return redirect("web:topic_list")
    topics = Topic.objects.annotate(
        confirmed=Count("subscriptions", filter=Q(subscriptions__state="confirmed"))
    ).prefetch_related("translations")
    context = {"topics": topics, "form": form, **_embed_context()}
    return render(request, "web/topics/list.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def topic_edit(request, topic_id: int):
    topic = get_object_or_404(Topic, pk=topic_id)
    initial = {
        "name": topic.name,
        "description": topic.description,
        "consent_text": topic.consent_text,
    }
    form = TopicEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        consent_text = data["consent_text"]
        # The form stores LF line ends and strips the ends: an unchanged wording that was
        # saved another way (API, older rows) must not become a new version.
        if consent_text == topic.consent_text.replace("\r\n", "\n").strip():
            consent_text = topic.consent_text
        try:
            before = topic.consent_version
            topic = update_topic(
                topic,
                name=data["name"],
                description=data["description"],
                consent_text=consent_text,
            )
        except TopicError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc))
        else:
            if topic.consent_version != before:
                messages.success(
                    request,
                    f"Topic “{topic.name}” saved; the consent text is now version"
                    f" {topic.consent_version}.",
                )
            else:
                messages.success(request, f"Topic “{topic.name}” saved.")
            return redirect("web:topic_edit", topic.pk)
    texts = list(topic.texts.order_by("-version"))
    recorded = {t.version for t in texts}
    context = {
        "topic": topic,
        "form": form,
        "history": [t for t in texts if not t.language],
        "languages": language_rows(topic),
        "history_incomplete": any(v not in recorded for v in range(1, topic.consent_version + 1)),
    }
    return render(request, "web/topics/edit.html", context)
