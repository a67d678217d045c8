"""The analysis pass before an import writes anything (SPEC §2.5): every address checked
offline into a hygiene summary, and the share of rows with consent evidence counted. A list
that looks bought or scraped (more than 10 % invalid, more than 30 % role or disposable
addresses, or most rows without any consent evidence) is held until an operator confirms."""

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
    total = with_evidence = 0
    reader = RowReader(file_path(imp), sniffed_of(imp))
    beat = time.monotonic()
    for row in reader:
        if row.values is None:
            continue
        verdict = converter.verdict(row.values)
        summary.add(verdict)
        total += 1
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
    reasons = list(summary.warnings)
    if reason := consent_reason(with_evidence, total, converter.columns.get("consent")):
        reasons.append(reason)
    hold = bool(reasons) and not imp.risk_accepted
    by = import_actor(imp)
    with transaction.atomic():
        updated = Import.objects.filter(pk=imp.pk, state=Import.State.ANALYSING).update(
            state=Import.State.HELD if hold else Import.State.RUNNING,
            hygiene=summary.as_dict(),
            consent_share=round(with_evidence / total, 4) if total else None,
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
