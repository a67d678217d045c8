from django.db import IntegrityError, transaction
from django.http import HttpResponse
from ninja import Router, Status

from mailwright.api.errors import ApiError
from mailwright.api.pagination import page
from mailwright.api.schemas import TopicIn, TopicOut
from mailwright.contacts.models import Topic

router = Router(tags=["topics"])


@router.post("", response={201: TopicOut})
def create_topic(request, data: TopicIn):
    try:
        with transaction.atomic():  # a savepoint: the failed INSERT must not poison the request
            topic = Topic.objects.create(**data.dict())
    except IntegrityError:
        raise ApiError(409, "conflict", f"a topic with key {data.key!r} exists", "key") from None
    return Status(201, topic)


@router.get("", response=list[TopicOut])
def list_topics(request, response: HttpResponse, limit: int = 100, offset: int = 0):
    return page(request, response, Topic.objects.order_by("id"), limit, offset)


@router.get("/{topic_id}", response=TopicOut)
def get_topic(request, topic_id: int):
    return Topic.objects.get(pk=topic_id)
