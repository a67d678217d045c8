"""Declared custom attributes (SPEC §2.1): /api/v1/attributes."""

from __future__ import annotations

from ninja import Router, Status

from mailwright.api.errors import ApiError
from mailwright.api.schemas import AttributeDeletedOut, AttributeIn, AttributeOut, AttributePatch
from mailwright.audit.actors import Actor
from mailwright.contacts import attribute_store
from mailwright.contacts.models import AttributeDefinition

router = Router(tags=["attributes"])

STATUS = {"not_found": 404, "conflict": 409}


def _call(fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except attribute_store.AttributeDefinitionError as exc:
        raise ApiError(STATUS.get(exc.code, 422), exc.code, str(exc), exc.field or None) from None


@router.get("", response=list[AttributeOut])
def list_attributes(request):
    return list(AttributeDefinition.objects.order_by("key"))


@router.post("", response={201: AttributeOut})
def define_attribute(request, data: AttributeIn):
    by = Actor.from_api_key(request)
    return Status(
        201, _call(attribute_store.do_define_attribute, data.key, data.type, data.label, by=by)
    )


@router.patch("/{key}", response=AttributeOut)
def update_attribute(request, key: str, data: AttributePatch):
    """Change the label, or the type: only when every stored value converts (409 naming how
    many contacts block it otherwise)."""
    by = Actor.from_api_key(request)
    return _call(attribute_store.do_update_attribute, key, label=data.label, type=data.type, by=by)


@router.delete("/{key}", response=AttributeDeletedOut)
def delete_attribute(request, key: str):
    """Forget the attribute and remove its value from every contact."""
    removed = _call(attribute_store.do_delete_attribute, key, by=Actor.from_api_key(request))
    return {"key": key, "contacts_changed": removed}
