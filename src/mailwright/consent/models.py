"""The consent ledger: an append-only, hash-chained record of every subscription change."""

from __future__ import annotations

from django.db import models


class ConsentEvent(models.Model):
    class Channel(models.TextChoices):
        FORM = "form"
        IMPORT = "import"
        API = "api"
        ADMIN = "admin"
        PREFERENCES = "preferences"
        ONE_CLICK = "one_click"
        UNSUBSCRIBE_PAGE = "unsubscribe_page"
        BOUNCE = "bounce"
        COMPLAINT = "complaint"

    contact = models.ForeignKey(
        "contacts.Contact", null=True, on_delete=models.SET_NULL, related_name="consent_events"
    )
    email = models.CharField(max_length=320)
    topic_key = models.CharField(max_length=64, blank=True)
    action = models.CharField(max_length=32)
    state_from = models.CharField(max_length=16, blank=True)
    state_to = models.CharField(max_length=16, blank=True)
    basis = models.CharField(max_length=300, blank=True)
    text_version = models.PositiveIntegerField(null=True, blank=True)
    channel = models.CharField(max_length=24, choices=Channel.choices)
    actor = models.CharField(max_length=200, blank=True)
    source_ip = models.CharField(max_length=64, blank=True)
    user_agent = models.CharField(max_length=400, blank=True)
    created_at = models.DateTimeField()
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.email} {self.topic_key} {self.action}"


class LedgerHead(models.Model):
    """One row holding the hash of the newest event: locking it serializes appends."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_hash = models.CharField(max_length=64)

    def __str__(self) -> str:
        return self.last_hash
