from django.http import HttpResponse
from ninja import Router, Status

from mailwright.api.pagination import page
from mailwright.api.schemas import CapturedDetail, CapturedOut
from mailwright.audit.actors import Actor
from mailwright.delivery import actions
from mailwright.delivery.models import CapturedMessage

router = Router(tags=["outbox"])


@router.get("/captured", response=list[CapturedOut])
def list_captured(request, response: HttpResponse, to: str = "", limit: int = 100, offset: int = 0):
    qs = CapturedMessage.objects.defer("raw").order_by("-id")
    if to:
        qs = qs.filter(to__iexact=to.strip()[:320])
    return page(request, response, qs, limit, offset)


@router.get("/captured/{message_id}", response=CapturedDetail)
def get_captured(request, message_id: int):
    return CapturedMessage.objects.defer("raw").get(pk=message_id)


@router.get("/captured/{message_id}/raw")
def get_captured_raw(request, message_id: int):
    msg = CapturedMessage.objects.get(pk=message_id)
    return HttpResponse(bytes(msg.raw), content_type="message/rfc822")


@router.delete("/captured", response={204: None})
def clear_captured(request):
    actions.do_clear_captured(by=Actor.from_api_key(request))
    return Status(204, None)
