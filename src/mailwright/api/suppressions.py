from datetime import datetime

from django.http import HttpResponse
from ninja import Router, Schema, Status
from pydantic import ConfigDict, Field

from mailwright.api.errors import ApiError
from mailwright.api.pagination import page
from mailwright.audit.actors import Actor
from mailwright.consent.hashing import address_hashes
from mailwright.consent.models import Suppression
from mailwright.consent.suppression import do_suppress
from mailwright.contacts.addresses import InvalidAddress, normalize_email

router = Router(tags=["suppressions"])


class SuppressionIn(Schema):
    model_config = ConfigDict(extra="forbid")
    email: str = Field(max_length=320)
    note: str = Field("", max_length=2000)


class SuppressionOut(Schema):
    id: int
    email: str | None  # null once the person was erased: only the hash remains
    email_hash: str
    reason: str
    detail: str
    created_at: datetime


@router.get("", response=list[SuppressionOut])
def list_suppressions(
    request,
    response: HttpResponse,
    reason: str = "",
    email: str = "",
    limit: int = 100,
    offset: int = 0,
):
    qs = Suppression.objects.order_by("-id")
    if reason:
        if reason not in Suppression.Reason.values:
            raise ApiError(
                422,
                "invalid",
                f"reason must be one of {', '.join(Suppression.Reason.values)}",
                "reason",
            )
        qs = qs.filter(reason=reason)
    if email:
        try:
            qs = qs.filter(email_hash__in=address_hashes(normalize_email(email)))
        except InvalidAddress as exc:
            raise ApiError(422, "invalid", str(exc), "email") from None
    return page(request, response, qs, limit, offset)


@router.post("", response={201: SuppressionOut, 200: SuppressionOut})
def add_suppression(request, data: SuppressionIn):
    """Suppress an address by hand (reason "manual"); an address already suppressed is
    returned as it is (200)."""
    try:
        email = normalize_email(data.email)
    except InvalidAddress as exc:
        raise ApiError(422, "invalid", str(exc), "email") from None
    existing = Suppression.objects.filter(email_hash__in=address_hashes(email)).first()
    if existing:
        return Status(200, existing)
    by = Actor.from_api_key(request)
    return Status(201, do_suppress(email, Suppression.Reason.MANUAL, data.note, by=by))
