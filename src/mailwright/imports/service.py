"""The import life cycle (SPEC §2.3), callable from the CLI, the API and the UI alike:
`create` (store + sniff + auto-map) → `configure` (mapping, topics, lawful basis) → `start`
(hygiene analysis: held when the list looks bought, else running) → `confirm` a held import →
`run` (imports.running, in the task worker or in-process) → `report_rows` / `progress_dict`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from mailwright.audit.actors import Actor
from mailwright.imports.models import Import


class ImportInputError(ValueError):
    """Bad import input or a step not allowed in the import's state; the message says why.
    `field` names the offending input, `code` is machine-readable."""

    def __init__(self, message: str, *, field: str = "", code: str = "invalid") -> None:
        super().__init__(message)
        self.field = field
        self.code = code


class TooLarge(ImportInputError):
    """The upload is over MW_IMPORT_MAX_BYTES."""


def create(fileobj_or_path: BinaryIO | str | Path, *, name: str, by: Actor) -> Import:
    """Store the file under DATA_DIR/imports/ (streamed, size-limited), sniff it, auto-map its
    columns. State: uploaded. Raises TooLarge, ImportInputError (not a readable file)."""
    raise NotImplementedError


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
    raise NotImplementedError


def start(imp: Import, *, by: Actor, confirm_risky: bool = False) -> Import:
    """Analyse the file (offline hygiene, share of rows with consent evidence): held with the
    reasons when it looks bought or scraped (unless confirm_risky), else running. Does not
    run the import: `enqueue(imp)` or `running.run(imp.pk)` does."""
    raise NotImplementedError


def confirm(imp: Import, *, by: Actor) -> Import:
    """An operator accepts a held import: held → running."""
    raise NotImplementedError


def cancel(imp: Import, *, by: Actor) -> Import:
    """Stop an import that has not finished; what is committed stays."""
    raise NotImplementedError


def resume(imp: Import, *, by: Actor) -> Import:
    """Take over a running import whose process died (no heartbeat for 60 s), or a failed
    one: it continues from records_done."""
    raise NotImplementedError


def enqueue(imp: Import) -> None:
    """Run the import in the background task worker (queue "imports")."""
    raise NotImplementedError


def report_rows(imp: Import) -> Iterator[list[str]]:
    """The report as CSV rows (header first): record, line, email, outcome, reason."""
    raise NotImplementedError


def progress_dict(imp: Import) -> dict:
    """The API shape: id, state, progress, counts, report_url, hygiene, hold_reasons, …"""
    raise NotImplementedError
