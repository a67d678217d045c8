"""Public pages reached from email links: unsubscribe (incl. RFC 8058 one-click), preferences,
view online. The signed token is the credential; a bad token is a friendly 400 page."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from mailwright import tokens
from mailwright.campaigns.models import Campaign
from mailwright.campaigns.rendering import recipient_context
from mailwright.consent.ledger import Actor
from mailwright.contacts import subscriptions
from mailwright.contacts.models import Contact, Subscription, Topic


def _bad_link(request, status: int = 400):
    return render(request, "consent/bad_link.html", status=status)


def _actor(request, channel: str) -> Actor:
    return Actor(
        channel=channel,
        actor="recipient",
        source_ip=request.META.get("REMOTE_ADDR", ""),
        user_agent=request.META.get("HTTP_USER_AGENT", "")[:400],
    )


def _contact_from(request, purpose: str, token: str):
    try:
        payload = tokens.read(purpose, token)
    except tokens.BadToken:
        return None, None
    contact = Contact.objects.filter(pk=payload.get("c")).first()
    if contact is not None and contact.language:
        translation.activate(contact.language)
        request.LANGUAGE_CODE = contact.language
    return contact, payload


@csrf_exempt  # the signed token, not a cookie, authorizes this; RFC 8058 posts carry no cookie
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token: str):
    contact, payload = _contact_from(request, "unsubscribe", token)
    if contact is None:
        return _bad_link(request)
    campaign = Campaign.objects.filter(pk=payload.get("m")).first() if payload.get("m") else None
    if request.method == "GET":
        # A GET never unsubscribes: link scanners and prefetchers follow GETs.
        return render(request, "consent/unsubscribe.html", {"contact": contact, "token": token})
    one_click = request.POST.get("List-Unsubscribe") == "One-Click"
    by = _actor(request, "one_click" if one_click else "unsubscribe_page")
    if campaign is not None and request.POST.get("scope") == "campaign":
        for topic in campaign.topics.all():
            subscriptions.set_state(contact, topic, Subscription.State.UNSUBSCRIBED, by=by)
    else:
        subscriptions.unsubscribe_all(contact, by=by)
    if one_click:
        return HttpResponse("unsubscribed\n", content_type="text/plain")
    return render(request, "consent/unsubscribed.html", {"contact": contact, "token": token})


@require_http_methods(["GET", "POST"])
def preferences(request, token: str):
    contact, _ = _contact_from(request, "preferences", token)
    if contact is None:
        return _bad_link(request)
    saved = False
    if request.method == "POST":
        chosen = set(request.POST.getlist("topic"))
        by = _actor(request, "preferences")
        for sub in contact.subscriptions.select_related("topic"):
            if sub.state == Subscription.State.CONFIRMED and sub.topic.key not in chosen:
                subscriptions.set_state(contact, sub.topic, Subscription.State.UNSUBSCRIBED, by=by)
        saved = True
    subs = {s.topic_id: s for s in contact.subscriptions.all()}
    rows = [
        {"topic": t, "state": subs[t.id].state if t.id in subs else ""}
        for t in Topic.objects.filter(id__in=subs)
    ]
    return render(
        request, "consent/preferences.html", {"contact": contact, "rows": rows, "saved": saved}
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
    from mailwright.delivery.compose import Composer

    _, html, _ = Composer().compiled(campaign).render(recipient_context(contact, campaign))
    response = HttpResponse(html)
    # The message's own HTML: no scripts, no framing, no access to our origin.
    response["Content-Security-Policy"] = "sandbox; script-src 'none'; frame-ancestors 'none'"
    return response
