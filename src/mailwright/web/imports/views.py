"""Contacts → Import: the list of imports, the upload, the column mapping (with the encoding
override and a preview), the hold warning, the live progress and the report. Thin views over
mailwright.imports.service, which validates, audits and runs."""

from __future__ import annotations

import csv
from itertools import islice

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from mailwright.contacts import attributes
from mailwright.imports import running, service
from mailwright.imports.mapping import MappingError, validate_mapping
from mailwright.imports.models import Import, ImportIssue
from mailwright.imports.reading import ImportFileError, RowReader
from mailwright.web.imports.forms import EncodingForm, MappingForm, UploadForm, encoding_label
from mailwright.web.shell.helpers import csv_cell, paginate, staff_actor

PREVIEW_ROWS = 5
ACTIVE = (Import.State.ANALYSING, Import.State.RUNNING)
# The topics, basis and opt-in choice of an upload whose mapping still needs a person (the
# service stores them only with a usable mapping), kept in the session until then.
PENDING = "imports:settings:{}"
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
    """Analysing or running, but nothing has moved for a minute (no heartbeat, no state
    change): the process running it died, and service.resume may take it over."""
    if imp.state not in ACTIVE:
        return False
    moments = [t for t in (imp.heartbeat, imp.updated_at, imp.started_at) if t]
    return not moments or timezone.now() - max(moments) > running.stale_after()


def usable_mapping(imp: Import) -> dict[str, str]:
    """The detected mapping without columns aimed at attributes nobody declared (the service
    refuses those): such columns are ignored unless a person picks a declared one."""
    declared = attributes.definitions()
    return {
        header: ""
        if target.startswith("attributes.") and target.removeprefix("attributes.") not in declared
        else target
        for header, target in imp.mapping.items()
    }


def import_settings(request, imp: Import) -> dict:
    """Topics, lawful basis and opt-in choice: the import's own once configured, else what
    the upload form gave (kept in the session)."""
    if imp.state == Import.State.READY or imp.basis:
        return {
            "topic_keys": list(imp.topic_keys),
            "basis": imp.basis,
            "send_optin": imp.send_optin,
        }
    pending = request.session.get(PENDING.format(imp.pk)) or {}
    return {
        "topic_keys": list(pending.get("topic_keys") or []),
        "basis": pending.get("basis", ""),
        "send_optin": bool(pending.get("send_optin")),
    }


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
        chosen = {
            "topic_keys": list(data["topics"]),
            "basis": data["basis"],
            "send_optin": data["send_optin"],
        }
        imp = None
        try:
            imp = service.create(upload, name=upload.name, by=by)
            service.configure(imp, mapping=usable_mapping(imp), **chosen, by=by)
        except service.ImportInputError as exc:
            if imp is not None and exc.field == "mapping":
                # The columns need a person (no email column found, say): the mapping page
                # says so and lets them choose; the consent choices wait in the session.
                request.session[PENDING.format(imp.pk)] = chosen
                return redirect("web:import_mapping", imp.pk)
            field = UPLOAD_FIELDS.get(exc.field, "file" if imp is None else None)
            form.add_error(field, str(exc))
        else:
            return redirect("web:import_mapping", imp.pk)
    context = {"form": form, "contacts_tab": "imports"}
    return render(request, "web/imports/upload.html", context, status=400)


# --- mapping ------------------------------------------------------------------------------------


def preview(imp: Import) -> tuple[list, str]:
    """The first PREVIEW_ROWS records, decoded as the import will read them, or why not."""
    try:
        reader = RowReader(running.file_path(imp), running.sniffed_of(imp))
        return list(islice(reader, PREVIEW_ROWS)), ""
    except (ImportFileError, OSError, UnicodeError, ValueError) as exc:
        return [], str(exc)


def _mapping_page(request, imp: Import, form: MappingForm | None = None, status: int = 200):
    rows, problem = preview(imp)
    headers = list(imp.headers)
    form = form or MappingForm(headers=headers, mapping=usable_mapping(imp))
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
        chosen=import_settings(request, imp),
        mapping_problem=_mapping_problem(imp),
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
    form = MappingForm(request.POST, headers=list(imp.headers), mapping=usable_mapping(imp))
    if not form.is_valid():
        return _mapping_page(request, imp, form, status=400)
    by = staff_actor(request)
    try:
        imp = service.configure(imp, mapping=form.mapping, **import_settings(request, imp), by=by)
        imp = service.start(imp, by=by)
    except service.ImportInputError as exc:
        imp.refresh_from_db()
        form.add_error(None, str(exc))
        return _mapping_page(request, imp, form, status=400)
    request.session.pop(PENDING.format(imp.pk), None)
    service.enqueue(imp)  # the task worker checks the addresses, then holds or runs it
    return redirect("web:import_detail", imp.pk)


def _mapping_problem(imp: Import) -> str:
    """Why the detected mapping cannot be used as it is (shown before anyone submits)."""
    try:
        validate_mapping(usable_mapping(imp), list(imp.headers))
    except MappingError as exc:
        return str(exc)
    return ""


@login_required
@require_POST
def import_encoding(request, import_id: int):
    """Read the file again in the encoding the person chose (the preview and the columns)."""
    imp = _import(import_id)
    form = EncodingForm(request.POST, current=imp.encoding)
    if not form.is_valid():
        messages.error(request, "Choose one of the listed encodings.")
        return redirect("web:import_mapping", imp.pk)
    encoding = form.cleaned_data["encoding"]
    try:
        service.reread(imp, encoding=encoding)  # the columns are mapped afresh
    except service.ImportInputError as exc:
        messages.error(request, f"The file cannot be read as {encoding_label(encoding)}: {exc}")
    return redirect("web:import_mapping", imp.pk)


@login_required
@require_POST
def import_discard(request, import_id: int):
    """Delete an upload that was not started, and its stored file."""
    imp = _import(import_id)
    name = imp.original_name
    try:
        service.discard(imp, by=staff_actor(request))
    except service.ImportInputError as exc:
        return _fail(request, exc, import_id)
    request.session.pop(PENDING.format(import_id), None)
    messages.success(request, f"The upload of {name} was discarded.")
    return redirect("web:import_list")


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
    )
    return render(request, "web/imports/report.html", context)


def _percent(share: float | None) -> str:
    return "—" if share is None else f"{share * 100:.1f}%"


def checked_text(total: int, sample_of: int | None) -> str:
    """How many addresses the analysis checked: all, or a sample of a large file."""
    if sample_of:
        return f"{total:,} (a sample of the {sample_of:,} rows)"
    return f"{total:,}"


def hygiene_summary(imp: Import) -> list[tuple[str, str, str, str]]:
    """(key, label, share, count) rows of the import's hygiene and consent figures."""
    data = imp.hygiene or {}
    rows = []
    if data:
        total = data.get("total") or 0
        counts = data.get("counts") or {}
        invalid = counts.get("invalid", 0) + counts.get("no_mx", 0)
        role = counts.get("role", 0) + counts.get("disposable", 0)

        def share(n: int) -> str:
            return _percent(n / total if total else None)

        rows += [
            ("total", "Addresses checked", "", checked_text(total, data.get("sample_of"))),
            ("invalid", "Invalid or no mail server", share(invalid), f"{invalid:,}"),
            ("role_disposable", "Role or disposable", share(role), f"{role:,}"),
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
