"""The contact list's filters, shared by the UI list, its bulk actions, the CSV export and
`GET /api/v1/contacts`: search, status, topic and subscription state, tag, language, and the
day the contact was added."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass
from datetime import date

from django.db.models import Exists, OuterRef, Q, QuerySet

from mailwright.contacts import fields
from mailwright.contacts.models import LANGUAGES, Contact, Subscription, Topic
from mailwright.contacts.segments import compile_segment

# A subscription-state filter: one of the states, or "none" (no subscription to the topic).
STATES = (*Subscription.State.values, "none")
PARAMS = ("q", "status", "topic", "state", "tag", "language", "created_after", "created_before")
CHUNK = 1000


class FilterError(ValueError):
    """A filter value is not acceptable; `field` names the parameter."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


@dataclass(frozen=True)
class ContactFilter:
    q: str = ""
    status: str = ""
    topic: str = ""
    state: str = ""
    tag: str = ""
    language: str = ""
    created_after: date | None = None  # on or after this day (UTC)
    created_before: date | None = None  # before this day (UTC)

    def active(self) -> bool:
        return any(asdict(self).values())

    def params(self) -> dict[str, str]:
        """The filter as query parameters (empty ones left out)."""
        return {
            k: v.isoformat() if isinstance(v, date) else v for k, v in asdict(self).items() if v
        }

    def queryset(self) -> QuerySet[Contact]:
        qs = Contact.objects.all()
        if self.q:
            qs = qs.filter(Q(email__icontains=self.q) | Q(name__icontains=self.q))
        if self.status:
            qs = qs.filter(status=self.status)
        if self.language:
            qs = qs.filter(language=self.language)
        if self.tag:
            qs = qs.filter(compile_segment({"field": "tag", "op": "eq", "value": self.tag}))
        if self.created_after:
            qs = qs.filter(created_at__date__gte=self.created_after)
        if self.created_before:
            qs = qs.filter(created_at__date__lt=self.created_before)
        if self.topic or self.state:
            subs = Subscription.objects.filter(contact=OuterRef("pk"))
            if self.topic:
                subs = subs.filter(topic__key=self.topic)
            if self.state == "none":
                qs = qs.filter(~Exists(subs))
            else:
                qs = qs.filter(Exists(subs.filter(state=self.state) if self.state else subs))
        return qs


def parse(params: Mapping[str, str]) -> ContactFilter:
    """A filter from query parameters; FilterError naming the first bad one."""
    get = {name: (params.get(name) or "").strip() for name in PARAMS}
    if any("\x00" in v for v in get.values()):
        bad = next(k for k, v in get.items() if "\x00" in v)
        raise FilterError(bad, "contains a NUL character")
    if len(get["q"]) > 320:
        raise FilterError("q", "is longer than 320 characters")
    if get["status"] and get["status"] not in Contact.Status.values:
        raise FilterError("status", f"must be one of {', '.join(Contact.Status.values)}")
    if get["language"] and get["language"] not in LANGUAGES:
        raise FilterError("language", f"must be one of {', '.join(sorted(LANGUAGES))}")
    if get["state"] and get["state"] not in STATES:
        raise FilterError("state", f"must be one of {', '.join(STATES)}")
    if get["state"] == "none" and not get["topic"]:
        raise FilterError("state", "“none” (not subscribed) needs a topic")
    if get["topic"] and not Topic.objects.filter(key=get["topic"][:64]).exists():
        raise FilterError("topic", f"unknown topic {get['topic'][:64]!r}")
    if get["tag"]:
        try:
            get["tag"] = fields.clean_tag(get["tag"], "tag")
        except fields.FieldError as exc:
            raise FilterError("tag", str(exc).removeprefix("tag: ")) from None
    dates = {}
    for name in ("created_after", "created_before"):
        try:
            dates[name] = fields.clean_date(get[name], name)
        except fields.FieldError as exc:
            raise FilterError(name, str(exc).removeprefix(f"{name}: ")) from None
    return ContactFilter(**{**get, **dates})


def id_chunks(qs: QuerySet[Contact], size: int = CHUNK) -> Iterator[list[int]]:
    """The ids of `qs` in ascending chunks, each read by its own query (keyset on id), so a
    million contacts never sit in memory and rows leaving the filter meanwhile do not shift
    the pages."""
    last = 0
    base = qs.order_by("id").values_list("id", flat=True)
    while True:
        ids = list(base.filter(id__gt=last)[:size])
        if not ids:
            return
        yield ids
        last = ids[-1]
