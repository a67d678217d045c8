"""Contacts → Segments: stored segments with their counts, the builder (a form whose tree is
kept in a hidden JSON field, edited by static/web/segments.js) and the builder's live
preview (count and a sample of matching contacts). Writes go through
contacts.segment_store, like the API's."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from mailwright import jsonsafe
from mailwright.contacts import segment_store
from mailwright.contacts.models import Contact, Segment
from mailwright.contacts.segments import SegmentError
from mailwright.web.segments.catalog import catalog
from mailwright.web.shell.helpers import staff_actor

SAMPLE = 10
MAX_BODY = 256 * 1024


@login_required
@require_GET
def segment_list(request):
    rows = []
    for segment in Segment.objects.order_by("name"):
        try:
            count, error = segment_store.count(segment.tree, segment_store.TREE), ""
        except SegmentError as exc:  # e.g. a topic it names was deleted since
            count, error = None, str(exc)
        rows.append({"segment": segment, "count": count, "error": error})
    return render(
        request,
        "web/segments/list.html",
        {"rows": rows, "everyone": Contact.objects.count()},
    )


def _parse_tree(text: str):
    """The hidden field's JSON: a tree, or None for "no conditions yet"."""
    try:
        tree = jsonsafe.loads(text or "null")
    except ValueError:
        raise segment_store.SegmentStoreError(
            "the builder sent something that is not JSON; reload the page", segment_store.TREE
        ) from None
    return tree


@login_required
@require_http_methods(["GET", "POST"])
def segment_edit(request, segment_id: int | None = None):
    segment = get_object_or_404(Segment, pk=segment_id) if segment_id else None
    data = {
        "name": segment.name if segment else "",
        "description": segment.description if segment else "",
        "tree": json.dumps(segment.tree if segment else None),
    }
    error = {}
    if request.method == "POST":
        data = {k: request.POST.get(k, "")[:MAX_BODY] for k in ("name", "description", "tree")}
        try:
            tree = _parse_tree(data["tree"])
            if tree is None:
                raise segment_store.SegmentStoreError(
                    "add at least one condition", segment_store.TREE
                )
            fields = {"name": data["name"], "description": data["description"], "tree": tree}
            if segment:
                saved = segment_store.do_update_segment(
                    segment.pk, by=staff_actor(request), **fields
                )
            else:
                saved = segment_store.do_create_segment(**fields, by=staff_actor(request))
        except SegmentError as exc:
            error = {"node": exc.node, "message": exc.message, "text": str(exc)}
        except segment_store.SegmentStoreError as exc:
            error = {"field": exc.field or "tree", "message": str(exc), "text": str(exc)}
        else:
            messages.success(request, f"Segment “{saved.name}” saved.")
            return redirect("web:segment_edit", saved.pk)
    context = {
        "segment": segment,
        "data": data,
        "error": error,
        "catalog": catalog(),
        "campaigns": list(segment.campaigns.order_by("-id")[:20]) if segment else [],
    }
    return render(request, "web/segments/edit.html", context, status=400 if error else 200)


@login_required
@require_POST
def segment_preview(request):
    """The builder's live count: POST {"tree": TREE} (CSRF-protected like any form) →
    {"count", "sample": [{"email", "name", "url"}]}, or 422 {"error": {"node", "message"}}."""
    if len(request.body) > MAX_BODY:
        return JsonResponse({"error": {"node": "tree", "message": "the tree is too large"}}, 413)
    try:
        payload = jsonsafe.loads(request.body or b"{}")
        tree = payload.get("tree") if isinstance(payload, dict) else None
    except ValueError:
        return JsonResponse({"error": {"node": "tree", "message": "not JSON"}}, status=400)
    try:
        members = segment_store.members(tree, segment_store.TREE)
        count = members.count()
        sample = [
            {
                "email": c.email,
                "name": c.name,
                "url": reverse("web:contact_detail", args=[c.pk]),
            }
            for c in members.only("id", "email", "name")[:SAMPLE]
        ]
    except SegmentError as exc:
        return JsonResponse(
            {"error": {"node": exc.node, "path": exc.path, "message": exc.message}}, status=422
        )
    return JsonResponse({"count": count, "sample": sample})


@login_required
@require_POST
def segment_delete(request, segment_id: int):
    segment = get_object_or_404(Segment, pk=segment_id)
    try:
        segment_store.do_delete_segment(segment.pk, by=staff_actor(request))
    except segment_store.SegmentStoreError as exc:
        messages.error(request, f"Not deleted: {exc}")
        return redirect("web:segment_edit", segment.pk)
    messages.success(request, f"Segment “{segment.name}” deleted.")
    return redirect("web:segment_list")
