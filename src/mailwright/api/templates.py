from django.http import HttpResponse
from ninja import Router, Status

from mailwright.api.pagination import page
from mailwright.api.schemas import TemplateIn, TemplateOut
from mailwright.campaigns.models import Template
from mailwright.campaigns.templates import save_template

router = Router(tags=["templates"])


@router.post("", response={201: TemplateOut})
def create_template(request, data: TemplateIn):
    tpl = save_template(
        name=data.name, subject=data.subject, html=data.html, mjml_source=data.mjml, text=data.text
    )
    return Status(201, tpl)


@router.get("", response=list[TemplateOut])
def list_templates(request, response: HttpResponse, limit: int = 100, offset: int = 0):
    return page(request, response, Template.objects.order_by("id"), limit, offset)


@router.get("/{template_id}", response=TemplateOut)
def get_template(request, template_id: int):
    return Template.objects.get(pk=template_id)


@router.put("/{template_id}", response=TemplateOut)
def replace_template(request, template_id: int, data: TemplateIn):
    tpl = Template.objects.get(pk=template_id)
    return save_template(
        name=data.name,
        subject=data.subject,
        html=data.html,
        mjml_source=data.mjml,
        text=data.text,
        instance=tpl,
    )
