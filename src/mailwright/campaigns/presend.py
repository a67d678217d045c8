"""The pre-send personalization check (SPEC §4.2): before a campaign's audience is frozen,
its template is rendered, strictly, once for every distinct *shape* of contact data in that
audience, so a template that would fail for some recipients is caught before anyone gets it.

A shape is what changes what a template does: the attribute keys with each value's type and
truthiness (and whether a string looks like an ISO date), whether the contact has a name,
tags, a birthday or anniversary, their language and whether their time zone is valid. The
audience is streamed (`.iterator(chunk_size=...)`, only the columns the context needs) and a
contact is rendered only when its shape is new, at most MAX_SHAPES times (the result says when
that cap was reached).

The render is strict (rendering.CheckUndefined): printing or computing with a name the
contact does not have fails here, with the contact, part, line and column. The send itself
stays lenient: a contact added after this check prints '' rather than failing.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

from mailwright.campaigns import date_filters
from mailwright.campaigns.rendering import (
    CompiledTemplate,
    TemplateError,
    compile_template,
    mark_attributes,
    recipient_context,
)
from mailwright.consent import organisation
from mailwright.contacts.models import Contact

MAX_SHAPES = 2_000  # renders at most; each is ~0.1-1 ms
CHUNK = 2_000  # rows fetched at a time
FIELDS = (
    "id",
    "email",
    "name",
    "language",
    "time_zone",
    "attributes",
    "tags",
    "created_at",
    "birthday",
    "anniversary",
)
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class PresendError(TemplateError):
    """The template fails for a contact of the audience: names them (id and email)."""

    def __init__(self, error: TemplateError, contact_id: int, email: str) -> None:
        super().__init__(
            error.reason,
            part=error.part,
            line=error.line,
            column=error.column,
            undefined=error.undefined,
            limit=error.limit,
            missing_attribute=error.missing_attribute,
        )
        self.contact_id = contact_id
        self.email = email
        self.args = (f"contact {contact_id} <{email}>: {self.args[0]}",)


@dataclass(frozen=True)
class PresendResult:
    contacts: int  # audience members looked at
    shapes: int  # distinct shapes seen
    rendered: int  # renders made (one per shape, at most MAX_SHAPES)
    capped: bool  # more shapes than MAX_SHAPES: the rest were not rendered
    seconds: float

    def summary(self) -> str:
        text = (
            f"rendered for {self.rendered:,} distinct contact shapes"
            f" ({self.contacts:,} contacts) in {self.seconds:.2f} s"
        )
        if self.capped:
            text += (
                f"; capped at {MAX_SHAPES:,} shapes of {self.shapes:,}: contacts of the"
                " other shapes were not rendered"
            )
        return text


def _kind(value) -> str:
    if isinstance(value, str):
        if _ISO_DATE.match(value):
            return "date-str"
        return "str" if value else "str0"
    if isinstance(value, bool):
        return "bool1" if value else "bool0"
    if isinstance(value, int | float):
        return type(value).__name__ + ("" if value else "0")
    if isinstance(value, list | dict):
        return type(value).__name__ + ("" if value else "0")
    return "none" if value is None else type(value).__name__


def shape(name, language, time_zone, attributes, tags, birthday, anniversary) -> tuple:
    attrs = attributes if isinstance(attributes, dict) else {}
    return (
        tuple(sorted((k, _kind(v)) for k, v in attrs.items())),
        bool(name and name.strip()),
        bool(tags),
        language,
        date_filters.zone(time_zone or "") is not None,
        birthday is None,
        anniversary is None,
    )


def check_audience(
    template, contacts, *, campaign=None, compiled: CompiledTemplate | None = None
) -> PresendResult:
    """Render `template` (subject, html, text) strictly for one contact of each shape in
    `contacts` (a Contact queryset); raise PresendError for the first that fails."""
    started = time.monotonic()
    compiled = compiled or compile_template(
        template.subject, template.html, template.text, strict=True
    )
    org = organisation.context()
    seen: set[tuple] = set()
    rows = contacts.order_by().values_list(*FIELDS).iterator(chunk_size=CHUNK)
    try:
        count, rendered = _walk(rows, seen, compiled, template, campaign, org)
    finally:
        rows.close()  # a failure stops mid-stream: the cursor is closed now, not at GC
    return PresendResult(
        contacts=count,
        shapes=len(seen),
        rendered=rendered,
        capped=len(seen) > MAX_SHAPES,
        seconds=time.monotonic() - started,
    )


def _walk(rows, seen: set, compiled, template, campaign, org) -> tuple[int, int]:
    count = rendered = 0
    for row in rows:
        count += 1
        key = shape(row[2], row[3], row[4], row[5], row[6], row[8], row[9])
        if key in seen:
            continue
        seen.add(key)
        if rendered >= MAX_SHAPES:
            continue
        rendered += 1
        contact = Contact(**dict(zip(FIELDS, row, strict=True)))
        ctx = recipient_context(contact, campaign, org)
        if campaign is None:
            ctx["campaign"] = {"id": 0, "name": "", "subject": template.subject}
        try:
            compiled.render(mark_attributes(ctx))
        except TemplateError as exc:
            raise PresendError(exc, contact.id, contact.email) from None
    return count, rendered
