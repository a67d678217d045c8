"""The import life cycle (SPEC §2.3), callable from the CLI, the API and the UI alike:
`create` (store + sniff + auto-map) → `configure` (mapping, topics, lawful basis) → `start` →
`process` (analysis: held when the list looks bought, else the run itself, imports.running) →
`confirm` a held import → `report_rows` / `progress_dict`. `enqueue` hands `process` to the
task worker; the CLI calls it in-process. `resume` takes over an import whose process died.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from mailwright.audit import log as audit
from mailwright.audit.actors import Actor
from mailwright.contacts import attributes
from mailwright.contacts.export import safe_cell
from mailwright.contacts.models import Topic
from mailwright.imports import running, tasks
from mailwright.imports.mapping import MappingError, auto_map, validate_mapping
from mailwright.imports.models import Import
from mailwright.imports.reading import FORMATS, ImportFileError, sniff

CHUNK = 1 << 20
REPORT_HEADER = ["record", "line", "email", "outcome", "reason"]
State = Import.State


class ImportInputError(ValueError):
    """Bad import input or a step not allowed in the import's state; the message says why.
    `field` names the offending input, `code` is machine-readable."""

    def __init__(self, message: str, *, field: str = "", code: str = "invalid") -> None:
        super().__init__(message)
        self.field = field
        self.code = code


class TooLarge(ImportInputError):
    """The upload is over MW_IMPORT_MAX_BYTES."""


def imports_dir() -> Path:
    path = settings.DATA_DIR / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def too_large() -> TooLarge:
    limit = settings.IMPORT_MAX_BYTES
    return TooLarge(
        f"the file is larger than the import limit of {limit:,} bytes (MW_IMPORT_MAX_BYTES);"
        " split it into smaller files",
        field="file",
        code="too_large",
    )


def _store(source: BinaryIO | str | Path, target: Path) -> int:
    """Copy in chunks, never more than the limit; returns the size."""
    limit = settings.IMPORT_MAX_BYTES
    if isinstance(source, (str, Path)):
        if Path(source).stat().st_size > limit:
            raise too_large()
        with Path(source).open("rb") as f, target.open("wb") as out:
            shutil.copyfileobj(f, out, CHUNK)
        return target.stat().st_size
    size = 0
    with target.open("wb") as out:
        chunks = (
            source.chunks(CHUNK)
            if hasattr(source, "chunks")
            else iter(lambda: source.read(CHUNK), b"")
        )
        for chunk in chunks:
            size += len(chunk)
            if size > limit:
                raise too_large()
            out.write(chunk)
    return size


def _apply_sniff(imp: Import, *, format: str | None = None, encoding: str | None = None) -> None:
    try:
        found = sniff(running.file_path(imp), format=format, encoding=encoding)
    except ImportFileError as exc:
        raise ImportInputError(str(exc), field="file", code="unreadable") from None
    except LookupError:
        raise ImportInputError(
            f"unknown encoding {encoding!r}", field="encoding", code="invalid"
        ) from None
    imp.format, imp.encoding, imp.delimiter = found.format, found.encoding, found.delimiter
    imp.encoding_detected, imp.headers, imp.size = (
        found.encoding_detected,
        found.headers,
        found.size,
    )
    if not found.headers:
        raise ImportInputError("the file has no columns", field="file", code="unreadable")


def create(fileobj_or_path: BinaryIO | str | Path, *, name: str, by: Actor) -> Import:
    """Store the file under DATA_DIR/imports/ (streamed, size-limited), sniff it, auto-map its
    columns. State: uploaded. Raises TooLarge, ImportInputError (not an importable file)."""
    suffix = Path(name or "").suffix.lower()
    stored = f"{uuid.uuid4().hex}{suffix if suffix in ('.csv', '.tsv', '.txt', '.jsonl') else ''}"
    target = imports_dir() / stored
    try:
        size = _store(fileobj_or_path, target)
        imp = Import(
            path=f"imports/{stored}",
            original_name=(Path(name).name if name else stored)[:255],
            size=size,
            created_by=by.actor[:200],
        )
        _apply_sniff(imp)
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    imp.mapping = auto_map(imp.headers)
    with transaction.atomic():
        imp.save()
        audit.record(
            by,
            "import.create",
            "import",
            imp.pk,
            after={"name": imp.original_name, "size": size, "format": imp.format},
        )
    return imp


def reread(imp: Import, *, encoding: str | None = None, format: str | None = None) -> Import:
    """Sniff the stored file again with this encoding or format (the operator knows better
    than the detection); the mapping is detected afresh for the new column names."""
    _check_state(imp, State.UPLOADED, State.READY, doing="change the encoding of")
    if format is not None and format not in FORMATS:
        raise ImportInputError(f"unknown format {format!r}: use csv, tsv or jsonl", field="format")
    headers = list(imp.headers)
    _apply_sniff(imp, format=format, encoding=encoding or None)
    if imp.headers != headers:
        imp.mapping = auto_map(imp.headers)
    imp.save()
    return imp


def discard(imp: Import, *, by: Actor) -> None:
    """Delete an import that has not started (or has finished) and its stored file; what it
    imported stays, and so does the audit log."""
    if imp.state in (State.ANALYSING, State.RUNNING) and not is_stale(imp):
        raise ImportInputError("cancel the import first", field="state", code="conflict")
    with transaction.atomic():
        audit.record(by, "import.delete", "import", imp.pk, before={"state": imp.state})
        imp.delete()
    running.file_path(imp).unlink(missing_ok=True)


def keep_choices(
    imp: Import, *, topic_keys: list[str], basis: str, send_optin: bool = False
) -> Import:
    """Remember topics, basis and opt-in for an upload whose mapping still needs a person
    (the API's PATCH, the UI's mapping step); `configure` validates them."""
    _check_state(imp, State.UPLOADED, doing="change")
    imp.topic_keys = [k[:64] for k in topic_keys[:50]]
    imp.basis, imp.send_optin = (basis or "")[:300], bool(send_optin)
    imp.save(update_fields=["topic_keys", "basis", "send_optin", "updated_at"])
    return imp


def _check_state(imp: Import, *allowed: str, doing: str) -> None:
    if imp.state not in allowed:
        raise ImportInputError(
            f"cannot {doing} an import that is {imp.state}", field="state", code="conflict"
        )


def configure(
    imp: Import,
    *,
    mapping: dict[str, str] | None = None,
    topic_keys: list[str],
    basis: str,
    encoding: str | None = None,
    format: str | None = None,
    send_optin: bool = False,
    by: Actor,
) -> Import:
    """Set mapping (None: keep the detected one), topics and lawful basis; re-sniff when the
    encoding or format is overridden. State: ready. Raises ImportInputError naming the field."""
    _check_state(imp, State.UPLOADED, State.READY, doing="configure")
    if format is not None and format not in FORMATS:
        raise ImportInputError(f"unknown format {format!r}: use csv, tsv or jsonl", field="format")
    if encoding or format:
        reread(imp, encoding=encoding, format=format)
    mapping = imp.mapping if mapping is None else mapping
    try:
        validate_mapping(mapping, imp.headers)
    except MappingError as exc:
        raise ImportInputError(str(exc), field="mapping") from None
    declared = attributes.definitions()
    for header, target in mapping.items():
        key = (target or "").removeprefix("attributes.")
        if target and target.startswith("attributes.") and key not in declared:
            raise ImportInputError(
                f"column {header!r} maps to attribute {key!r}, which is not declared; declare"
                " it first (Settings → Attributes, or POST /api/v1/attributes)",
                field="mapping",
            )
    keys = list(dict.fromkeys(k for k in topic_keys if isinstance(k, str) and k.strip()))
    if not keys:
        raise ImportInputError("choose at least one topic to subscribe to", field="topics")
    known = set(Topic.objects.filter(key__in=keys).values_list("key", flat=True))
    unknown = [k for k in keys if k not in known]
    if unknown:
        raise ImportInputError(
            f"unknown topic {unknown[0][:64]!r}", field="topics", code="unknown_topic"
        )
    basis = " ".join((basis or "").split())
    if not basis:
        raise ImportInputError(
            "the lawful basis is required (e.g. 'double opt-in on our site', 'existing customers')",
            field="basis",
        )
    if len(basis) > 300:
        raise ImportInputError("the lawful basis is longer than 300 characters", field="basis")
    imp.mapping = {h: t or "" for h, t in mapping.items()}
    imp.topic_keys, imp.basis, imp.send_optin = keys, basis, bool(send_optin)
    imp.state = State.READY
    with transaction.atomic():
        imp.save()
        audit.record(
            by,
            "import.configure",
            "import",
            imp.pk,
            after={"topics": keys, "basis": basis, "send_optin": imp.send_optin},
        )
    return imp


def _transition(imp: Import, to: str, *, by: Actor, action: str, **fields) -> Import:
    before = imp.state
    with transaction.atomic():
        Import.objects.filter(pk=imp.pk).update(state=to, updated_at=timezone.now(), **fields)
        audit.record(by, action, "import", imp.pk, before={"state": before}, after={"state": to})
    imp.refresh_from_db()
    return imp


def start(imp: Import, *, by: Actor, confirm_risky: bool = False) -> Import:
    """Ready → analysing. `process` then analyses the file (offline hygiene, share of rows
    with consent evidence) and holds it when it looks bought or scraped, unless
    `confirm_risky` (the operator accepted the risk up front), else runs it."""
    _check_state(imp, State.READY, doing="start")
    return _transition(
        imp,
        State.ANALYSING,
        by=by,
        action="import.start",
        started_at=timezone.now(),
        hold_reasons=[],
        risk_accepted=bool(confirm_risky),
    )


def confirm(imp: Import, *, by: Actor) -> Import:
    """An operator accepts a held import: held → running (then `process` or `enqueue`)."""
    _check_state(imp, State.HELD, doing="confirm")
    return _transition(imp, State.RUNNING, by=by, action="import.confirm", heartbeat=None)


def cancel(imp: Import, *, by: Actor) -> Import:
    """Stop an import that has not finished; what is committed stays."""
    if imp.finished:
        raise ImportInputError(f"the import is already {imp.state}", field="state", code="conflict")
    return _transition(
        imp, State.CANCELLED, by=by, action="import.cancel", finished_at=timezone.now()
    )


def is_stale(imp: Import) -> bool:
    return imp.heartbeat is None or imp.heartbeat < timezone.now() - running.stale_after()


def resume(imp: Import, *, by: Actor) -> Import:
    """Make a failed import, or one whose process died (running or analysing with no
    heartbeat for MW_IMPORT_STALE_SECONDS, 60 s), ready to continue from records_done (then
    `process`)."""
    if imp.state == State.FAILED:
        return _transition(imp, State.RUNNING, by=by, action="import.resume", error="")
    if imp.state in (State.RUNNING, State.ANALYSING):
        if imp.heartbeat is not None and not is_stale(imp):
            raise ImportInputError(
                "the import is still running (its process reported less than a minute ago)",
                field="state",
                code="conflict",
            )
        audit.record(by, "import.resume", "import", imp.pk, after={"from": imp.records_done})
        return imp
    raise ImportInputError(f"cannot resume an import that is {imp.state}", field="state")


def process(import_id: int, *, on_progress: running.Progress | None = None) -> Import:
    """Analyse (if not yet) and run: what the task worker and the CLI call."""
    return tasks.process(import_id, on_progress=on_progress)


def enqueue(imp: Import) -> None:
    """Run `process` in the background task worker (queue "imports") after commit."""
    pk = imp.pk
    transaction.on_commit(lambda: tasks.process_import.enqueue(pk))


def report_rows(imp: Import) -> Iterator[list[str]]:
    """The report as CSV rows (header first): record, line, email, outcome, reason — one row
    per rejected or merged record. Cells that a spreadsheet would run as a formula (starting
    with = + - @) get a leading apostrophe."""
    yield REPORT_HEADER
    rows = imp.issues.order_by("record").values_list("record", "line", "email", "outcome", "reason")
    for row in rows.iterator(chunk_size=2000):
        yield [safe_cell(cell) for cell in row]


def report_url(imp: Import) -> str:
    return f"/api/v1/imports/{imp.pk}/report.csv"


def progress_dict(imp: Import) -> dict:
    """The API shape (also what the UI polls)."""
    return {
        "id": imp.pk,
        "state": imp.state,
        "progress": round(imp.progress, 4),
        "counts": dict(imp.counts),
        "report_url": report_url(imp),
        "name": imp.original_name,
        "size": imp.size,
        "format": imp.format,
        "encoding": imp.encoding,
        "delimiter": imp.delimiter,
        "headers": list(imp.headers),
        "mapping": dict(imp.mapping),
        "topics": list(imp.topic_keys),
        "basis": imp.basis,
        "send_optin": imp.send_optin,
        "records_done": imp.records_done,
        "hygiene": imp.hygiene or None,
        "consent_share": imp.consent_share,
        "hold_reasons": list(imp.hold_reasons),
        "optin": imp.optin or None,
        "error": imp.error,
        "created_at": imp.created_at,
        "started_at": imp.started_at,
        "finished_at": imp.finished_at,
    }
