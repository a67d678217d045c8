"""Contacts, topics and the subscription (contact × topic) state."""

from __future__ import annotations

from django.db import models

# The product languages (SPEC §3): contacts, public pages and emails.
LANGUAGES = {"en", "pl", "tr", "es", "vi", "bg"}


class Contact(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active"
        UNSUBSCRIBED = "unsubscribed"  # unsubscribed from all marketing
        BOUNCED = "bounced"
        COMPLAINED = "complained"
        ERASED = "erased"

    email = models.CharField(max_length=320, unique=True)
    name = models.CharField(max_length=200, blank=True)
    language = models.CharField(max_length=16, default="en")
    time_zone = models.CharField(max_length=64, default="UTC")
    attributes = models.JSONField(default=dict, blank=True)
    tags = models.JSONField(default=list, blank=True)

    class Frequency(models.TextChoices):
        EVERY = "every", "Every mailing"
        WEEKLY = "weekly", "At most weekly"
        MONTHLY = "monthly", "At most monthly"

    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    frequency = models.CharField(max_length=8, choices=Frequency.choices, default=Frequency.EVERY)
    paused_until = models.DateTimeField(null=True, blank=True)
    engagement_score = models.FloatField(default=0)
    erased_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.email

    @property
    def first_name(self) -> str:
        return self.name.split()[0] if self.name.strip() else ""


class Topic(models.Model):
    """A subscription type a contact can choose, e.g. "Newsletter"."""

    key = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    consent_text = models.TextField(blank=True)
    consent_version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Subscription(models.Model):
    class State(models.TextChoices):
        PENDING = "pending"
        CONFIRMED = "confirmed"
        UNSUBSCRIBED = "unsubscribed"

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="subscriptions")
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="subscriptions")
    state = models.CharField(max_length=16, choices=State.choices)
    basis = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["contact", "topic"], name="one_subscription_per_topic")
        ]
        indexes = [models.Index(fields=["topic", "state"])]

    def __str__(self) -> str:
        return f"{self.contact_id}:{self.topic_id}={self.state}"
