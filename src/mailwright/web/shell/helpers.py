"""Helpers shared by the views of every area: who is acting, pagination, downloads."""

from __future__ import annotations

import csv
import io
import json

from django.core.paginator import Paginator
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse

from mailwright.audit.actors import Actor
from mailwright.consent import organisation
from mailwright.contacts.export import safe_cell

PAGE_SIZE = 50


def staff_actor(request) -> Actor:
    """The signed-in user, as the audit trail records them."""
    return Actor.from_user(request, channel="admin")


def paginate(request, queryset, param: str = "page"):
    """One page of PAGE_SIZE rows, its number taken from the query parameter `param`."""
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get(param))


def missing_postal_address() -> bool:
    """Marketing mail cannot be sent without the sender's postal address (SPEC §3.4)."""
    return not organisation.current().postal_address.strip()


def json_download(data: dict, filename: str) -> HttpResponse:
    body = json.dumps(data, indent=2, ensure_ascii=False, cls=DjangoJSONEncoder)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


def csv_cell(value) -> str:
    """A cell a spreadsheet will not run as a formula (CSV injection)."""
    return safe_cell(value)


def csv_download(rows, filename: str) -> HttpResponse:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow([csv_cell(c) for c in row] if row else [])
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response
