"""Staff pages of the Feedback area: the suppression list, the inbound log (with its dead
letters) and outgoing webhooks. Thin views over mailwright.consent.suppression and
mailwright.feedback."""

from __future__ import annotations

import csv
import io
import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from mailwright.consent.hashing import address_hashes
from mailwright.consent.models import Suppression
from mailwright.consent.suppression import do_suppress, suppressed_among
from mailwright.contacts.addresses import InvalidAddress, normalize_email
from mailwright.feedback import webhooks
from mailwright.feedback.models import InboundMessage, WebhookDelivery, WebhookEndpoint
from mailwright.web.feedback.forms import (
    InboundFilterForm,
    SuppressionAddForm,
    SuppressionFilterForm,
    SuppressionImportForm,
    WebhookEndpointForm,
)
from mailwright.web.shell.helpers import csv_download, paginate, staff_actor

RAW_LIMIT = 200 * 1024
INVALID_SHOWN = 200


# --- suppressions -------------------------------------------------------------------------------


def _suppressions(form: SuppressionFilterForm):
    rows = Suppression.objects.all()
    q, reason = "", ""
    if form.is_valid():
        q = form.cleaned_data["q"].strip()
        reason = form.cleaned_data["reason"]
    if q:
        match = Q(email__icontains=q)
        try:  # an erased address is found by its hash, and only shown as that
            match |= Q(email_hash__in=address_hashes(normalize_email(q)))
        except InvalidAddress:
            pass
        rows = rows.filter(match)
    if reason:
        rows = rows.filter(reason=reason)
    return rows, q, reason


