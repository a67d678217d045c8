"""Service messages sent through the API: one row per accepted message, tied to the
delivery row that carries it, and the idempotency key it was accepted under."""

from __future__ import annotations

from django.db import models


class Message(models.Model):
    """A service (or API-sent) message. Its state is the delivery's once queued; a message
    refused before queuing (suppressed recipient) keeps `refused_reason` and no delivery."""

    # The API key that sent it (no foreign key: the api app is a higher layer); 0 for the
    # UI and the CLI. Idempotency keys are scoped to it.
    api_key_id = models.PositiveIntegerField(default=0)
    idempotency_key = models.CharField(max_length=255, blank=True)
    # SHA-256 of the canonical request body: the same key with another body is a 409.
    request_hash = models.CharField(max_length=64, blank=True)
    template = models.ForeignKey(
        "campaigns.Template", null=True, on_delete=models.SET_NULL, related_name="messages"
    )
    template_key = models.CharField(max_length=100)
    stream = models.CharField(max_length=12, default="service")
    language = models.CharField(max_length=8, blank=True)
    to_email = models.CharField(max_length=320)
    contact = models.ForeignKey(
        "contacts.Contact", null=True, on_delete=models.SET_NULL, related_name="messages"
    )
    data = models.JSONField(default=dict, blank=True)
    # [{"filename", "content_type", "size"}]: the bytes travel in the delivery's content.
    attachments = models.JSONField(default=list, blank=True)
    delivery = models.OneToOneField(
        "delivery.Delivery", null=True, on_delete=models.SET_NULL, related_name="message"
    )
    refused_reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["api_key_id", "idempotency_key"],
                name="one_message_per_idempotency_key",
                condition=~models.Q(idempotency_key=""),
            )
        ]
        indexes = [
            models.Index(fields=["to_email"], name="message_to"),
            models.Index(fields=["template_key", "created_at"], name="message_template"),
        ]

    def __str__(self) -> str:
        return f"{self.template_key} to {self.to_email}"
