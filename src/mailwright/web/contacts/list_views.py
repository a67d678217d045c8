"""The contact list: search and filters (contacts.listing), and bulk actions on the ticked
rows or on everything matching the filter, each after a confirmation showing the count
(contacts.bulk, consent.bulk_actions), and the CSV export (contacts.export)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch, Q
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from mailwright.consent import bulk_actions
from mailwright.contacts import bulk, export, listing
from mailwright.contacts.fields import FieldError
from mailwright.contacts.models import LANGUAGES, Contact, Subscription, Topic
from mailwright.web.contacts.bulk_forms import ACTIONS, BulkForm
from mailwright.web.shell.helpers import paginate, staff_actor

SUBSCRIPTIONS = Prefetch(
    "subscriptions", queryset=Subscription.objects.select_related("topic").order_by("topic__key")
)


def _list_url(chosen: listing.ContactFilter) -> str:
    params = chosen.params()
    return reverse("web:contact_list") + (f"?{urlencode(params)}" if params else "")


def _choices() -> dict:
    return {
        "statuses": Contact.Status.values,
        "topics": list(Topic.objects.order_by("name").values_list("key", "name")),
        "states": listing.STATES,
        "languages": sorted(LANGUAGES),
    }


@login_required
@require_GET
def contact_list(request):
    error = ""
    try:
        chosen = listing.parse(request.GET)
        contacts = chosen.queryset()
    except listing.FilterError as exc:
        error, chosen, contacts = str(exc), listing.ContactFilter(), Contact.objects.none()
    page = paginate(request, contacts.prefetch_related(SUBSCRIPTIONS))
    context = {
        "page": page,
        "filters": chosen,
        "filter_params": chosen.params(),
        "filter_error": error,
        "bulk": BulkForm(),
        "nav_section": "contacts",
        **_choices(),
    }
    return render(request, "web/contacts/list.html", context, status=400 if error else 200)


@login_required
@require_GET
def contact_export_csv(request):
    """Every contact matching the list's filters, as CSV (streamed; audited)."""
    try:
        chosen = listing.parse(request.GET)
    except listing.FilterError as exc:
        messages.error(request, str(exc))
        return redirect("web:contact_list")
    pieces = export.do_export(chosen.queryset(), by=staff_actor(request), filters=chosen.params())
    return export.response(request, pieces, "contacts.csv")


def _describe(form: BulkForm, count: int) -> str:
    data = form.cleaned_data
    people = f"{count:,} contact{'s' if count != 1 else ''}"
    topic = form.topic_names.get(data.get("sub_topic"), data.get("sub_topic"))
    unsub = form.topic_names.get(data.get("unsub_topic"))
    return {
        "add_tag": f"Add the tag “{data['bulk_tag'].strip()}” to {people}.",
        "remove_tag": f"Remove the tag “{data['bulk_tag'].strip()}” from {people}.",
        "subscribe": f"Subscribe {people} to “{topic}” as {data.get('sub_state')}.",
        "unsubscribe": f"Unsubscribe {people} from "
        + (f"“{unsub}”." if unsub else "everything (every topic)."),
        "delete": f"Delete {people}. This cannot be undone.",
    }[data["action"]]


def _withdrawn(qs) -> int:
    said_no = Subscription.objects.filter(state=Subscription.State.UNSUBSCRIBED)
    return qs.filter(
        Q(status__in=bulk_actions.WITHDRAWN) | Q(id__in=said_no.values("contact_id"))
    ).count()


def _run(form: BulkForm, qs, by) -> bulk.BulkResult:
    data = form.cleaned_data
    action = data["action"]
    if action in ("add_tag", "remove_tag"):
        return bulk.do_bulk_tag(qs, data["bulk_tag"], add=action == "add_tag", by=by)
    if action == "subscribe":
        topic = Topic.objects.get(key=data["sub_topic"])
        state, basis = data["sub_state"], data["basis"]
        return bulk_actions.do_bulk_subscribe(qs, topic, state, basis, by=by)
    if action == "unsubscribe":
        topic = Topic.objects.get(key=data["unsub_topic"]) if data["unsub_topic"] else None
        return bulk_actions.do_bulk_unsubscribe(qs, topic, data["reason"], by=by)
    return bulk_actions.do_bulk_delete(qs, by=by)


@login_required
@require_POST
def contact_bulk(request):
    """POST from the list: without `confirmed`, the confirmation page (what will happen, to
    how many); with it, the action. Export needs no confirmation: it streams the CSV."""
    try:
        chosen = listing.parse(request.POST)
    except listing.FilterError as exc:
        messages.error(request, str(exc))
        return redirect("web:contact_list")
    form = BulkForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"Nothing was done. {form.error_text()}")
        return redirect(_list_url(chosen))
    data = form.cleaned_data
    if data["scope"] == "all":
        qs = chosen.queryset()
    else:
        qs = Contact.objects.filter(id__in=data["ids"])
    by = staff_actor(request)
    if data["action"] == "export":
        params = chosen.params() if data["scope"] == "all" else {"ids": len(data["ids"])}
        return export.response(request, export.do_export(qs, by=by, filters=params), "contacts.csv")
    if not data["confirmed"]:
        count = qs.count()
        context = {
            "form": form,
            "count": count,
            "description": _describe(form, count),
            "withdrawn": _withdrawn(qs) if data["action"] == "delete" else 0,
            "post": [
                (k, v)
                for k in request.POST
                for v in request.POST.getlist(k)
                if k not in ("csrfmiddlewaretoken", "confirmed")
            ],
            "back": _list_url(chosen),
            "nav_section": "contacts",
        }
        return render(request, "web/contacts/bulk_confirm.html", context)
    try:
        result = _run(form, qs, by)
    except (bulk_actions.BulkActionError, FieldError, Topic.DoesNotExist) as exc:
        messages.error(request, f"Nothing was done: {exc}")
    else:
        messages.success(
            request,
            f"{dict(ACTIONS)[data['action']]}: {result.summary()}.",
        )
    return redirect(_list_url(chosen))