def _suppression_page(request, add_form=None, import_form=None, import_result=None, status=200):
    filter_form = SuppressionFilterForm(request.GET or None)
    rows, q, reason = _suppressions(filter_form)
    context = {
        "filter_form": filter_form,
        "q": q,
        "reason": reason,
        "page": paginate(request, rows),
        "add_form": add_form or SuppressionAddForm(),
        "import_form": import_form or SuppressionImportForm(),
        "import_result": import_result,
        "feedback_tab": "suppressions",
    }
    return render(request, "web/feedback/suppressions.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def suppression_list(request):
    if request.method == "GET":
        return _suppression_page(request)
    form = SuppressionAddForm(request.POST)
    if not form.is_valid():
        return _suppression_page(request, add_form=form)
    email = form.cleaned_data["email"]
    if suppressed_among([email]):
        entry = Suppression.objects.filter(email_hash__in=address_hashes(email)).first()
        why = f" ({entry.reason})" if entry else ""
        messages.info(request, f"{email} is already suppressed{why}.")
    else:
        note = form.cleaned_data["note"] or "added by hand"
        do_suppress(email, Suppression.Reason.MANUAL, note, by=staff_actor(request))
        messages.success(request, f"{email} is suppressed: no mail will be sent to it.")
    return redirect("web:suppression_list")


def parse_address_list(data: bytes) -> tuple[list[tuple[int, str]], list[tuple[int, str, str]]]:
    """The addresses of an uploaded list: (line, normalized address) for the valid ones and
    (line, text, reason) for the rest. Text with one address per line, or CSV with a header
    holding an "email" column (comma, semicolon or tab separated)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return [], [(0, "", "the file is not UTF-8 text")]
    lines = text.splitlines()
    first = next((i for i, line in enumerate(lines) if line.strip()), None)
    if first is None:
        return [], []
    header = lines[first]
    delimiter = max(",;\t", key=header.count)
    columns = [c.strip().strip('"').strip().lower() for c in header.split(delimiter)]
    valid: list[tuple[int, str]] = []
    invalid: list[tuple[int, str, str]] = []

    def take(number: int, raw: str) -> None:
        value = raw.strip()
        if not value:
            return
        try:
            valid.append((number, normalize_email(value)))
        except InvalidAddress as exc:
            invalid.append((number, raw[:200], str(exc)))

    if "email" in columns and (len(columns) > 1 or header.strip().lower() == "email"):
        column = columns.index("email")
        reader = csv.reader(io.StringIO("\n".join(lines[first + 1 :])), delimiter=delimiter)
        for row in reader:
            number = first + 1 + reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if column >= len(row):
                invalid.append((number, delimiter.join(row)[:200], "no email column"))
                continue
            take(number, row[column])
        return valid, invalid
    for number, line in enumerate(lines, start=1):
        if line.strip().startswith("#"):
            continue  # comments, as in many exported lists
        take(number, line)
    return valid, invalid


@login_required
@require_POST
def suppression_import(request):
    form = SuppressionImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return _suppression_page(request, import_form=form, status=400)
    valid, invalid = parse_address_list(form.cleaned_data["file"].read())
    addresses = list(dict.fromkeys(email for _, email in valid))  # unique, in file order
    already: set[str] = set()
    for i in range(0, len(addresses), 500):
        already |= suppressed_among(addresses[i : i + 500])
    actor = staff_actor(request)
    added = 0
    for email in addresses:
        if email not in already:
            do_suppress(email, Suppression.Reason.MANUAL, "imported", by=actor)
            added += 1
    result = {
        "added": added,
        "already": len(already),
        "invalid": invalid[:INVALID_SHOWN],
        "invalid_total": len(invalid),
    }
    if added or already:
        messages.success(
            request,
            f"Imported: {added} address(es) suppressed, {len(already)} already were;"
            f" {len(invalid)} line(s) not valid.",
        )
    return _suppression_page(request, import_result=result)


@login_required
@require_GET
def suppression_export(request):
    filter_form = SuppressionFilterForm(request.GET or None)
    rows, _, _ = _suppressions(filter_form)
    out: list[list] = [["email", "reason", "detail", "created_at"]]
    for s in rows.order_by("id").iterator(chunk_size=2000):
        erased = s.reason == Suppression.Reason.ERASED or not s.email
        out.append(
            [
                f"hash:{s.email_hash}" if erased else s.email,
                s.reason,
                s.detail,
                s.created_at.isoformat(),
            ]
        )
    return csv_download(out, "suppressions.csv")


# --- inbound ------------------------------------------------------------------------------------


def inbound_summary(result) -> str:
    """One line from a processed message's result: the recipients' bounce kinds and reasons,
    or the complaint's feedback type."""
    if not isinstance(result, dict):
        return ""
    parts = []
    for r in result.get("recipients") or []:
        if isinstance(r, dict):
            bits = [r.get("kind"), r.get("reason"), r.get("status")]
            text = " ".join(str(b) for b in bits if b)
            parts.append(f"{text} <{r.get('address')}>" if r.get("address") else text)
    if result.get("feedback_type"):
        parts.append(f"feedback: {result['feedback_type']}")
    return "; ".join(p for p in parts if p)[:300]


@login_required
@require_GET
def inbound_list(request):
    form = InboundFilterForm(request.GET or None)
    rows = InboundMessage.objects.defer("raw").select_related("delivery")
    if form.is_valid():
        if form.cleaned_data["kind"]:
            rows = rows.filter(kind=form.cleaned_data["kind"])
        if form.cleaned_data["failed"]:
            rows = rows.exclude(error="")
    page = paginate(request, rows)
    for msg in page:
        msg.summary = inbound_summary(msg.result)
    context = {
        "form": form,
        "page": page,
        "failed_total": InboundMessage.objects.exclude(error="").count(),
        "feedback_tab": "inbound",
    }
    return render(request, "web/feedback/inbound.html", context)


@login_required
@require_GET
def inbound_detail(request, message_id: int):
    msg = get_object_or_404(InboundMessage.objects.select_related("delivery"), pk=message_id)
    raw = bytes(msg.raw or b"")
    context = {
        "msg": msg,
        "summary": inbound_summary(msg.result),
        "result_json": json.dumps(msg.result, indent=2, ensure_ascii=False, cls=DjangoJSONEncoder),
        "raw_text": raw[:RAW_LIMIT].decode("utf-8", errors="replace"),
        "raw_truncated": len(raw) > RAW_LIMIT,
        "raw_size": len(raw),
        "raw_limit": RAW_LIMIT,
        "feedback_tab": "inbound",
    }
    return render(request, "web/feedback/inbound_detail.html", context)


# --- webhooks -----------------------------------------------------------------------------------


def _endpoints():
    return WebhookEndpoint.objects.annotate(
        pending=Count("deliveries", filter=Q(deliveries__state=WebhookDelivery.State.PENDING)),
        sent=Count("deliveries", filter=Q(deliveries__state=WebhookDelivery.State.SENT)),
        failed=Count("deliveries", filter=Q(deliveries__state=WebhookDelivery.State.FAILED)),
    ).order_by("id")


@login_required
@require_http_methods(["GET", "POST"])
def webhook_list(request):
    form = WebhookEndpointForm(request.POST or None)
    created = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            created = webhooks.do_create_endpoint(
                data["url"], data["event_types"], data["description"], by=staff_actor(request)
            )
        except webhooks.WebhookError as exc:
            text = str(exc)
            form.add_error(
                exc.field if exc.field in form.fields else None, text[:1].upper() + text[1:] + "."
            )
        else:
            form = WebhookEndpointForm()  # the secret is shown in this response only
    context = {
        "endpoints": _endpoints(),
        "form": form,
        "created": created,
        "feedback_tab": "webhooks",
    }
    response = render(request, "web/feedback/webhooks.html", context)
    if created is not None:
        response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def webhook_toggle(request, endpoint_id: int, enable: bool):
    endpoint = get_object_or_404(WebhookEndpoint, pk=endpoint_id)
    webhooks.do_set_endpoint_enabled(endpoint, enable, by=staff_actor(request))
    if enable:
        messages.success(request, f"Webhook {endpoint.url} enabled.")
    else:
        messages.success(request, f"Webhook {endpoint.url} disabled: no new events are queued.")
    return redirect("web:webhook_list")


@login_required
@require_POST
def webhook_delete(request, endpoint_id: int):
    endpoint = get_object_or_404(WebhookEndpoint, pk=endpoint_id)
    webhooks.do_delete_endpoint(endpoint, by=staff_actor(request))
    messages.success(request, f"Webhook {endpoint.url} deleted, with its delivery log.")
    return redirect("web:webhook_list")


@login_required
@require_GET
def webhook_detail(request, endpoint_id: int):
    endpoint = get_object_or_404(_endpoints(), pk=endpoint_id)
    state = request.GET.get("state", "")
    log = endpoint.deliveries.defer("payload").order_by("-id")
    if state in WebhookDelivery.State.values:
        log = log.filter(state=state)
    else:
        state = ""
    context = {
        "endpoint": endpoint,
        "page": paginate(request, log),
        "state": state,
        "states": WebhookDelivery.State.values,
        "feedback_tab": "webhooks",
    }
    return render(request, "web/feedback/webhook_detail.html", context)
