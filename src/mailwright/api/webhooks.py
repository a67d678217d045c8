from django.http import HttpResponse
from ninja import Router, Schema, Status
from pydantic import ConfigDict, Field

from mailwright.api.errors import ApiError
from mailwright.api.pagination import page
from mailwright.audit.actors import Actor
from mailwright.feedback import webhooks
from mailwright.feedback.models import WebhookDelivery, WebhookEndpoint

router = Router(tags=["webhooks"])


class EndpointIn(Schema):
    model_config = ConfigDict(extra="forbid")
    url: str = Field(max_length=1000)
    event_types: list[str] = Field(default_factory=list, max_length=20)
    description: str = Field("", max_length=200)


class EndpointOut(Schema):
    id: int
    url: str
    event_types: list[str]
    description: str
    enabled: bool


class EndpointCreated(EndpointOut):
    secret: str  # shown once, at creation


class DeliveryOut(Schema):
    id: int
    event_type: str
    state: str
    attempts: int
    last_status: int | None
    last_error: str
    created_at: object
    delivered_at: object | None


@router.post("", response={201: EndpointCreated})
def create_endpoint(request, data: EndpointIn):
    try:
        endpoint = webhooks.do_create_endpoint(
            data.url, data.event_types, data.description, by=Actor.from_api_key(request)
        )
    except webhooks.WebhookError as exc:
        raise ApiError(422, "invalid", str(exc), exc.field) from None
    return Status(201, endpoint)


@router.get("", response=list[EndpointOut])
def list_endpoints(request, response: HttpResponse, limit: int = 100, offset: int = 0):
    return page(request, response, WebhookEndpoint.objects.order_by("id"), limit, offset)


@router.delete("/{endpoint_id}", response={204: None})
def delete_endpoint(request, endpoint_id: int):
    endpoint = WebhookEndpoint.objects.get(pk=endpoint_id)
    webhooks.do_delete_endpoint(endpoint, by=Actor.from_api_key(request))
    return Status(204, None)


@router.get("/{endpoint_id}/deliveries", response=list[DeliveryOut])
def endpoint_deliveries(
    request, endpoint_id: int, response: HttpResponse, limit: int = 100, offset: int = 0
):
    endpoint = WebhookEndpoint.objects.get(pk=endpoint_id)
    qs = WebhookDelivery.objects.filter(endpoint=endpoint).order_by("-id")
    return page(request, response, qs, limit, offset)
