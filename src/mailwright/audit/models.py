"""The audit log: one row per state change made by an action."""

from __future__ import annotations

from django.db import models


class AuditEntry(models.Model):
    at = models.DateTimeField(db_index=True)
    actor_kind = models.CharField(max_length=16)  # Actor.KINDS
    actor = models.CharField(max_length=200, blank=True)
    actor_ref = models.CharField(max_length=64, blank=True)
    channel = models.CharField(max_length=32, blank=True)
    action = models.CharField(max_length=64, db_index=True)  # "contact.unsubscribe", …
    object_type = models.CharField(max_length=32)
    object_id = models.CharField(max_length=64, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    source_ip = models.CharField(max_length=64, blank=True)  # truncated like the ledger's
    user_agent = models.CharField(max_length=400, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["object_type", "object_id"], name="audit_object")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor or self.actor_kind} {self.action}"
