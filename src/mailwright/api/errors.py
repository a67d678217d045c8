"""One JSON error shape for the whole API: {"error": {"code", "message", "field"}}."""

from __future__ import annotations

import logging

from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from mailwright.campaigns.rendering import TemplateError
from mailwright.campaigns.sending import CampaignStateError
from mailwright.contacts.directory import ContactError
from mailwright.contacts.segments import SegmentError

log = logging.getLogger(__name__)


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.field = status, code, message, field


def body(code: str, message: str, field: str | None = None) -> dict:
    return {"error": {"code": code, "message": message, "field": field}}


def _field_from_loc(loc) -> str | None:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "payload")]
    # ninja prefixes body fields with the parameter name; drop it
    if parts and parts[0] in ("data", "body_data"):
        parts = parts[1:]
    out = ""
    for p in parts:
        out += f"[{p}]" if p.isdigit() else (f".{p}" if out else p)
    return out or None


def install(api: NinjaAPI) -> None:
    @api.exception_handler(ApiError)
    def _api_error(request, exc: ApiError):
        return api.create_response(
            request, body(exc.code, exc.message, exc.field), status=exc.status
        )

    @api.exception_handler(ValidationError)
    def _validation(request, exc: ValidationError):
        first = exc.errors[0] if exc.errors else {}
        field = _field_from_loc(first.get("loc", ()))
        msg = first.get("msg", "invalid input")
        if first.get("type") == "missing":
            msg = "this field is required"
        message = f"{field}: {msg}" if field else msg
        return api.create_response(request, body("invalid", message, field), status=422)

    @api.exception_handler(AuthenticationError)
    def _auth(request, exc):
        return api.create_response(
            request,
            body("unauthorized", "missing or invalid API key (send 'Authorization: Bearer KEY')"),
            status=401,
        )

    @api.exception_handler(HttpError)
    def _http(request, exc: HttpError):
        code = {400: "bad_request", 404: "not_found", 405: "method_not_allowed"}.get(
            exc.status_code, "error"
        )
        return api.create_response(request, body(code, str(exc)), status=exc.status_code)

    @api.exception_handler(Http404)
    def _404(request, exc):
        return api.create_response(request, body("not_found", "no such object"), status=404)

    @api.exception_handler(ObjectDoesNotExist)
    def _missing(request, exc):
        return api.create_response(request, body("not_found", "no such object"), status=404)

    @api.exception_handler(ContactError)
    def _contact(request, exc: ContactError):
        status = 409 if exc.code == "conflict" else 422
        return api.create_response(
            request, body(exc.code, str(exc), exc.field or None), status=status
        )

    @api.exception_handler(TemplateError)
    def _template(request, exc: TemplateError):
        return api.create_response(request, body("template_error", str(exc), exc.part), status=422)

    @api.exception_handler(SegmentError)
    def _segment(request, exc: SegmentError):
        return api.create_response(
            request, body("invalid_segment", str(exc), "segment"), status=422
        )

    @api.exception_handler(CampaignStateError)
    def _state(request, exc: CampaignStateError):
        return api.create_response(request, body("invalid_state", str(exc)), status=409)

    @api.exception_handler(Exception)
    def _unexpected(request, exc: Exception):
        log.exception("unhandled API error on %s %s", request.method, request.path)
        return api.create_response(
            request, body("server_error", "internal error; it has been logged"), status=500
        )
