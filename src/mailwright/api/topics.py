from django.http import HttpResponse
from ninja import Router, Status

from mailwright.api.errors import ApiError
from mailwright.api.pagination import page
from mailwright.api.schemas import TopicIn, TopicOut
from mailwright.consent import topics as topic_domain
from mailwright.contacts.models import Topic

router = Router(tags=["topics"])


@router.post("", response={201: TopicOut})
def create_topic(request, data: TopicIn):
    try:
        topic = topic_domain.create_topic(**data.dict())
    except topic_domain.TopicError as exc:
        status = 409 if exc.code == "conflict" else 422
        raise ApiError(status, exc.code, str(exc), exc.field or None) from None
    return Status(201, topic)


@router.get("", response=list[TopicOut])
def list_topics(request, response: HttpResponse, limit: int = 100, offset: int = 0):
    return page(request, response, Topic.objects.order_by("id"), limit, offset)


@router.get("/{topic_id}", response=TopicOut)
def get_topic(request, topic_id: int):
    return Topic.objects.get(pk=topic_id)
