"""An import of contacts from a file (SPEC §2.3): the uploaded file, how its columns map, the
consent it brings, where the run stands (so a killed run resumes), and the per-row issues the
report lists."""

from __future__ import annotations

from django.db import models


def empty_counts() -> dict:
    return {"imported": 0, "updated": 0, "merged": 0, "rejected": 0, "unchanged": 0}


class Import(models.Model):
    class State(models.TextChoices):
        UPLOADED = "uploaded"  # stored and sniffed; the mapping may still need a person
        READY = "ready"  # mapping, topics and basis set: can start
        ANALYSING = "analysing"  # the hygiene pass over the whole file
        HELD = "held"  # looks bought or scraped: waits for an operator's confirmation
        RUNNING = "running"
        DONE = "done"
        FAILED = "failed"
        CANCELLED = "cancelled"

    FINISHED = (State.DONE, State.FAILED, State.CANCELLED)

    state = models.CharField(max_length=16, choices=State.choices, default=State.UPLOADED)
    # The stored upload, relative to settings.DATA_DIR (imports/<uuid>.<ext>).
    path = models.CharField(max_length=500)
    original_name = models.CharField(max_length=255, blank=True)
    size = models.BigIntegerField(default=0)
    # What sniffing found (imports.reading.Sniffed) or the operator chose.
    format = models.CharField(max_length=8, blank=True)  # csv | tsv | jsonl
    encoding = models.CharField(max_length=32, blank=True)
    encoding_detected = models.BooleanField(default=True)
    delimiter = models.CharField(max_length=4, blank=True)
    headers = models.JSONField(default=list, blank=True)
    # header → target ("email", "name", "attributes.<key>", "" to ignore; imports.mapping).
    mapping = models.JSONField(default=dict, blank=True)
    topic_keys = models.JSONField(default=list, blank=True)
    basis = models.CharField(max_length=300, blank=True)  # the lawful basis, required to start
    send_optin = models.BooleanField(default=False)

    progress = models.FloatField(default=0)  # 0..1, of the file's bytes
    records_done = models.BigIntegerField(default=0)  # records committed: the resume point
    counts = models.JSONField(default=empty_counts)
    hygiene = models.JSONField(default=dict, blank=True)  # contacts.hygiene.Summary.as_dict()
    consent_share = models.FloatField(null=True, blank=True)  # rows with consent evidence
    hold_reasons = models.JSONField(default=list, blank=True)
    risk_accepted = models.BooleanField(default=False)  # confirmed before the analysis ran
    optin = models.JSONField(default=dict, blank=True)  # {"sent": n, "waiting": n}
    error = models.TextField(blank=True)

    created_by = models.CharField(max_length=200, blank=True)  # the actor, as text
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Written by the running process every batch: a running import without a heartbeat for a
    # minute was killed, and `resume` may take it over.
    heartbeat = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"import {self.pk} ({self.original_name}, {self.state})"

    @property
    def finished(self) -> bool:
        return self.state in self.FINISHED


class ImportIssue(models.Model):
    """A row the report names: rejected (with why) or merged into an earlier row of the file."""

    class Outcome(models.TextChoices):
        REJECTED = "rejected"
        MERGED = "merged"

    MAX_EMAIL = 320

    import_run = models.ForeignKey(Import, on_delete=models.CASCADE, related_name="issues")
    record = models.BigIntegerField()  # the record's number in the file (1 = first data row)
    line = models.BigIntegerField()  # its line in the file, as an editor shows it
    email = models.CharField(max_length=MAX_EMAIL, blank=True)  # as given, truncated
    outcome = models.CharField(max_length=8, choices=Outcome.choices)
    reason = models.CharField(max_length=500)

    class Meta:
        ordering = ["import_run_id", "record"]
        constraints = [
            models.UniqueConstraint(
                fields=["import_run", "record"], name="one_issue_per_import_record"
            )
        ]

    def __str__(self) -> str:
        return f"{self.import_run_id}#{self.record} {self.outcome}: {self.reason}"
