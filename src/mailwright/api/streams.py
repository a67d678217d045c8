"""Sending streams (marketing, service): their reputation over the last 7 days."""

from django.utils import timezone
from ninja import Router

from mailwright.api.errors import ApiError
from mailwright.api.schemas import StreamReputationOut
from mailwright.feedback import reputation

router = Router(tags=["streams"])


@router.get("/{name}/reputation", response=StreamReputationOut)
def get_reputation(request, name: str):
    """The stream's hard-bounce and complaint rates over the last 7 days, judged against
    the lines Amazon SES and Gmail publish (the same figures as Delivery → Reputation)."""
    try:
        return reputation.stream_reputation(name, timezone.now()).as_dict()
    except reputation.UnknownStream as exc:
        raise ApiError(404, "not_found", str(exc)) from None
