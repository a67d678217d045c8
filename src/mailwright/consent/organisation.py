"""The sending organisation's identity (name, postal address, default sender)."""

from __future__ import annotations

from django.conf import settings
from django.db import IntegrityError, transaction

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
