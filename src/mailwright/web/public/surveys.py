"""The public survey page, /s/<token>: where a rating link in an email lands.

A GET never records by itself unless it is a person's click by the tracking rules (no machine
signs, and later than SCANNER_CLICK_SECONDS after the message was sent): link scanners fetch
every link in a message within seconds. Otherwise the page shows the score chosen and records
it through a POST, sent by a tiny inline script on load (scanners do not run it) or by the
visible button. The signed token authenticates the POST (it is in the address and the form),
so the view is CSRF-exempt. After recording: a thank-you with an optional comment box.
A bad token gets a 404 page, never a 500.
"""

from __future__ import annotations

from django.shortcuts import render
from django.utils import translation
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from mailwright.audit.actors import Actor
from mailwright.campaigns.survey_links import SCALES
from mailwright.contacts.models import LANGUAGES
from mailwright.surveys import responses
from mailwright.surveys.models import Survey, SurveyResponse

NO_STORE = "no-store, private"


def _not_found(request, status: int = 404):
    return render(request, "consent/bad_link.html", status=status)


def _question(survey: Survey | None, language: str) -> str:
    if survey is None or not survey.question:
        return ""
    q = survey.question
    return q.get(language) or q.get("en") or next(iter(q.values()), "")


def _page(request, template: str, link, survey, token: str, score: int, **extra):
    language = translation.get_language()
    scale = survey.scale if survey else link.scale
    ctx = {
        "token": token,
        "score": score,
        "scale": scale,
        "scores": list(SCALES.get(scale, SCALES["stars"])),
        "question": _question(survey, language),
        **extra,
    }
    response = render(request, template, ctx)
    response["Cache-Control"] = NO_STORE
    response["X-Robots-Tag"] = "noindex"
    response["Referrer-Policy"] = "no-referrer"
    return response


def _score_from(request) -> int | None:
    raw = request.POST.get("score", "")
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        return -1  # refused by the action with a message


@csrf_exempt  # the signed token in the address and the form authorizes this; no cookies
@require_http_methods(["GET", "HEAD", "POST"])
def survey_page(request, token: str):
    if request.method == "POST":
        token = request.POST.get("token") or token
    try:
        link = responses.read_link(token)
    except responses.SurveyError:
        return _not_found(request)
    if link.contact.language in LANGUAGES:
        translation.activate(link.contact.language)
        request.LANGUAGE_CODE = link.contact.language
    survey = Survey.objects.filter(key=link.key).first()
    by = Actor.public(request, "survey")
    if request.method != "POST":  # GET or HEAD
        ip = request.META.get("REMOTE_ADDR", "")
        ua = request.META.get("HTTP_USER_AGENT", "")[:400]
        if not responses.human_click(link, request.method, ip, ua):
            return _page(request, "surveys/public/rate.html", link, survey, token, link.score)
        try:
            answer = responses.do_record_response(link, by=by)
        except responses.SurveyError:  # the score is off the survey's scale (it changed)
            return _not_found(request, 400)
        return _thanks(request, link, answer, token)
    comment = request.POST.get("comment")
    try:
        answer = responses.do_record_response(
            link, by=by, score=_score_from(request), comment=comment
        )
    except responses.SurveyError:  # a score that is not on the survey's scale
        return _not_found(request, 400)
    return _thanks(request, link, answer, token, comment_saved=comment is not None)


def _thanks(request, link, answer: SurveyResponse, token: str, comment_saved: bool = False):
    return _page(
        request,
        "surveys/public/thanks.html",
        link,
        answer.survey,
        token,
        answer.score,
        answer=answer,
        comment_saved=comment_saved,
    )
