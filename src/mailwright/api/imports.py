"""Contact imports over the API (docs/importing.md): upload a file (multipart), watch its
progress, confirm a held import, download the report. The work runs in the task worker."""

from __future__ import annotations

import csv
from datetime import datetime

from django.conf import settings
from django.http import HttpResponse, StreamingHttpResponse
from ninja import Router, Schema, Status
from pydantic import ConfigDict, Field

from mailwright import jsonsafe
from mailwright.api.errors import ApiError
from mailwright.api.pagination import page
from mailwright.audit.actors import Actor
from mailwright.imports import service
from mailwright.imports.models import Import

router = Router(tags=["imports"])


class Counts(Schema):
    imported: int
    updated: int
    merged: int
    rejected: int
    unchanged: int


class ImportOut(Schema):
    id: int
    state: str
    progress: float
    counts: Counts
    report_url: str
    name: str
    size: int
    format: str
    encoding: str
    delimiter: str
    headers: list[str]
    mapping: dict[str, str]
    topics: list[str]
    basis: str
    send_optin: bool
    records_done: int
    hygiene: dict | None
    consent_share: float | None
    hold_reasons: list[str]
    optin: dict | None
    error: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class ImportPatch(Schema):
    model_config = ConfigDict(extra="forbid")
    mapping: dict[str, str] | None = None
    topics: list[str] | None = Field(None, max_length=50)
    basis: str | None = Field(None, max_length=300)
    encoding: str | None = Field(None, max_length=32)
    format: str | None = Field(None, max_length=8)
    send_optin: bool | None = None
    start: bool = True


def _error(exc: service.ImportInputError) -> ApiError:
    if isinstance(exc, service.TooLarge):
        return ApiError(413, "too_large", str(exc), exc.field or None)
    status = 409 if exc.code == "conflict" else 422
    return ApiError(status, exc.code, str(exc), exc.field or None)


def _get(import_id: int) -> Import:
    imp = Import.objects.filter(pk=import_id).first()
    if imp is None:
        raise ApiError(404, "not_found", f"no import {import_id}")
    return imp


def _topics(values: list[str]) -> list[str]:
    return [k.strip() for value in values for k in value.split(",") if k.strip()]


def _mapping(text: str | None) -> dict[str, str] | None:
    if not text:
        return None
    try:
        value = jsonsafe.loads(text)
    except ValueError:
        raise ApiError(422, "invalid", "mapping is not valid JSON", "mapping") from None
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str | None) for k, v in value.items()
    ):
        raise ApiError(422, "invalid", "mapping must be an object of column → target", "mapping")
    return {k: v or "" for k, v in value.items()}


def _start(imp: Import, by: Actor) -> Import:
    imp = service.start(imp, by=by)
    service.enqueue(imp)
    return imp


@router.post("", response={202: ImportOut})
def create_import(request):
    """Multipart form: file, topic (repeat, or a comma list), basis, mapping (JSON, optional),
    encoding, format, send_optin. Starts at once when the mapping is complete."""
    length = int(request.META.get("CONTENT_LENGTH") or 0)
    if length > settings.IMPORT_MAX_BYTES + 64 * 1024:
        raise _error(service.too_large())
    upload = request.FILES.get("file")
    if upload is None:
        raise ApiError(422, "invalid", "send the file as multipart form field 'file'", "file")
    form = request.POST
    by = Actor.from_api_key(request)
    mapping = _mapping(form.get("mapping"))
    try:
        imp = service.create(upload, name=upload.name or "upload", by=by)
    except service.ImportInputError as exc:
        raise _error(exc) from None
    send_optin = form.get("send_optin", "").lower() in ("1", "true", "yes", "on")
    try:
        service.configure(
            imp,
            mapping=mapping,
            topic_keys=_topics(form.getlist("topic") + form.getlist("topics")),
            basis=form.get("basis", ""),
            encoding=form.get("encoding") or None,
            format=form.get("format") or None,
            send_optin=send_optin,
            by=by,
        )
    except service.ImportInputError as exc:
        if exc.field == "mapping" and mapping is None:
            # The detected mapping is not enough: the caller completes it with PATCH.
            service.keep_choices(
                imp,
                topic_keys=_topics(form.getlist("topic")),
                basis=form.get("basis", ""),
                send_optin=send_optin,
            )
            return Status(202, service.progress_dict(imp))
        service.discard(imp, by=by)
        raise _error(exc) from None
    return Status(202, service.progress_dict(_start(imp, by)))


@router.patch("/{import_id}", response={202: ImportOut})
def update_import(request, import_id: int, data: ImportPatch):
    """Complete or change the mapping (and topics, basis, encoding) of an import that has not
    started, then start it (unless "start": false)."""
    imp = _get(import_id)
    by = Actor.from_api_key(request)
    try:
        service.configure(
            imp,
            mapping=data.mapping,
            topic_keys=data.topics if data.topics is not None else imp.topic_keys,
            basis=data.basis if data.basis is not None else imp.basis,
            encoding=data.encoding,
            format=data.format,
            send_optin=data.send_optin if data.send_optin is not None else imp.send_optin,
            by=by,
        )
        if data.start:
            imp = _start(imp, by)
    except service.ImportInputError as exc:
        raise _error(exc) from None
    return Status(202, service.progress_dict(imp))


@router.get("", response=list[ImportOut])
def list_imports(
    request, response: HttpResponse, state: str = "", limit: int = 50, offset: int = 0
):
    rows = Import.objects.order_by("-id")
    if state:
        if state not in Import.State.values:
            raise ApiError(
                422, "invalid", f"state must be one of {', '.join(Import.State.values)}", "state"
            )
        rows = rows.filter(state=state)
    return [service.progress_dict(i) for i in page(request, response, rows, limit, offset)]


@router.get("/{import_id}", response=ImportOut)
def get_import(request, import_id: int):
    return service.progress_dict(_get(import_id))


class _Echo:
    def write(self, value: str) -> str:
        return value


@router.get("/{import_id}/report.csv")
def import_report(request, import_id: int):
    """The rejected and merged rows with line and reason, as CSV (streamed)."""
    imp = _get(import_id)
    writer = csv.writer(_Echo())
    response = StreamingHttpResponse(
        (writer.writerow(row) for row in service.report_rows(imp)),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="import-{imp.pk}-report.csv"'
    return response


def _step(request, import_id: int, action) -> Status:
    imp = _get(import_id)
    try:
        imp = action(imp, by=Actor.from_api_key(request))
    except service.ImportInputError as exc:
        raise _error(exc) from None
    return Status(202, service.progress_dict(imp))


@router.post("/{import_id}/confirm", response={202: ImportOut})
def confirm_import(request, import_id: int):
    """Import a held list anyway (the operator accepts the risk the hold reasons explain)."""

    def confirm_and_run(imp, *, by):
        imp = service.confirm(imp, by=by)
        service.enqueue(imp)
        return imp

    return _step(request, import_id, confirm_and_run)


@router.post("/{import_id}/cancel", response={202: ImportOut})
def cancel_import(request, import_id: int):
    """Stop an import; what it committed stays."""
    return _step(request, import_id, service.cancel)


@router.post("/{import_id}/resume", response={202: ImportOut})
def resume_import(request, import_id: int):
    """Continue a failed import, or one whose process died, from where it stopped."""

    def resume_and_run(imp, *, by):
        imp = service.resume(imp, by=by)
        service.enqueue(imp)
        return imp

    return _step(request, import_id, resume_and_run)
