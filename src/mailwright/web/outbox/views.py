"""Staff pages of Outbox → Captured: the list, a message's tabs, its HTML preview and raw
source."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_POST

from mailwright.delivery import actions
from mailwright.delivery.models import CapturedMessage
from mailwright.web.outbox import mailview
from mailwright.web.outbox.forms import CapturedFilterForm
from mailwright.web.shell.helpers import paginate, staff_actor

TABS = ("html", "text", "source")


@login_required
@require_GET
def captured_list(request):
    form = CapturedFilterForm(request.GET or None)
    captured = CapturedMessage.objects.defer("raw")
    to = form.cleaned_data["to"].strip() if form.is_valid() else ""
    if to:
        captured = captured.filter(to__icontains=to)
    return render(
        request,
        "web/outbox/list.html",
        {"form": form, "to": to, "page": paginate(request, captured)},
    )


@login_required
@require_POST
def captured_clear(request):
    deleted = actions.do_clear_captured(by=staff_actor(request))
    messages.success(request, f"Deleted {deleted} captured message(s).")
    return redirect("web:captured_list")


@login_required
@require_GET
def captured_detail(request, message_id: int):
    msg = get_object_or_404(CapturedMessage, pk=message_id)
    tab = request.GET.get("tab", "html")
    if tab not in TABS:
        tab = "html"
    parsed = mailview.parse(bytes(msg.raw))
    context = {"msg": msg, "parsed": parsed, "tab": tab, "tabs": TABS}
    return render(request, "web/outbox/detail.html", context)


@login_required
@require_GET
@xframe_options_sameorigin
def captured_html(request, message_id: int):
    """The message's HTML part for the preview iframe: sandboxed, no scripts, no requests
    except images, and none to our tracking endpoints (viewing is not opening)."""
    msg = get_object_or_404(CapturedMessage, pk=message_id)
    html = mailview.preview_html(bytes(msg.raw))
    if html is None:
        html = "<p style='font-family:sans-serif;color:#555'>This message has no HTML part.</p>"
    response = HttpResponse(html, content_type="text/html; charset=utf-8")
    response["Content-Security-Policy"] = mailview.CSP
    response["Referrer-Policy"] = "no-referrer"
    return response


@login_required
@require_GET
def captured_raw(request, message_id: int):
    msg = get_object_or_404(CapturedMessage, pk=message_id)
    response = HttpResponse(bytes(msg.raw), content_type="message/rfc822")
    response["Content-Disposition"] = f'attachment; filename="message-{msg.pk}.eml"'
    return response
