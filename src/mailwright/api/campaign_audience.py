"""A campaign's audience: who it would reach now (or reached, once frozen) and how many
were left out for each reason (SPEC §4.5); an empty audience refused at send as a 422."""

from __future__ import annotations

from ninja import NinjaAPI, Router, Schema

from mailwright.api.errors import body
from mailwright.campaigns.models import Campaign
from mailwright.delivery.audience import EmptyAudience, summary

router = Router(tags=["campaigns"])


class AudienceOut(Schema):
    eligible: int
    excluded: dict[str, int]
    frozen: bool


@router.get("/{campaign_id}/audience", response=AudienceOut)
def audience(request, campaign_id: int):
    """Before sending: the live counts. Once sending started: the counts frozen then."""
    return summary(Campaign.objects.get(pk=campaign_id))


def install(api: NinjaAPI) -> None:
    """POST /campaigns/{id}/send on an empty audience: 422 with the reasons."""

    @api.exception_handler(EmptyAudience)
    def _empty(request, exc: EmptyAudience):
        out = body("empty_audience", str(exc))
        out["exclusions"] = exc.exclusions
        return api.create_response(request, out, status=422)
