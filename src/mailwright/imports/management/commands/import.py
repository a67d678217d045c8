"""`mailwright import FILE --topic KEY --basis TEXT`: import contacts from a CSV, TSV or JSON
lines file in this process, with a progress bar on stderr and the report at the end (a JSON
summary on stdout). Exit 0 when rows came in, 1 when nothing could be imported, 3 when the
import is held for confirmation (re-run with --resume ID --confirm-risky)."""

from __future__ import annotations

import csv
import json
import sys
import time

from django.core.management.base import BaseCommand, CommandError
from django.core.serializers.json import DjangoJSONEncoder

from mailwright.audit.actors import Actor
from mailwright.imports import service
from mailwright.imports.models import Import

HELD_EXIT = 3
SHOWN_ISSUES = 10


class Bar:
    """Redrawn in place on a terminal; a line per 10 % otherwise (logs, CI)."""

    def __init__(self, stream) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self.step = -1
        self.drawn = 0.0

    def __call__(self, imp: Import) -> None:
        label = "analysing" if imp.state == Import.State.ANALYSING else "importing"
        fraction = max(0.0, min(imp.progress, 1.0))
        counts = imp.counts
        text = (
            f"{label} {fraction * 100:5.1f} %  {imp.records_done:,} records"
            f"  imported {counts['imported']:,}  updated {counts['updated']:,}"
            f"  merged {counts['merged']:,}  rejected {counts['rejected']:,}"
        )
        if self.tty:
            now = time.monotonic()
            if now - self.drawn < 0.1 and fraction < 1:
                return
            self.drawn = now
            width = 24
            done = int(fraction * width)
            self.stream.write(f"\r[{'#' * done}{'.' * (width - done)}] {text}\x1b[K")
            self.stream.flush()
            return
        step = int(fraction * 10)
        key = step if label == "importing" else -2 - step
        if key != self.step and (label == "importing" or step > 0):
            self.step = key
            self.stream.write(text + "\n")
            self.stream.flush()

    def end(self) -> None:
        if self.tty:
            self.stream.write("\n")
            self.stream.flush()


