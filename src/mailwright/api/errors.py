"""One JSON error shape for the whole API: {"error": {"code", "message", "field"}}; a send
refused by the lint adds the findings beside it: {"error": {...}, "errors", "warnings"}."""

from __future__ import annotations

import logging

from django.core.exceptions import ObjectDoesNotExist, RequestDataTooBig
from django.db import IntegrityError
from django.http import Http404, JsonResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from mailwright.api.parser import BodyError
from mailwright.campaigns.actions import CampaignStateError
from mailwright.campaigns.lint import LintFailed
from mailwright.campaigns.rendering import TemplateError
from mailwright.consent.directory import ContactError
from mailwright.contacts.segments import SegmentError

log = logging.getLogger(__name__)


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.field = status, code, message, field


def body(code: str, message: str, field: str | None = None) -> dict:
    return {"error": {"code": code, "message": message, "field": field}}


def json_error(status: int, code: str, message: str, field: str | None = None) -> JsonResponse:
    """The error shape for responses made outside ninja's exception handlers."""
    return JsonResponse(body(code, message, field), status=status)


def field_from_loc(loc, *, prefixed: bool = True) -> str | None:
    """Turn a pydantic error location into a field path like `subscriptions[0].topic`.

    Ninja prefixes locations with where the value came from ("body", "query", "path", …)
    and, for bodies, the view's parameter name; `prefixed=False` is for plain models.
    """
    parts = list(loc)
    if prefixed and parts and parts[0] in ("body", "query", "path", "header", "cookie", "form"):
        source = parts.pop(0)
        if source == "body" and parts:
            parts.pop(0)  # the parameter name, e.g. "data"
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or None


def _max_body() -> int:
    from django.conf import settings

    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE


def install(api: NinjaAPI) -> None:
    @api.exception_handler(ApiError)
    def _api_error(request, exc: ApiError):
        return api.create_response(
            request, body(exc.code, exc.message, exc.field), status=exc.status
        )

    @api.exception_handler(ValidationError)
    def _validation(request, exc: ValidationError):
        first = exc.errors[0] if exc.errors else {}
        field = field_from_loc(first.get("loc", ()))
        msg = first.get("msg", "invalid input")
        if first.get("type") == "missing":
            msg = "this field is required"
        if field is None and first.get("loc", ("",))[0] == "body":
            # the body as a whole is missing or is not a JSON object
            msg = (
                "the request body is required (a JSON object)"
                if first.get("type") == "missing"
                else f"the request body must be a JSON object ({msg})"
            )
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
        cause = exc.__cause__
        if isinstance(cause, BodyError):  # raised by our parser, wrapped by ninja
            code = "bad_request" if cause.status == 400 else "invalid"
            return api.create_response(
                request, body(code, cause.message, cause.field), status=cause.status
            )
        message = str(exc)
        if exc.status_code == 400 and message.startswith("Cannot parse request body"):
            message = "the request body is not valid JSON"
        return api.create_response(request, body(code, message), status=exc.status_code)

    @api.exception_handler(RequestDataTooBig)
    def _too_big(request, exc):
        return api.create_response(
            request,
            body("too_large", f"the request body is larger than {_max_body()} bytes"),
            status=413,
        )

    @api.exception_handler(IntegrityError)
    def _integrity(request, exc):
        # e.g. two requests creating the same contact at once: the loser gets a conflict
        log.info("integrity error on %s %s: %s", request.method, request.path, exc)
        return api.create_response(
            request, body("conflict", "this conflicts with existing data; retry"), status=409
        )

    @api.exception_handler(Http404)
    def _404(request, exc):
        return api.create_response(request, body("not_found", "no such object"), status=404)

    @api.exception_handler(ObjectDoesNotExist)
    def _missing(request, exc):
        return api.create_response(request, body("not_found", "no such object"), status=404)

    @api.exception_handler(ContactError)
    def _contact(request, exc: ContactError):
        status = 409 if exc.code in ("conflict", "erased") else 422
        return api.create_response(
            request, body(exc.code, str(exc), exc.field or None), status=status
        )

    @api.exception_handler(TemplateError)
    def _template(request, exc: TemplateError):
        return api.create_response(request, body("template_error", str(exc), exc.part), status=422)

    @api.exception_handler(SegmentError)
    def _segment(request, exc: SegmentError):
        return api.create_response(request, body("invalid_segment", str(exc), exc.root), status=422)

    @api.exception_handler(CampaignStateError)
    def _state(request, exc: CampaignStateError):
        return api.create_response(request, body("invalid_state", str(exc)), status=409)

    @api.exception_handler(LintFailed)
    def _lint(request, exc: LintFailed):
        # The error shape, plus the findings: each says where and how to fix it.
        out = body("lint_failed", str(exc))
        out["errors"], out["warnings"] = exc.errors, exc.warnings
        return api.create_response(request, out, status=422)

    @api.exception_handler(Exception)
    def _unexpected(request, exc: Exception):
        log.exception("unhandled API error on %s %s", request.method, request.path)
        return api.create_response(
            request, body("server_error", "internal error; it has been logged"), status=500
        )
