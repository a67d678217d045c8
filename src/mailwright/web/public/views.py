"""Public pages: subscription forms (hosted and embeddable), double opt-in confirmation,
unsubscribe (incl. RFC 8058 one-click), the preference center and view-online. Signed tokens
are the credentials; a bad token gets a friendly page, never a 500."""

from __future__ import annotations

import json

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from mailwright import jsonsafe, tokens
from mailwright.audit.actors import Actor
from mailwright.campaigns.models import Campaign
from mailwright.campaigns.rendering import TemplateError, recipient_context
from mailwright.consent import actions as consent_actions
from mailwright.consent import preferences as prefs
from mailwright.consent import ratelimit, subscribing
from mailwright.consent.organisation import current as current_organisation
from mailwright.consent.topic_translations import localize
from mailwright.contacts.models import LANGUAGES, Contact, Topic
from mailwright.delivery.compose import Composer
from mailwright.delivery.models import Delivery

MAX_JSON_BODY = 16 * 1024


def _client_ip(request) -> str:
    return request.META.get("REMOTE_ADDR", "")


def _actor(request, channel: str) -> Actor:
    return Actor.public(request, channel)


def _use_language(request, language: str | None) -> None:
    if language in LANGUAGES:
        translation.activate(language)
        request.LANGUAGE_CODE = language


def _bad_link(request, status: int = 400):
    return render(request, "consent/bad_link.html", status=status)


def _contact_from(request, purpose: str, token: str):
    try:
        payload = tokens.read(purpose, token)
    except tokens.BadToken:
        return None, None
    contact = Contact.objects.filter(pk=payload.get("c")).first()
    if contact is None or contact.status == Contact.Status.ERASED:
        return None, None
    _use_language(request, contact.language)
    return contact, payload


# --- subscription forms -------------------------------------------------------------------


def _form_topics():
    """The topics in the page's (active) language, with the consent-text versions shown."""
    return localize(Topic.objects.order_by("name"), translation.get_language())


def _rate_limited(request, email: str) -> tuple[bool, bool]:
    """(ip_blocked, address_quiet): over the per-IP limit the request is refused; over the
    per-address limit it is answered as usual but no email goes out (anti mail-bombing)."""
    ip_ok = ratelimit.hit(f"form-ip:{_client_ip(request)}", settings.FORM_LIMIT_PER_IP, 600)
    if not ip_ok:
        return True, True
    return False, not ratelimit.optin_email_allowed(email)


def _versions_from(data) -> dict[str, int]:
    versions = {}
    for key, value in data.items():
        if key.startswith("v_"):
            try:
                versions[key[2:]] = int(value)
            except (TypeError, ValueError):
                continue
    return versions


@require_http_methods(["GET", "POST"])
def subscribe_page(request):
    _use_language(request, request.GET.get("lang") or request.POST.get("language"))
    topics = _form_topics()
    values = {"email": "", "name": "", "topics": [], "language": translation.get_language()}
    errors = {}
    if request.method == "POST":
        values = {
            "email": request.POST.get("email", "")[:400],
            "name": request.POST.get("name", "")[:400],
            "topics": request.POST.getlist("topic")[:50],
            "language": request.POST.get("language") or translation.get_language(),
        }
        if request.POST.get("website"):  # honeypot: people never fill it in
            return render(request, "consent/check_inbox.html", {"email": values["email"]})
        ip_blocked, quiet = _rate_limited(request, values["email"])
        if ip_blocked:
            return render(request, "consent/rate_limited.html", status=429)
        try:
            subscribing.subscribe(
                email=values["email"],
                name=values["name"],
                language=values["language"],
                topic_keys=values["topics"],
                shown_versions=_versions_from(request.POST),
                by=_actor(request, "form"),
                send_email=not quiet,
            )
        except subscribing.SubscribeError as exc:
            errors[exc.field] = str(exc)
        else:
            return render(request, "consent/check_inbox.html", {"email": values["email"]})
    return render(
        request,
        "consent/subscribe.html",
        {
            "topics": topics,
            "values": values,
            "errors": errors,
            "languages": settings.LANGUAGES,
            "organisation": current_organisation(),
        },
        status=400 if errors else 200,
    )


