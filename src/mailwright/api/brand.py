"""The brand kit and the marketing starters over the API (SPEC §4.1):
GET/PUT /api/v1/brand, GET /api/v1/templates/starters, POST /api/v1/templates/from-starter."""

from __future__ import annotations

from ninja import Router, Schema, Status
from pydantic import ConfigDict

from mailwright.api.errors import ApiError
from mailwright.api.schemas import TemplateOut
from mailwright.audit.actors import Actor
from mailwright.campaigns import marketing_starters
from mailwright.consent.brand import current_brand
from mailwright.consent.brand_store import FIELDS, BrandError, do_save_brand

router = Router(tags=["brand"])
starters_router = Router(tags=["templates"])


class BrandOut(Schema):
    logo_url: str
    logo_alt: str
    primary_color: str
    text_color: str
    background_color: str
    content_background: str
    link_color: str
    font_family: str
    heading_font_family: str
    footer_text: str
    public_css: str


class BrandIn(Schema):
    model_config = ConfigDict(extra="forbid")

    logo_url: str | None = None
    logo_alt: str | None = None
    primary_color: str | None = None
    text_color: str | None = None
    background_color: str | None = None
    content_background: str | None = None
    link_color: str | None = None
    font_family: str | None = None
    heading_font_family: str | None = None
    footer_text: str | None = None
    public_css: str | None = None


class StarterOut(Schema):
    key: str
    name: str
    subject: str
    description: str


class FromStarterIn(Schema):
    starter: str
    name: str = ""


def _out(brand) -> dict:
    return {field: getattr(brand, field) for field in FIELDS}


@router.get("", response=BrandOut)
def get_brand(request):
    return _out(current_brand())


@router.put("", response=BrandOut)
def put_brand(request, data: BrandIn):
    """Change any of the fields (the others are kept); bad values are refused with a 422
    naming the field."""
    try:
        values = {k: v for k, v in data.model_dump(exclude_unset=True).items() if v is not None}
        brand = do_save_brand(values, by=Actor.from_api_key(request))
    except BrandError as exc:
        raise ApiError(422, "invalid", exc.reason, exc.field) from None
    return _out(brand)


@starters_router.get("/starters", response=list[StarterOut])
def list_starters(request):
    return marketing_starters.listing()


@starters_router.post("/from-starter", response={201: TemplateOut})
def from_starter(request, data: FromStarterIn):
    if data.starter not in marketing_starters.STARTERS:
        choices = ", ".join(marketing_starters.STARTERS)
        raise ApiError(
            422, "invalid", f"no starter named {data.starter!r}; one of {choices}", "starter"
        )
    return Status(201, marketing_starters.create_from_starter(data.starter, data.name[:200]))
