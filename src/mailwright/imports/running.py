"""The body of an import: the file in batches of MW_IMPORT_BATCH_SIZE records, one transaction each
(consent.bulk writes the contacts, subscriptions and ledger events; the report's issues and the
resume point are saved in the same transaction, so a killed process loses nothing it had
committed), a heartbeat per batch so a dead run can be taken over (`service.resume`), and the
state re-read per batch so a cancel acts mid-run."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from mailwright.audit import log as audit
from mailwright.audit.actors import Actor
from mailwright.consent import bulk, bulksql, ratelimit
from mailwright.consent.subscribing import queue_optin_email
from mailwright.contacts import attributes
from mailwright.contacts.addresses import email_key
from mailwright.contacts.models import Contact, Topic
from mailwright.imports.checks import Checker
from mailwright.imports.models import Import, ImportIssue
from mailwright.imports.reading import Row, RowReader, Sniffed
from mailwright.imports.records import RowConverter, RowRejected
from mailwright.imports.seen import SeenKeys

log = logging.getLogger(__name__)
Progress = Callable[[Import], None]
ISSUE_COLUMNS = ("import_run_id", "record", "line", "email", "outcome", "reason")


def import_actor(imp: Import) -> Actor:
    """Who the ledger and audit rows of a run name: channel "import", the person who made it."""
    return Actor(channel="import", actor=f"import {imp.pk} ({imp.created_by or 'unknown'})"[:200])


def sniffed_of(imp: Import) -> Sniffed:
    return Sniffed(
        imp.format, imp.encoding, imp.encoding_detected, imp.delimiter, imp.headers, imp.size
    )


def file_path(imp: Import):
    return settings.DATA_DIR / imp.path


def stale_after() -> timedelta:
    """No heartbeat for this long (MW_IMPORT_STALE_SECONDS, 60): the process is gone."""
    return timedelta(seconds=settings.IMPORT_STALE_SECONDS)


def claim(import_id: int, state: str):
    """Take the import for this process: it is in `state` and nobody's heartbeat is fresh.
    A conditional UPDATE, so two workers never run one import. Returns the heartbeat written
    (the run's token: a batch commits only while the heartbeat is still ours), or None."""
    now = timezone.now()
    fresh = now - stale_after()
    rows = Import.objects.filter(pk=import_id, state=state).exclude(heartbeat__gte=fresh)
    return now if rows.update(heartbeat=now) == 1 else None


@dataclass
class _Batch:
    rows: list[bulk.Incoming] = field(default_factory=list)
    # Where each Incoming came from: (record, line, address as given); not the Row, whose
    # dict of values would stay in memory for the whole batch.
    records: list[tuple[int, int, str]] = field(default_factory=list)
    index: dict[str, int] = field(default_factory=dict)  # key -> position in rows
    issues: list[tuple] = field(default_factory=list)  # rows rejected before writing (_issue)
    # Duplicates of an earlier row: (position of the row they merge into, their source as
    # in records, the reason). Settled after the write: merged, or rejected with it.
    duplicates: list[tuple[int, tuple[int, int, str], str]] = field(default_factory=list)
    fill_only: set[int] = field(default_factory=set)  # positions that are themselves duplicates
    last: Row | None = None


class Runner:
    def __init__(self, imp: Import, beat, on_progress: Progress | None = None) -> None:
        self.imp = imp
        self.beat = beat
        self.by = import_actor(imp)
        self.on_progress = on_progress
        self.topics = list(Topic.objects.filter(key__in=imp.topic_keys).order_by("key"))
        self.converter = RowConverter(imp.mapping, attributes.definitions(), Checker(offline=True))
        self.seen = SeenKeys()
        self.counts = dict(imp.counts)
        self.optin = {"sent": 0, "not_sent": 0, **(imp.optin or {})}
        self.optin_exhausted = False

    # -- the loop ------------------------------------------------------------------------

    def run(self) -> Import:
        imp = self.imp
        reader = RowReader(file_path(imp), sniffed_of(imp))
        done = imp.records_done
        batch = _Batch()
        for row in reader:
            if row.number <= done:
                self._remember(row)  # resuming: earlier rows only teach the duplicates
                continue
            self._take(batch, row)
            if len(batch.records) + len(batch.issues) >= settings.IMPORT_BATCH_SIZE:
                if not self._commit(batch, reader.fraction):
                    return self._reload()
                batch = _Batch()
        if batch.last is not None and not self._commit(batch, 1.0):
            return self._reload()
        return self._finish()

    def _remember(self, row: Row) -> None:
        if row.values is None:
            return
        verdict = self.converter.verdict(row.values)
        if verdict.valid and verdict.normalized:
            self.seen.first(email_key(verdict.normalized), row.number, row.line)

    def _take(self, batch: _Batch, row: Row) -> None:
        batch.last = row
        if row.values is None:
            batch.issues.append(
                self._issue((row.number, row.line, ""), ImportIssue.Outcome.REJECTED, row.error)
            )
            return
        given = row.values.get(self.converter.email_column) or ""
        source = (row.number, row.line, given)
        verdict = self.converter.verdict(row.values)
        try:
            incoming = self.converter.convert(row.values, verdict)
        except RowRejected as exc:
            batch.issues.append(self._issue(source, ImportIssue.Outcome.REJECTED, str(exc)))
            return
        first = self.seen.first(incoming.key, row.number, row.line)
        if first is None:
            batch.index[incoming.key] = len(batch.rows)
            batch.rows.append(incoming)
            batch.records.append(source)
            return
        reason = f"same address as line {first[1]}: merged into it"
        position = batch.index.get(incoming.key)
        if position is not None:
            _fold(batch.rows[position], incoming)
            batch.duplicates.append((position, source, reason))
            return
        incoming.fill_only = True  # its first row is already committed: fill blanks only
        position = batch.index[incoming.key] = len(batch.rows)
        batch.fill_only.add(position)
        batch.duplicates.append((position, source, reason))
        batch.rows.append(incoming)
        batch.records.append(source)

    @staticmethod
    def _issue(source: tuple[int, int, str], outcome: str, reason: str | None) -> tuple:
        """An ImportIssue's values (ISSUE_COLUMNS after the import's id)."""
        number, line, email = source
        return (
            number,
            line,
            email[: ImportIssue.MAX_EMAIL],
            outcome,
            (reason or "unreadable row")[:500],
        )

    # -- one transaction per batch -------------------------------------------------------

    def _commit(self, batch: _Batch, fraction: float) -> bool:
        """Write the batch; False when the import was cancelled meanwhile."""
        for attempt in range(3):
            try:
                with transaction.atomic():
                    return self._write(batch, fraction)
            except IntegrityError:
                # Someone added one of these addresses between our lookup and our insert
                # (PostgreSQL; SQLite's write lock prevents it): read again and retry.
                if attempt == 2:
                    raise
        return False

    def _write(self, batch: _Batch, fraction: float) -> bool:
        imp = self.imp
        state = (
            Import.objects.select_for_update()
            .filter(pk=imp.pk, heartbeat=self.beat)
            .values_list("state", flat=True)
            .first()
        )
        if state != Import.State.RUNNING:
            return False  # cancelled, or taken over by another process after we stalled
        if connection.vendor == "postgresql":
            # This transaction's commit does not wait for its WAL to reach the disk (it is
            # still atomic and crash-safe): a crash loses at most the last batches, whose
            # resume point is lost with them, so `resume` imports them again.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit = off")
        counts = dict(self.counts)
        outcomes = bulk.upsert_batch(batch.rows, topics=self.topics, basis=imp.basis, by=self.by)
        issues = list(batch.issues)
        counts["rejected"] += len(issues)
        for position, (outcome, source) in enumerate(zip(outcomes, batch.records, strict=True)):
            if outcome.result == bulk.REJECTED:
                issues.append(self._issue(source, ImportIssue.Outcome.REJECTED, outcome.reason))
                counts["rejected"] += 1
            elif position not in batch.fill_only:
                counts[outcome.result] += 1
        for position, source, reason in batch.duplicates:
            outcome = outcomes[position]
            if outcome.result == bulk.REJECTED:
                if position in batch.fill_only and source is batch.records[position]:
                    continue  # already reported above
                issues.append(self._issue(source, ImportIssue.Outcome.REJECTED, outcome.reason))
                counts["rejected"] += 1
            else:
                issues.append(self._issue(source, ImportIssue.Outcome.MERGED, reason))
                counts["merged"] += 1
        issues.sort()  # by record
        bulksql.insert_rows(
            ImportIssue, ISSUE_COLUMNS, [(imp.pk, *issue) for issue in issues], now=timezone.now()
        )
        if imp.send_optin:
            self._send_optins(outcomes)
        now = timezone.now()
        last = batch.last
        Import.objects.filter(pk=imp.pk).update(
            records_done=last.number if last else imp.records_done,
            progress=min(fraction, 0.999),
            counts=counts,
            optin=self.optin,
            heartbeat=now,
            updated_at=now,
        )
        self.beat = now
        self.counts = counts
        if last is not None:
            imp.records_done = last.number
        imp.progress, imp.counts = min(fraction, 0.999), counts
        if self.on_progress:
            self.on_progress(imp)
        return True

    def _send_optins(self, outcomes: list[bulk.Outcome]) -> None:
        """The opt-in email to rows left pending, within MW_IMPORT_OPTIN_PER_HOUR (counted
        across imports); the rest are counted as not sent."""
        wanted = {o.contact_id: o.pending_topics for o in outcomes if o.pending_topics}
        if not wanted:
            return
        contacts = Contact.objects.filter(pk__in=list(wanted), status=Contact.Status.ACTIVE)
        for contact in contacts:
            if self.optin_exhausted or not ratelimit.hit(
                "import-optin", settings.IMPORT_OPTIN_PER_HOUR, 3600
            ):
                self.optin_exhausted = True
                self.optin["not_sent"] += 1
                continue
            queue_optin_email(contact, wanted[contact.pk])
            self.optin["sent"] += 1

    # -- the end ---------------------------------------------------------------------------

    def _reload(self) -> Import:
        self.imp.refresh_from_db()
        return self.imp

    def _finish(self) -> Import:
        imp = self.imp
        now = timezone.now()
        with transaction.atomic():
            updated = Import.objects.filter(pk=imp.pk, state=Import.State.RUNNING).update(
                state=Import.State.DONE, progress=1.0, finished_at=now, heartbeat=now
            )
            if updated:
                audit.record(
                    self.by, "import.finish", "import", imp.pk, after={"counts": self.counts}
                )
        return self._reload()


def _fold(first: bulk.Incoming, later: bulk.Incoming) -> None:
    """A later row of the same person in the same batch: fill the first row's blanks, unite
    tags, and keep any consent evidence."""
    for name in ("name", "language", "time_zone", "birthday", "anniversary"):
        if getattr(first, name) in ("", None):
            setattr(first, name, getattr(later, name))
    first.tags = list(dict.fromkeys([*first.tags, *later.tags]))
    first.attributes = {**later.attributes, **first.attributes}
    first.evidence = first.evidence or later.evidence


def run(import_id: int, *, on_progress: Progress | None = None) -> Import:
    """Import the records after records_done, if this process can claim the import (it is
    running and nobody else's heartbeat is fresh); returns the import as it ends."""
    beat = claim(import_id, Import.State.RUNNING)
    if beat is None:
        return Import.objects.get(pk=import_id)
    imp = Import.objects.get(pk=import_id)
    if connection.vendor == "sqlite":
        # The indexes this writes into (address keys, ledger hashes) are random-access: a
        # page cache of 48 MB instead of 2 MB keeps most of them off the disk (more would
        # pass the 300 MB peak the import is held to at 1,000,000 rows).
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size = -49152")
    try:
        return Runner(imp, beat, on_progress).run()
    except Exception as exc:
        log.exception("import %s failed", import_id)
        Import.objects.filter(pk=import_id).update(
            state=Import.State.FAILED, error=f"{type(exc).__name__}: {exc}"[:2000]
        )
        raise