class Command(BaseCommand):
    help = "Import contacts from a CSV, TSV or JSON lines file (docs/importing.md)."
    # The system checks import every URL module and view (~1 s before the first row);
    # `mailwright check` and the server run them.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?", help="the file to import")
        parser.add_argument(
            "--topic", action="append", default=[], help="topic key to subscribe to (repeat)"
        )
        parser.add_argument(
            "--basis", default="", help='the lawful basis, e.g. "existing customers"'
        )
        parser.add_argument(
            "--map",
            action="append",
            default=[],
            metavar="HEADER=TARGET",
            help="column mapping over the detected one (target '' ignores the column)",
        )
        parser.add_argument("--encoding", help="the file's encoding, e.g. cp1250 (detected)")
        parser.add_argument("--format", choices=["csv", "tsv", "jsonl"], help="(detected)")
        parser.add_argument(
            "--send-optin", action="store_true", help="mail a double opt-in to pending rows"
        )
        parser.add_argument(
            "--confirm-risky",
            action="store_true",
            help="import even if the list looks bought or scraped (else it is held)",
        )
        parser.add_argument("--resume", type=int, metavar="ID", help="continue import ID")

    def handle(self, *args, **opts):
        by = Actor(channel="cli", actor="cli", kind="system")
        bar = Bar(sys.stderr)
        imp = None
        try:
            imp = self._resume(opts, by) if opts["resume"] is not None else self._new(opts, by)
            imp = service.process(imp.pk, on_progress=bar)
        except service.ImportInputError as exc:
            raise CommandError(str(exc)) from None
        except KeyboardInterrupt:
            bar.end()
            if imp is not None:  # free it for --resume at once, not after a minute
                Import.objects.filter(pk=imp.pk).update(heartbeat=None)
            which = imp.pk if imp is not None else "ID"
            raise CommandError(
                f"interrupted: continue with mailwright import --resume {which}"
            ) from None
        if imp.state == Import.State.DONE:
            bar(imp)
        bar.end()
        self._report(imp)

    def _new(self, opts, by: Actor) -> Import:
        if not opts["file"]:
            raise CommandError("name the file to import (or --resume ID)")
        try:
            imp = service.create(opts["file"], name=opts["file"], by=by)
        except FileNotFoundError:
            raise CommandError(f"no such file: {opts['file']}") from None
        try:
            return self._configure(imp, opts, by)
        except (service.ImportInputError, CommandError):
            service.discard(imp, by=by)  # nothing to resume: do not leave the upload behind
            raise

    def _configure(self, imp: Import, opts, by: Actor) -> Import:
        mapping = None
        if opts["encoding"] or opts["format"]:
            service.reread(imp, encoding=opts["encoding"], format=opts["format"])
        if opts["map"]:
            mapping = dict(imp.mapping)
            for pair in opts["map"]:
                header, sep, target = pair.partition("=")
                if not sep:
                    raise CommandError(f"--map {pair!r}: write it as HEADER=TARGET")
                mapping[header] = target.strip()
        topics = [k.strip() for value in opts["topic"] for k in value.split(",")]
        service.configure(
            imp,
            mapping=mapping,
            topic_keys=topics,
            basis=opts["basis"],
            send_optin=opts["send_optin"],
            by=by,
        )
        self.stderr.write(
            f"import {imp.pk}: {imp.original_name} ({imp.format}, {imp.encoding}), columns: "
            + ", ".join(f"{h} → {t or '(ignored)'}" for h, t in imp.mapping.items())
        )
        return service.start(imp, by=by, confirm_risky=opts["confirm_risky"])

    def _resume(self, opts, by: Actor) -> Import:
        imp = Import.objects.filter(pk=opts["resume"]).first()
        if imp is None:
            raise CommandError(f"no import {opts['resume']}")
        if imp.state == Import.State.HELD:
            if not opts["confirm_risky"]:
                raise CommandError(
                    f"import {imp.pk} is held: add --confirm-risky to import it anyway"
                )
            return service.confirm(imp, by=by)
        if imp.state == Import.State.READY:
            return service.start(imp, by=by, confirm_risky=opts["confirm_risky"])
        return service.resume(imp, by=by)

    def _report(self, imp: Import) -> None:
        path = service.imports_dir() / f"report-{imp.pk}.csv"
        with path.open("w", newline="", encoding="utf-8") as f:
            csv.writer(f).writerows(service.report_rows(imp))
        summary = service.progress_dict(imp) | {"report_path": str(path)}
        self.stdout.write(json.dumps(summary, cls=DjangoJSONEncoder, ensure_ascii=False))
        err = self.stderr
        counts = imp.counts
        if imp.state == Import.State.HELD:
            err.write(f"import {imp.pk} is HELD: nothing was imported.")
            for reason in imp.hold_reasons:
                err.write(f"  - {reason}")
            err.write(
                f"If you are sure the people on this list agreed to hear from you, run:\n"
                f"  mailwright import --resume {imp.pk} --confirm-risky"
            )
            raise SystemExit(HELD_EXIT)
        err.write(
            f"import {imp.pk} {imp.state}: imported {counts['imported']:,}, updated"
            f" {counts['updated']:,}, unchanged {counts['unchanged']:,}, merged"
            f" {counts['merged']:,}, rejected {counts['rejected']:,}"
        )
        if imp.send_optin:
            err.write(
                f"opt-in emails: {imp.optin.get('sent', 0):,} sent,"
                f" {imp.optin.get('not_sent', 0):,} not sent (hourly limit)"
            )
        shown = imp.issues.filter(outcome="rejected").order_by("record")[:SHOWN_ISSUES]
        for issue in shown:
            err.write(f"  line {issue.line}: {issue.reason}")
        if counts["rejected"] > SHOWN_ISSUES:
            err.write(f"  … and {counts['rejected'] - SHOWN_ISSUES:,} more")
        err.write(f"report: {path}")
        if imp.state != Import.State.DONE:
            raise CommandError(f"import {imp.pk} {imp.state}: {imp.error or 'see the report'}")
        if not (counts["imported"] + counts["updated"] + counts["unchanged"] + counts["merged"]):
            raise CommandError("nothing could be imported")
