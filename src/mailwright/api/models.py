"""API keys: shown once at creation, stored only as a SHA-256 digest."""

from __future__ import annotations

from django.db import models


class ApiKey(models.Model):
    class Scope(models.TextChoices):
        FULL = "full", "Full access"
        SEND = "send", "Send service messages only"

    name = models.CharField(max_length=100)
    # "send": only POST /messages, /messages/batch, GET /messages/{id} and the service
    # templates' list (a key an application server holds to send receipts and resets).
    scope = models.CharField(max_length=8, choices=Scope.choices, default=Scope.FULL)
    prefix = models.CharField(max_length=16, db_index=True)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
