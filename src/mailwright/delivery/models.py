"""The delivery ledger (one row per message × recipient; it is the queue) and captured mail."""

from __future__ import annotations

from django.db import models


class Delivery(models.Model):
    class State(models.TextChoices):
        QUEUED = "queued"
        SENDING = "sending"
        SENT = "sent"
        DEFERRED = "deferred"
        BOUNCED = "bounced"
        FAILED = "failed"
        SUPPRESSED = "suppressed"

    campaign = models.ForeignKey(
        "campaigns.Campaign", null=True, on_delete=models.CASCADE, related_name="deliveries"
    )

    class Stream(models.TextChoices):
        MARKETING = "marketing"  # campaigns: need confirmed consent on the topic
        SERVICE = "service"  # opt-in confirmations, transactional mail: "not suppressed" only

    contact = models.ForeignKey(
        "contacts.Contact", null=True, on_delete=models.SET_NULL, related_name="deliveries"
    )
    email = models.CharField(max_length=320)
    stream = models.CharField(max_length=12, choices=Stream.choices, default=Stream.MARKETING)
    # Messages that are not campaigns carry their rendered content here:
    # {"kind", "subject", "html", "text", "language"}.
    content = models.JSONField(null=True, blank=True)
    state = models.CharField(max_length=16, choices=State.choices, default=State.QUEUED)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    lease_owner = models.CharField(max_length=64, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    last_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_reply = models.TextField(blank=True)
    message_id = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "contact"], name="one_delivery_per_campaign_contact"
            )
        ]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="delivery_due"),
            models.Index(fields=["state", "lease_expires_at"], name="delivery_lease"),
            models.Index(fields=["campaign", "state"], name="delivery_campaign_state"),
        ]

    def __str__(self) -> str:
        return f"{self.email} {self.state}"


class CapturedMessage(models.Model):
    """A message accepted by the local capture relay (Outbox → Captured)."""

    mail_from = models.CharField(max_length=320, blank=True)
    recipients = models.JSONField(default=list)
    to = models.CharField(max_length=320, db_index=True)
    subject = models.CharField(max_length=998, blank=True)
    message_id = models.CharField(max_length=300, blank=True)
    size = models.PositiveIntegerField()
    raw = models.BinaryField()
    received_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.to}: {self.subject}"
