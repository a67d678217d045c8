"""CSV export of contacts (the list's export action and `GET /api/v1/contacts/export.csv`):
streamed in chunks of 1,000 contacts (each chunk one query for the contacts and one for their
subscriptions), so a million contacts export in constant memory. UTF-8 with a BOM, which Excel
needs to read it as UTF-8; every cell a spreadsheet could run as a formula is neutralised."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Iterator

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIRequest
from django.db.models import QuerySet
from django.http import StreamingHttpResponse

from mailwright.audit import log as audit
from mailwright.audit.actors import Actor
from mailwright.contacts.listing import CHUNK, id_chunks
from mailwright.contacts.models import AttributeDefinition, Contact, Subscription

COLUMNS = [
    "email",
    "name",
    "language",
    "time_zone",
    "status",
    "tags",
    "birthday",
    "anniversary",
    "created_at",
    "subscriptions",
]
_FIELDS = ["id", "email", "name", "language", "time_zone", "status", "tags", "birthday"]
_FIELDS += ["anniversary", "created_at", "attributes"]
# Spreadsheets run a cell starting with these as a formula (CSV injection); tab and CR too,
# since some strip them before looking.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value) -> str:
    """A CSV cell a spreadsheet shows as text and never runs as a formula (CSV injection):
    every CSV Mailwright writes goes through this."""
    if value is None:
        return ""
    if isinstance(value, bool):
        text = "true" if value else "false"
    else:
        text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def _row(contact: dict, subs: list[str], keys: list[str]) -> list[str]:
    attrs = contact["attributes"] if isinstance(contact["attributes"], dict) else {}
    tags = contact["tags"] if isinstance(contact["tags"], list) else []
    values = [
        contact["email"],
        contact["name"],
        contact["language"],
        contact["time_zone"],
        contact["status"],
        ", ".join(str(t) for t in tags),
        contact["birthday"].isoformat() if contact["birthday"] else "",
        contact["anniversary"].isoformat() if contact["anniversary"] else "",
        contact["created_at"].isoformat(),
        "; ".join(subs),
        *(attrs.get(key) for key in keys),
    ]
    return [safe_cell(v) for v in values]


def csv_chunks(qs: QuerySet[Contact], chunk: int = CHUNK) -> Iterator[str]:
    """The CSV text, one piece per chunk of contacts: first the BOM and the header."""
    keys = list(AttributeDefinition.objects.order_by("key").values_list("key", flat=True))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([safe_cell(c) for c in (*COLUMNS, *keys)])
    yield "\ufeff" + buffer.getvalue()
    for ids in id_chunks(qs, chunk):
        buffer.seek(0)
        buffer.truncate()
        subs: dict[int, list[str]] = {}
        rows = Subscription.objects.filter(contact_id__in=ids).order_by("contact_id", "topic__key")
        for contact_id, topic, state in rows.values_list("contact_id", "topic__key", "state"):
            subs.setdefault(contact_id, []).append(f"{topic}:{state}")
        for contact in Contact.objects.filter(id__in=ids).order_by("id").values(*_FIELDS):
            writer.writerow(_row(contact, subs.get(contact["id"], []), keys))
        yield buffer.getvalue()


def do_export(qs: QuerySet[Contact], *, by: Actor, filters: dict) -> Iterator[str]:
    """Audit an export of personal data (who, which filter, how many), then its CSV pieces."""
    count = qs.count()
    audit.record(by, "contact.export", "contact", "", after={"filters": filters, "count": count})
    return csv_chunks(qs)


async def _pieces(pieces: Iterator[str]) -> AsyncIterator[bytes]:
    # Under ASGI Django reads a synchronous iterator to the end before sending anything (all
    # of it in memory); an async one is sent as it comes. Each piece is read (with its
    # queries) in the thread the view ran in.
    done = object()
    while True:
        piece = await sync_to_async(next, thread_sensitive=True)(pieces, done)
        if piece is done:
            return
        yield piece.encode("utf-8")


def _encoded(pieces: Iterator[str]) -> Iterator[bytes]:
    for piece in pieces:
        yield piece.encode("utf-8")


def response(request, pieces: Iterator[str], filename: str) -> StreamingHttpResponse:
    """The CSV as it is produced: an async iterator under ASGI (`mailwright web`), a plain
    one under WSGI; either way Django sends each piece when it comes."""
    content = _pieces(pieces) if isinstance(request, ASGIRequest) else _encoded(pieces)
    out = StreamingHttpResponse(content, content_type="text/csv; charset=utf-8")
    out["Content-Disposition"] = f'attachment; filename="{filename}"'
    out["Cache-Control"] = "no-store"
    return out
