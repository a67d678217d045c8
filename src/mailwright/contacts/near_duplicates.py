"""Near-duplicate contacts (SPEC §2.4): addresses that probably reach the same mailbox though
they are spelled differently — Gmail ignores dots in the local part and treats
googlemail.com as gmail.com, and most providers deliver `name+tag@` to `name@`. They are
found for an operator to review, never merged on a guess (a `+tag` may be a separate
mailbox on some servers). Case variants need no review: they are one contact already
(contacts.addresses.email_key).

One query groups every contact by its "loose key" (the key with those differences removed),
on SQLite and PostgreSQL alike; groups an operator dismissed stay dismissed."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Case, CharField, Count, F, Value, When
from django.db.models.functions import Concat, Replace, StrIndex, Substr

from mailwright.contacts.models import Contact, DuplicateDismissal

GMAIL_DOMAINS = ("gmail.com", "googlemail.com")


def loose_key(key: str) -> str:
    """The loose key of one address key (the Python twin of the SQL in `_loose_expression`)."""
    local, _, domain = key.rpartition("@")
    if "+" in local[1:]:
        local = local[: local.index("+", 1)]
    if domain in GMAIL_DOMAINS:
        return f"{local.replace('.', '')}@gmail.com"
    return f"{local}@{domain}"


def _loose_expression():
    at = StrIndex("email_key", Value("@"))
    local = Substr("email_key", 1, at - 1)
    domain = Substr("email_key", at + 1)
    plus = StrIndex(local, Value("+"))
    base = Case(
        When(**{"plus__gt": 1}, then=Substr(local, 1, F("plus") - 1)),
        default=local,
        output_field=CharField(),
    )
    return plus, domain, base


def _annotated(qs=None):
    plus, domain, base = _loose_expression()
    qs = (qs if qs is not None else Contact.objects.all()).exclude(email_key=None)
    qs = qs.exclude(status=Contact.Status.ERASED).annotate(plus=plus, domain_part=domain)
    return qs.annotate(
        loose=Case(
            When(
                domain_part__in=GMAIL_DOMAINS,
                then=Concat(Replace(base, Value("."), Value("")), Value("@gmail.com")),
            ),
            default=Concat(base, Value("@"), F("domain_part")),
            output_field=CharField(),
        )
    )


@dataclass
class Group:
    loose_key: str
    contacts: list[Contact]

    @property
    def reasons(self) -> list[str]:
        """Why these look like one mailbox, in words."""
        keys = [c.email_key for c in self.contacts]
        found = []
        if any("+" in k.split("@")[0][1:] for k in keys):
            found.append("plus-address (name+tag@) of the same mailbox")
        domains = {k.rpartition("@")[2] for k in keys}
        if "googlemail.com" in domains:
            found.append("googlemail.com is gmail.com")
        if any(d in GMAIL_DOMAINS for d in domains) and len(
            {k.rpartition("@")[0].split("+")[0] for k in keys}
        ) > len({k.rpartition("@")[0].split("+")[0].replace(".", "") for k in keys}):
            found.append("Gmail ignores dots in the name")
        return found or ["the same mailbox once tags and dots are removed"]

    def as_dict(self) -> dict:
        return {
            "key": self.loose_key,
            "reasons": self.reasons,
            "contacts": [
                {
                    "id": c.id,
                    "email": c.email,
                    "name": c.name,
                    "status": c.status,
                    "created_at": c.created_at.isoformat(),
                }
                for c in self.contacts
            ],
        }


def duplicate_keys(*, include_dismissed: bool = False):
    """Loose keys shared by more than one contact, as a queryset of values (one query)."""
    qs = (
        _annotated()
        .values("loose")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .order_by("loose")
        .values_list("loose", flat=True)
    )
    if not include_dismissed:
        qs = qs.exclude(loose__in=DuplicateDismissal.objects.values("loose_key"))
    return qs


def groups(keys) -> list[Group]:
    """The contacts of these loose keys, oldest first in each group."""
    keys = list(keys)
    if not keys:
        return []
    members: dict[str, list[Contact]] = {k: [] for k in keys}
    found = _annotated().filter(loose__in=keys).prefetch_related("subscriptions__topic")
    for contact in found.order_by("created_at", "id"):
        members[contact.loose].append(contact)
    return [Group(k, members[k]) for k in keys if len(members[k]) > 1]


def group_for(key: str) -> Group | None:
    found = groups([key])
    return found[0] if found else None
