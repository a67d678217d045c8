"""Contacts → Import: the list of imports, the upload, the column mapping (with the encoding
override and a preview), the hold warning, the live progress and the report. Thin views over
mailwright.imports.service, which validates, audits and runs."""

from __future__ import annotations

import csv
from datetime import timedelta
from itertools import islice
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from mailwright.imports import service
from mailwright.imports.models import Import, ImportIssue
from mailwright.imports.reading import ImportFileError, RowReader, Sniffed
from mailwright.web.imports.forms import EncodingForm, MappingForm, UploadForm, encoding_label
from mailwright.web.shell.helpers import csv_cell, paginate, staff_actor

PREVIEW_ROWS = 5
STALE_SECONDS = 60  # a running import without a heartbeat this long was killed (service.resume)
# Where a step's ImportInputError.field lands on the upload form.
UPLOAD_FIELDS = {"topic_keys": "topics", "topics": "topics", "basis": "basis", "file": "file"}
COUNT_LABELS = (
    ("imported", "Imported"),
    ("updated", "Updated"),
    ("merged", "Merged"),
    ("rejected", "Rejected"),
    ("unchanged", "Unchanged"),
)


def max_bytes() -> int:
    return settings.IMPORT_MAX_BYTES


def _import(import_id: int) -> Import:
    return get_object_or_404(Import, pk=import_id)


def _context(imp: Import, **extra) -> dict:
    return {"imp": imp, "contacts_tab": "imports", **extra}


def is_stale(imp: Import) -> bool:
    """Running, but its process has not written a heartbeat for a minute: it died."""
    if imp.state != Import.State.RUNNING:
        return False
    last = imp.heartbeat or imp.started_at or imp.updated_at
    return last is None or timezone.now() - last > timedelta(seconds=STALE_SECONDS)


def _fail(request, exc: Exception, import_id: int):
    messages.error(request, str(exc))
    return redirect("web:import_detail", import_id)


# --- list and upload ----------------------------------------------------------------------------


@login_required
@require_GET
def import_list(request):
    page = paginate(request, Import.objects.all())
    return render(request, "web/imports/list.html", {"page": page, "contacts_tab": "imports"})


@login_required
@require_http_methods(["GET", "POST"])
def import_upload(request):
    limit = max_bytes()
    if request.method == "GET":
        form = UploadForm(max_bytes=limit)
        return render(request, "web/imports/upload.html", {"form": form, "contacts_tab": "imports"})
    form = UploadForm(request.POST, request.FILES, max_bytes=limit)
    if form.is_valid():
        data, by = form.cleaned_data, staff_actor(request)
        upload = data["file"]
        imp = None
        try:
            imp = service.create(upload, name=upload.name, by=by)
            imp = service.configure(
                imp,
                mapping=None,
                topic_keys=list(data["topics"]),
                basis=data["basis"],
                send_optin=data["send_optin"],
                by=by,
            )
        except service.ImportInputError as exc:
            field = UPLOAD_FIELDS.get(exc.field, "file" if imp is None else None)
            form.add_error(field, str(exc))
        else:
            return redirect("web:import_mapping", imp.pk)
    context = {"form": form, "contacts_tab": "imports"}
    return render(request, "web/imports/upload.html", context, status=400)


# --- mapping ------------------------------------------------------------------------------------


def preview(imp: Import) -> tuple[list, str]:
    """The first PREVIEW_ROWS records, decoded as the import will read them, or why not."""
    sniffed = Sniffed(
        format=imp.format,
        encoding=imp.encoding,
        encoding_detected=imp.encoding_detected,
        delimiter=imp.delimiter,
        headers=list(imp.headers),
        size=imp.size,
    )
    try:
        return list(
            islice(RowReader(Path(settings.DATA_DIR) / imp.path, sniffed), PREVIEW_ROWS)
        ), ""
    except (ImportFileError, OSError, UnicodeError, ValueError) as exc:
        return [], str(exc)


