"""Service → Messages: the messages sent through the API (search by recipient, filter by
state and template, paginated) and a message's page: its state, relay reply, events and
rendered content (headers from the capture relay's copy when it has one)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET

from mailwright.delivery.models import CapturedMessage, Delivery
from mailwright.feedback.models import Event
from mailwright.transactional.models import Message
from mailwright.web.outbox import mailview
from mailwright.web.shell.helpers import paginate

REFUSED = "refused"
STATES = (*Delivery.State.values, REFUSED)
TABS = ("html", "text", "headers")


def _filtered(params) -> tuple[dict, object, str]:
    chosen = {
        "q": (params.get("q") or "").strip()[:320],
        "state": params.get("state") or "",
        "template": (params.get("template") or "").strip()[:100],
    }
    found = Message.objects.select_related("delivery", "template")
    error = ""
    if chosen["q"]:
        found = found.filter(to_email__icontains=chosen["q"])
    if chosen["state"] == REFUSED:
        found = found.filter(delivery__isnull=True)
    elif chosen["state"] in Delivery.State.values:
        found = found.filter(delivery__state=chosen["state"])
    elif chosen["state"]:
        error = f"unknown state {chosen['state']!r}; one of {', '.join(STATES)}"
        chosen["state"] = ""
    if chosen["template"]:
        found = found.filter(template_key=chosen["template"])
    return chosen, found, error


@login_required
@require_GET
def message_list(request):
    chosen, found, error = _filtered(request.GET)
    params = {k: v for k, v in chosen.items() if v}
    context = {
        "page": paginate(request, found),
        "filters": chosen,
        "filter_query": urlencode(params),
        "filter_error": error,
        "states": STATES,
        "template_keys": Message.objects.order_by("template_key")
        .values_list("template_key", flat=True)
        .distinct(),
    }
    return render(request, "web/service/message_list.html", context, status=400 if error else 200)


def _captured(message: Message) -> CapturedMessage | None:
    delivery = message.delivery
    if delivery is None or not delivery.message_id:
        return None
    return CapturedMessage.objects.filter(message_id=delivery.message_id).order_by("-id").first()


def message_state(message: Message) -> str:
    return message.delivery.state if message.delivery_id else REFUSED


@login_required
@require_GET
def message_detail(request, message_id: int):
    message = get_object_or_404(
        Message.objects.select_related("delivery", "template", "contact"), pk=message_id
    )
    tab = request.GET.get("tab", "html")
    if tab not in TABS:
        tab = "html"
    delivery = message.delivery
    content = (delivery.content or {}) if delivery else {}
    captured = _captured(message)
    parsed = mailview.parse(bytes(captured.raw)) if captured else None
    events = (
        Event.objects.filter(delivery=delivery).order_by("created_at", "id") if delivery else []
    )
    context = {
        "message": message,
        "state": message_state(message),
        "delivery": delivery,
        "content": content,
        "captured": captured,
        "parsed": parsed,
        "events": events,
        "tab": tab,
        "tabs": TABS,
    }
    return render(request, "web/service/message_detail.html", context)


@login_required
@require_GET
@xframe_options_sameorigin
def message_html(request, message_id: int):
    """The message's HTML for the preview frame: sandboxed, no scripts, tracking removed
    (looking at it is not the recipient opening it)."""
    message = get_object_or_404(Message.objects.select_related("delivery"), pk=message_id)
    captured = _captured(message)
    html = mailview.preview_html(bytes(captured.raw)) if captured else None
    if html is None and message.delivery_id:
        stored = (message.delivery.content or {}).get("html")
        html = mailview.without_tracking(stored) if stored else None
    if html is None:
        html = "<p style='font-family:sans-serif;color:#555'>This message has no HTML content.</p>"
    response = HttpResponse(html, content_type="text/html; charset=utf-8")
    response["Content-Security-Policy"] = mailview.CSP
    response["Referrer-Policy"] = "no-referrer"
    return response
