"""The sending organisation's identity (name, postal address, default sender)."""

from __future__ import annotations

from django.conf import settings
from django.db import IntegrityError, transaction

from mailwright.audit import log as audit
from mailwright.audit.actors import Actor
from mailwright.consent.models import Organisation


def current() -> Organisation:
    org = Organisation.objects.filter(id=1).first()
    if org is not None:
        return org
    try:
        with transaction.atomic():
            return Organisation.objects.create(
                id=1,
                name=settings.ORGANISATION_NAME,
                postal_address=settings.ORGANISATION_ADDRESS,
                from_email=settings.DEFAULT_FROM_EMAIL,
                from_name=settings.DEFAULT_FROM_NAME,
            )
    except IntegrityError:
        return Organisation.objects.get(id=1)


def context(org: Organisation | None = None) -> dict:
    org = org or current()
    return {"name": org.name, "address": org.postal_address}


FIELDS = (
    "name",
    "postal_address",
    "from_email",
    "from_name",
    "test_addresses",
    "frequency_cap",
    "frequency_days",
)


@transaction.atomic
def do_update(values: dict, *, by: Actor) -> Organisation:
    """Change the organisation's settings (name, postal address, default sender, the seed
    list for test sends, the default frequency cap: at most frequency_cap marketing emails in
    frequency_days days, 0 = none)."""
    org = current()
    before = {f: getattr(org, f) for f in FIELDS}
    for field in FIELDS:
        if field in values:
            setattr(org, field, values[field])
    org.save()
    after = {f: getattr(org, f) for f in FIELDS}
    changed = {f for f in FIELDS if before[f] != after[f]}
    if changed:
        audit.record(
            by,
            "settings.organisation",
            "settings",
            "organisation",
            before={f: before[f] for f in sorted(changed)},
            after={f: after[f] for f in sorted(changed)},
        )
    return org