def _mapping_page(request, imp: Import, form: MappingForm | None = None, status: int = 200):
    rows, problem = preview(imp)
    headers = list(imp.headers)
    form = form or MappingForm(headers=headers, mapping=dict(imp.mapping))
    shown = [
        {"line": r.line, "error": r.error, "cells": [(r.values or {}).get(h, "") for h in headers]}
        for r in rows
    ]
    samples = [
        next((r["cells"][i] for r in shown if r["cells"][i]), "") for i in range(len(headers))
    ]
    columns = [(h, field, samples[i]) for i, (h, field) in enumerate(form.rows())]
    context = _context(
        imp,
        form=form,
        columns=columns,
        encoding_form=EncodingForm(current=imp.encoding),
        encoding_name=encoding_label(imp.encoding),
        preview_rows=shown,
        preview_problem=problem,
        topics=imp.topic_keys,
    )
    return render(request, "web/imports/mapping.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def import_mapping(request, import_id: int):
    imp = _import(import_id)
    if imp.state not in (Import.State.UPLOADED, Import.State.READY):
        return redirect("web:import_detail", imp.pk)
    if request.method == "GET":
        return _mapping_page(request, imp)
    form = MappingForm(request.POST, headers=list(imp.headers), mapping=dict(imp.mapping))
    if not form.is_valid():
        return _mapping_page(request, imp, form, status=400)
    by = staff_actor(request)
    try:
        imp = service.configure(
            imp,
            mapping=form.mapping,
            topic_keys=list(imp.topic_keys),
            basis=imp.basis,
            send_optin=imp.send_optin,
            by=by,
        )
        imp = service.start(imp, by=by)
    except service.ImportInputError as exc:
        imp.refresh_from_db()
        form.add_error(None, str(exc))
        return _mapping_page(request, imp, form, status=400)
    if imp.state == Import.State.RUNNING:
        service.enqueue(imp)
    return redirect("web:import_detail", imp.pk)


@login_required
@require_POST
def import_encoding(request, import_id: int):
    """Read the file again in the encoding the person chose (the preview and the columns)."""
    imp = _import(import_id)
    form = EncodingForm(request.POST, current=imp.encoding)
    if not form.is_valid():
        messages.error(request, "Choose one of the listed encodings.")
        return redirect("web:import_mapping", imp.pk)
    try:
        service.configure(
            imp,
            mapping=None,
            topic_keys=list(imp.topic_keys),
            basis=imp.basis,
            encoding=form.cleaned_data["encoding"],
            send_optin=imp.send_optin,
            by=staff_actor(request),
        )
    except service.ImportInputError as exc:
        messages.error(request, str(exc))
    return redirect("web:import_mapping", imp.pk)


# --- held, progress, report ---------------------------------------------------------------------


def progress_data(imp: Import) -> dict:
    data = service.progress_dict(imp)
    percent = 100 if imp.state == Import.State.DONE else int(imp.progress * 100)
    data.update(
        percent=min(percent, 100),
        records_done=imp.records_done,
        stale=is_stale(imp),
        page_url=reverse("web:import_detail", args=[imp.pk]),
    )
    return data


@login_required
@require_GET
def import_detail(request, import_id: int):
    """The page for where the import stands: mapping, hold, progress or report."""
    imp = _import(import_id)
    state = imp.state
    if state in (Import.State.UPLOADED, Import.State.READY):
        return redirect("web:import_mapping", imp.pk)
    if state == Import.State.HELD:
        context = _context(imp, hygiene=hygiene_summary(imp))
        return render(request, "web/imports/held.html", context)
    if state in (Import.State.ANALYSING, Import.State.RUNNING):
        context = _context(imp, progress=progress_data(imp), counts=_counts(imp))
        return render(request, "web/imports/progress.html", context)
    outcome = request.GET.get("outcome", "")
    issues = imp.issues.all()
    if outcome in ImportIssue.Outcome.values:
        issues = issues.filter(outcome=outcome)
    else:
        outcome = ""
    context = _context(
        imp,
        counts=_counts(imp),
        hygiene=hygiene_summary(imp),
        page=paginate(request, issues),
        outcome=outcome,
        stale=imp.state == Import.State.FAILED,
    )
    return render(request, "web/imports/report.html", context)


def _percent(share: float | None) -> str:
    return "—" if share is None else f"{share * 100:.1f}%"


def hygiene_summary(imp: Import) -> list[tuple[str, str, str, str]]:
    """(key, label, share, count) rows of the import's hygiene and consent figures."""
    data = imp.hygiene or {}
    rows = []
    if data:
        counts = data.get("counts") or {}
        invalid = counts.get("invalid", 0) + counts.get("no_mx", 0)
        role = counts.get("role", 0) + counts.get("disposable", 0)
        rows += [
            ("total", "Addresses checked", "", f"{data.get('total', 0):,}"),
            (
                "invalid",
                "Invalid or no mail server",
                _percent(data.get("invalid_share")),
                f"{invalid:,}",
            ),
            (
                "role_disposable",
                "Role or disposable",
                _percent(data.get("role_disposable_share")),
                f"{role:,}",
            ),
            ("typo", "Likely typos", "", f"{counts.get('typo', 0):,}"),
        ]
    if imp.consent_share is not None:
        rows.append(("no_consent", "Without consent evidence", _percent(1 - imp.consent_share), ""))
    return rows


def _counts(imp: Import) -> list[tuple[str, str, int]]:
    counts = imp.counts or {}
    return [(key, label, counts.get(key, 0)) for key, label in COUNT_LABELS]


@login_required
@require_GET
def import_progress(request, import_id: int):
    response = JsonResponse(progress_data(_import(import_id)))
    response["Cache-Control"] = "no-store"
    return response


def _action(request, import_id: int, act, done: str, *, run: bool):
    imp = _import(import_id)
    try:
        imp = act(imp, by=staff_actor(request))
    except service.ImportInputError as exc:
        return _fail(request, exc, import_id)
    if run and imp.state == Import.State.RUNNING:
        service.enqueue(imp)
    messages.success(request, done)
    return redirect("web:import_detail", imp.pk)


@login_required
@require_POST
def import_confirm(request, import_id: int):
    return _action(
        request, import_id, service.confirm, "Import confirmed: it is running.", run=True
    )


@login_required
@require_POST
def import_cancel(request, import_id: int):
    return _action(request, import_id, service.cancel, "Import cancelled.", run=False)


@login_required
@require_POST
def import_resume(request, import_id: int):
    return _action(request, import_id, service.resume, "Import resumed where it stopped.", run=True)


class _Echo:
    """A file-like object whose write returns the line: csv.writer for streaming."""

    def write(self, value: str) -> str:
        return value


@login_required
@require_GET
def import_report_csv(request, import_id: int):
    """The report as CSV, streamed from imports.service.report_rows (never whole in memory);
    cells a spreadsheet would run as formulas are neutralised."""
    imp = _import(import_id)
    writer = csv.writer(_Echo())
    lines = (writer.writerow([csv_cell(c) for c in row]) for row in service.report_rows(imp))
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="import-{imp.pk}-report.csv"'
    response["Cache-Control"] = "no-store"
    return response
