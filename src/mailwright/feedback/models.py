"""What happened to messages (events) and who must not be mailed (suppressions)."""

from __future__ import annotations

from django.db import models


class Event(models.Model):
    class Type(models.TextChoices):
        QUEUED = "queued"
        SENT = "sent"
        DEFERRED = "deferred"
        BOUNCED = "bounced"
        FAILED = "failed"
        SUPPRESSED = "suppressed"
        UNSUBSCRIBED = "unsubscribed"
        COMPLAINED = "complained"

    type = models.CharField(max_length=24, choices=Type.choices)
    delivery = models.ForeignKey(
        "delivery.Delivery", null=True, on_delete=models.SET_NULL, related_name="events"
    )
    campaign = models.ForeignKey(
        "campaigns.Campaign", null=True, on_delete=models.SET_NULL, related_name="events"
    )
    contact = models.ForeignKey(
        "contacts.Contact", null=True, on_delete=models.SET_NULL, related_name="events"
    )
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.type} {self.created_at:%Y-%m-%d %H:%M}"


class Suppression(models.Model):
    class Reason(models.TextChoices):
        HARD_BOUNCE = "hard_bounce"
        COMPLAINT = "complaint"
        MANUAL = "manual"
        ERASED = "erased"

    # Blank after the person is erased: then only the salted hash remains.
    email = models.CharField(max_length=320, null=True, blank=True, unique=True)
    email_hash = models.CharField(max_length=64, unique=True)
    reason = models.CharField(max_length=24, choices=Reason.choices)
    detail = models.TextField(blank=True)
    delivery = models.ForeignKey(
        "delivery.Delivery", null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.email or self.email_hash[:12]} ({self.reason})"
