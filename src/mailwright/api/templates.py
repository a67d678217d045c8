from typing import Literal

from django.http import HttpResponse
from ninja import Router, Status

from mailwright.api.errors import ApiError
from mailwright.api.pagination import page
from mailwright.api.schemas import ServiceTemplateOut, TemplateIn, TemplateOut
from mailwright.campaigns.models import Template
from mailwright.campaigns.service_templates import save_service_template
from mailwright.campaigns.templates import save_template

router = Router(tags=["templates"])


def _save(data: TemplateIn, instance: Template | None = None) -> Template:
    if instance is not None and instance.kind != data.kind:
        raise ApiError(422, "invalid", f"this is a {instance.kind} template", "kind")
    if data.kind == "service":
        if not data.key:
            raise ApiError(422, "invalid", "a service template needs a key", "key")
        tpl, _ = save_service_template(
            key=data.key,
            name=data.name,
            subject=data.subject,
            html=data.html,
            mjml_source=data.mjml,
            text=data.text,
            fields=data.fields,
            language=data.language,
            description=data.description,
            instance=instance,
        )
        return tpl
    for name in ("key", "fields"):
        if getattr(data, name):
            raise ApiError(422, "invalid", f"'{name}' is for service templates only", name)
    return save_template(
        name=data.name,
        subject=data.subject,
        html=data.html,
        mjml_source=data.mjml,
        text=data.text,
        instance=instance,
    )


@router.post("", response={201: TemplateOut})
def create_template(request, data: TemplateIn):
    return Status(201, _save(data))


@router.get("", response=list[TemplateOut])
def list_templates(
    request,
    response: HttpResponse,
    kind: Literal["marketing", "service", "all"] = "marketing",
    limit: int = 100,
    offset: int = 0,
):
    """Marketing templates by id (the default), service templates by key, or all."""
    templates = Template.objects.prefetch_related("translations")
    if kind == "service":
        templates = templates.filter(kind="service").order_by("key")
    elif kind == "marketing":
        templates = templates.filter(kind="marketing").order_by("id")
    else:
        templates = templates.order_by("id")
    return page(request, response, templates, limit, offset)


@router.get("/service/{key}", response=ServiceTemplateOut)
def get_service_template(request, key: str):
    return Template.objects.prefetch_related("translations").get(kind="service", key=key)


@router.get("/{template_id}", response=TemplateOut)
def get_template(request, template_id: int):
    return Template.objects.get(pk=template_id)


@router.put("/{template_id}", response=TemplateOut)
def replace_template(request, template_id: int, data: TemplateIn):
    return _save(data, Template.objects.get(pk=template_id))