def _cors(request, response):
    origin = request.headers.get("Origin", "").rstrip("/")
    if origin and origin in settings.FORM_ORIGINS:
        response["Access-Control-Allow-Origin"] = origin
        response["Access-Control-Allow-Methods"] = "POST, OPTIONS"
        response["Access-Control-Allow-Headers"] = "Content-Type"
        response["Access-Control-Max-Age"] = "3600"
        response["Vary"] = "Origin"
    return response


def _json_error(request, status: int, code: str, message: str, field=None):
    body = {"error": {"code": code, "message": message, "field": field}}
    return _cors(request, JsonResponse(body, status=status))


def _decode_json(body: bytes):
    """(data, None) or (None, why the body is refused)."""
    try:
        data = jsonsafe.loads(body or b"null")
        # "\\ud800" is valid JSON but no text: the database and every encoder refuse it.
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return None, "the body is not valid Unicode text (it has a lone surrogate such as \\ud800)"
    except ValueError:  # UnicodeDecodeError is a ValueError
        return None, "the body is not valid JSON (or nested too deeply)"
    return data, None


@csrf_exempt  # no cookies are used; browsers may only call it from MW_FORM_ORIGINS (CORS)
@require_http_methods(["POST", "OPTIONS"])
def subscribe_json(request):
    """The embeddable form's endpoint: JSON in, JSON out."""
    origin = request.headers.get("Origin", "").rstrip("/")
    if origin and origin not in settings.FORM_ORIGINS:
        return JsonResponse(
            {
                "error": {
                    "code": "origin_not_allowed",
                    "message": "this site may not embed the form (see MW_FORM_ORIGINS)",
                    "field": None,
                }
            },
            status=403,
        )
    if request.method == "OPTIONS":
        return _cors(request, HttpResponse(status=204))
    if len(request.body) > MAX_JSON_BODY:
        return _json_error(request, 413, "too_large", f"body larger than {MAX_JSON_BODY} bytes")
    data, problem = _decode_json(request.body)
    if problem:
        return _json_error(request, 400, "bad_request", problem)
    if not isinstance(data, dict):
        return _json_error(request, 400, "bad_request", "the body must be a JSON object")
    email, topics = data.get("email"), data.get("topics")
    if not isinstance(email, str):
        return _json_error(request, 422, "invalid", "email is required", "email")
    if not isinstance(topics, list) or not all(isinstance(t, str) for t in topics):
        return _json_error(request, 422, "invalid", "topics must be a list of topic keys", "topics")
    name = data.get("name") if isinstance(data.get("name"), str) else ""
    language = data.get("language") if isinstance(data.get("language"), str) else None
    _use_language(request, language)
    ok = {"status": "pending", "message": _("Please check your inbox to confirm.")}
    if data.get("website"):
        return _cors(request, JsonResponse(ok, status=202))
    ip_blocked, quiet = _rate_limited(request, email)
    if ip_blocked:
        return _json_error(request, 429, "rate_limited", "too many requests; try again later")
    versions = data.get("versions") if isinstance(data.get("versions"), dict) else {}
    try:
        subscribing.subscribe(
            email=email,
            name=name[:400],
            language=language,
            topic_keys=topics,
            shown_versions={k: v for k, v in versions.items() if isinstance(v, int)},
            by=_actor(request, "form"),
            send_email=not quiet,
        )
    except subscribing.SubscribeError as exc:
        return _json_error(request, 422, "invalid", str(exc), exc.field)
    return _cors(request, JsonResponse(ok, status=202))


@require_http_methods(["GET", "POST"])
def confirm(request, token: str):
    try:
        contact, topics = subscribing.read_optin(token)
    except subscribing.ConfirmError:
        return _bad_link(request)
    _use_language(request, contact.language)
    if request.method == "GET":
        # A GET never confirms: mail scanners follow links.
        shown = localize(topics, contact.language)
        return render(request, "consent/confirm.html", {"contact": contact, "topics": shown})
    try:
        contact, confirmed = subscribing.confirm(token, by=_actor(request, "form"))
    except subscribing.ConfirmError:
        return _bad_link(request)
    prefs = tokens.make("preferences", {"c": contact.id})
    return render(
        request,
        "consent/confirmed.html",
        {
            "contact": contact,
            "topics": localize(confirmed, contact.language),
            "preferences_url": f"/p/{prefs}",
        },
    )


