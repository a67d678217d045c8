"""The sending organisation over the API (Settings → Organisation in the UI):
GET/PUT /api/v1/organisation. The same checks as the page (consent.organisation.clean) and
the same audited action (consent.organisation.do_update)."""

from __future__ import annotations

from ninja import Router, Schema
from pydantic import ConfigDict, StrictInt

from mailwright.api.errors import ApiError
from mailwright.audit.actors import Actor
from mailwright.consent import organisation

router = Router(tags=["organisation"])


class OrganisationOut(Schema):
    name: str
    postal_address: str
    from_email: str
    from_name: str
    test_addresses: list[str]
    frequency_cap: int
    frequency_days: int
    updated_at: str


class OrganisationIn(Schema):
    """Every field optional: only those given change."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = None
    postal_address: str | None = None
    from_email: str | None = None
    from_name: str | None = None
    test_addresses: list[str] | None = None
    frequency_cap: StrictInt | None = None
    frequency_days: StrictInt | None = None


def _out(org) -> dict:
    return {
        "name": org.name,
        "postal_address": org.postal_address,
        "from_email": org.from_email,
        "from_name": org.from_name,
        "test_addresses": org.test_addresses.splitlines(),
        "frequency_cap": org.frequency_cap,
        "frequency_days": org.frequency_days,
        "updated_at": org.updated_at.isoformat(),
    }


@router.get("", response=OrganisationOut)
def get_organisation(request):
    return _out(organisation.current())


@router.put("", response=OrganisationOut)
def put_organisation(request, data: OrganisationIn):
    """Change the fields given (the others are kept); a bad value is refused with a 422
    naming the field, and nothing changes."""
    values = data.model_dump(exclude_unset=True)
    for field, value in values.items():
        if value is None:
            raise ApiError(422, "invalid", f"{field}: must not be null", field)
    try:
        org = organisation.do_update(values, by=Actor.from_api_key(request))
    except organisation.OrganisationError as exc:
        raise ApiError(422, "invalid", exc.reason, exc.field) from None
    return _out(org)
