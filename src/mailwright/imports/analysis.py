"""The analysis pass before an import writes anything (SPEC §2.5): every address checked
offline into a hygiene summary, and the share of rows with consent evidence counted. A list
that looks bought or scraped (more than 10 % invalid, more than 30 % role or disposable
addresses, or most rows without any consent evidence) is held until an operator confirms.

A file of more than SAMPLE_ABOVE rows (estimated from its size and its first lines) is judged
by a systematic sample, every k-th record, of at least SAMPLE_SIZE rows: the shares it holds
against are as good from 120,000 rows as from a million, and the run itself still checks
every row. The summary's `sample_of` then says how many rows the sample stands for."""

from __future__ import annotations

import time

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from mailwright.audit import log as audit
from mailwright.contacts import attributes
from mailwright.imports.checks import Checker, Summary
from mailwright.imports.models import Import
from mailwright.imports.reading import RowReader
from mailwright.imports.records import RowConverter
from mailwright.imports.running import Progress, claim, file_path, import_actor, sniffed_of

HEARTBEAT_SECONDS = 5.0
SAMPLE_ABOVE = 240_000
SAMPLE_SIZE = 120_000
_PROBE_BYTES = 1 << 16


def sample_step(path, size: int) -> int:
    """k: every k-th record is checked (1: all). The number of records is estimated from
    the lines in the file's first 64 KiB; an estimate off by a sixth still leaves a sample
    of over 100,000 rows."""
    with open(path, "rb") as f:
        head = f.read(_PROBE_BYTES)
    lines = head.count(b"\n")
    if lines < 2 or size <= len(head):
        return 1
    estimated = size * lines // len(head)
    return estimated // SAMPLE_SIZE if estimated > SAMPLE_ABOVE else 1


def consent_reason(with_evidence: int, total: int, column: str | None) -> str | None:
    """Why the share of rows with consent evidence is too small, or None."""
    if total == 0 or with_evidence / total >= settings.IMPORT_HOLD_CONSENT_SHARE:
        return None
    if column is None:
        return (
            f"No column is mapped to consent, so none of the {total:,} rows carries evidence"
            " that the person agreed to receive email: they would all come in as pending, and"
            " a list without consent records is usually bought or scraped."
        )
    share = with_evidence / total * 100
    return (
        f"Only {share:.1f} % of the rows have consent evidence in column {column!r}: most"
        " would come in as pending, and a list without consent records is usually bought or"
        " scraped."
    )


def analyse(import_id: int, *, on_progress: Progress | None = None) -> Import:
    """Analysing → held (with the reasons) or running. Returns the import."""
    if claim(import_id, Import.State.ANALYSING) is None:
        return Import.objects.get(pk=import_id)
    imp = Import.objects.get(pk=import_id)
    converter = RowConverter(imp.mapping, attributes.definitions(), Checker(offline=True))
    summary = Summary()
    total = checked = with_evidence = 0
    path = file_path(imp)
    step = sample_step(path, imp.size)
    reader = RowReader(path, sniffed_of(imp))
    beat = time.monotonic()
    for row in reader:
        if row.values is None:
            continue
        total += 1
        if step > 1 and row.number % step:
            continue
        verdict = converter.verdict(row.values)
        summary.add(verdict)
        checked += 1
        if verdict.valid and converter.evidence(row.values):
            with_evidence += 1
        if total % 4096 == 0 and time.monotonic() - beat > HEARTBEAT_SECONDS:
            beat = time.monotonic()
            state = _beat(imp, reader.fraction)
            if state != Import.State.ANALYSING:
                imp.refresh_from_db()
                return imp  # cancelled meanwhile
            if on_progress:
                on_progress(imp)
    if step > 1:
        summary.sample_of = total
    reasons = list(summary.warnings)
    column = converter.columns.get("consent")
    if reason := consent_reason(with_evidence, checked if column else total, column):
        reasons.append(reason)
    hold = bool(reasons) and not imp.risk_accepted
    by = import_actor(imp)
    with transaction.atomic():
        updated = Import.objects.filter(pk=imp.pk, state=Import.State.ANALYSING).update(
            state=Import.State.HELD if hold else Import.State.RUNNING,
            hygiene=summary.as_dict(),
            consent_share=round(with_evidence / checked, 4) if checked else None,
            hold_reasons=reasons,
            progress=0,
            heartbeat=None,
            updated_at=timezone.now(),
        )
        if updated and hold:
            audit.record(by, "import.hold", "import", imp.pk, after={"reasons": reasons})
        elif updated and reasons:
            audit.record(by, "import.risk_accepted", "import", imp.pk, after={"reasons": reasons})
    imp.refresh_from_db()
    return imp


def _beat(imp: Import, fraction: float) -> str:
    now = timezone.now()
    Import.objects.filter(pk=imp.pk, state=Import.State.ANALYSING).update(
        heartbeat=now, progress=min(fraction, 0.999), updated_at=now
    )
    imp.progress = fraction
    return Import.objects.filter(pk=imp.pk).values_list("state", flat=True).first() or ""