# --- unsubscribe, preferences, view online -------------------------------------------------


@csrf_exempt  # the signed token, not a cookie, authorizes this; RFC 8058 posts carry no cookie
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token: str):
    contact, payload = _contact_from(request, "unsubscribe", token)
    if contact is None:
        return _bad_link(request)
    campaign = Campaign.objects.filter(pk=payload.get("m")).first() if payload.get("m") else None
    if request.method == "GET":
        # A GET never unsubscribes: link scanners and prefetchers follow GETs.
        receiving = Topic.objects.filter(
            subscriptions__contact=contact, subscriptions__state="confirmed"
        ).order_by("name")
        context = {
            "contact": contact,
            "token": token,
            "topics": localize(receiving, contact.language),
        }
        return render(request, "consent/unsubscribe.html", context)
    one_click = request.POST.get("List-Unsubscribe") == "One-Click"
    by = _actor(request, "one_click" if one_click else "unsubscribe_page")
    campaign_id = campaign.id if campaign else None
    if campaign is not None and request.POST.get("scope") == "campaign":
        topics = list(campaign.topics.all())
        consent_actions.do_unsubscribe(contact, by=by, topics=topics, campaign_id=campaign_id)
    else:
        consent_actions.do_unsubscribe(contact, by=by, campaign_id=campaign_id)
    if one_click:
        return HttpResponse("unsubscribed\n", content_type="text/plain")
    prefs = tokens.make("preferences", {"c": contact.id})
    return render(
        request, "consent/unsubscribed.html", {"contact": contact, "preferences_url": f"/p/{prefs}"}
    )


PAUSES = {"30": 30, "90": 90}


@require_http_methods(["GET", "POST"])
def preferences(request, token: str):
    contact, _payload = _contact_from(request, "preferences", token)
    if contact is None:
        return _bad_link(request)
    saved = False
    if request.method == "POST":
        by = _actor(request, "preferences")
        if request.POST.get("action") == "unsubscribe_all":
            prefs.unsubscribe_everything(contact, by=by)
        else:
            prefs.apply(
                contact,
                topics=set(request.POST.getlist("topic")),
                frequency=request.POST.get("frequency", ""),
                pause_days=PAUSES.get(request.POST.get("pause", "")),
                resume=request.POST.get("pause") == "resume",
                language=request.POST.get("language", ""),
                by=by,
            )
        contact.refresh_from_db()
        _use_language(request, contact.language)
        saved = True
    subs = {s.topic_id: s.state for s in contact.subscriptions.all()}
    rows = [
        {"topic": t, "state": subs.get(t.id, ""), "checked": subs.get(t.id) == "confirmed"}
        for t in localize(Topic.objects.order_by("name"), contact.language)
    ]
    paused = contact.paused_until and contact.paused_until > timezone.now()
    return render(
        request,
        "consent/preferences.html",
        {
            "contact": contact,
            "rows": rows,
            "saved": saved,
            "paused": paused,
            "languages": settings.LANGUAGES,
            "frequencies": Contact.Frequency.choices,
            "organisation": current_organisation(),
        },
    )


def view_online(request, token: str):
    contact, payload = _contact_from(request, "view_online", token)
    campaign = (
        Campaign.objects.filter(pk=payload.get("m")).select_related("template").first()
        if payload
        else None
    )
    if contact is None or campaign is None:
        return _bad_link(request)
    # The message this person received: in an A/B test, their delivery's variant.
    variant = (
        Delivery.objects.filter(campaign=campaign, contact=contact)
        .order_by("-id")
        .values_list("variant", flat=True)
        .first()
    )
    composer = Composer()
    ctx = recipient_context(contact, campaign)
    try:
        _, html, _text = composer.compiled(campaign, tracked=False, variant=variant).render(ctx)
    except TemplateError:
        # The template broke a limit or failed for this person's data (the worker failed
        # that delivery the same way): a page saying so, not a 500.
        _use_language(request, contact.language)
        return render(request, "consent/unavailable.html")
    response = HttpResponse(html)
    # The message's own HTML: no scripts, no framing, no access to our origin.
    response["Content-Security-Policy"] = "sandbox; script-src 'none'; frame-ancestors 'none'"
    return response
