"""Contacts, topics and the subscription (contact × topic) state."""

from __future__ import annotations

from django.db import models

from mailwright.contacts.addresses import email_key

# The product languages (SPEC §3): contacts, public pages and emails.
LANGUAGES = {"en", "pl", "tr", "es", "vi", "bg"}


class EmailKeyField(models.CharField):
    """Filled from the row's `email` on every save, bulk_create included (Django calls
    `pre_save` for each object it inserts), so no write path can forget it."""

    def pre_save(self, model_instance, add):
        value = email_key(model_instance.email) if model_instance.email else None
        setattr(model_instance, self.attname, value)
        return value


class Contact(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active"
        UNSUBSCRIBED = "unsubscribed"  # unsubscribed from all marketing
        BOUNCED = "bounced"
        COMPLAINED = "complained"
        ERASED = "erased"

    email = models.CharField(max_length=320, unique=True)  # as given: shown and sent to
    # The identity (contacts.addresses.email_key): one contact per key. NULL only between a
    # migration and the post-migrate merge of case variants (consent.merging).
    email_key = EmailKeyField(max_length=320, unique=True, null=True, editable=False)
    name = models.CharField(max_length=200, blank=True)
    language = models.CharField(max_length=16, default="en")
    time_zone = models.CharField(max_length=64, default="UTC")
    attributes = models.JSONField(default=dict, blank=True)
    tags = models.JSONField(default=list, blank=True)
    birthday = models.DateField(null=True, blank=True)
    anniversary = models.DateField(null=True, blank=True, help_text="e.g. customer since")

    class Frequency(models.TextChoices):
        DEFAULT = "default", "Organisation default"
        EVERY = "every", "Every mailing"
        WEEKLY = "weekly", "At most weekly"
        MONTHLY = "monthly", "At most monthly"

    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    frequency = models.CharField(max_length=8, choices=Frequency.choices, default=Frequency.DEFAULT)
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


class TopicTranslation(models.Model):
    """A topic's name, description and consent text in another language than it was typed
    in (shown on public pages and in the preference center in the contact's language)."""

    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="translations")
    language = models.CharField(max_length=16)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    consent_text = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["topic", "language"], name="one_topic_translation_per_language"
            )
        ]

    def __str__(self) -> str:
        return f"{self.topic_id}/{self.language}"


class Subscription(models.Model):
    class State(models.TextChoices):
        PENDING = "pending"
        CONFIRMED = "confirmed"
        UNSUBSCRIBED = "unsubscribed"

    # No index of their own: the unique (contact, topic) serves lookups by contact and the
    # (topic, state) index lookups by topic; two more indexes only slowed every write
    # (an import maintained four per subscription).
    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, related_name="subscriptions", db_index=False
    )
    topic = models.ForeignKey(
        Topic, on_delete=models.CASCADE, related_name="subscriptions", db_index=False
    )
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


class AttributeDefinition(models.Model):
    """A custom attribute the organisation declared, with its type: every write path
    (API, UI, import) validates contact attributes against these."""

    class Type(models.TextChoices):
        STRING = "string"
        NUMBER = "number"
        DATE = "date"
        BOOL = "bool"

    key = models.CharField(max_length=64, unique=True)
    label = models.CharField(max_length=200, blank=True)
    type = models.CharField(max_length=8, choices=Type.choices, default=Type.STRING)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["key"]

    def __str__(self) -> str:
        return f"{self.key} ({self.type})"


class Segment(models.Model):
    """A stored, named filter tree (contacts.segments grammar)."""

    name = models.CharField(max_length=200, unique=True)
    description = models.TextField(blank=True)
    tree = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class DuplicateDismissal(models.Model):
    """An operator reviewed a group of near-duplicates (contacts.near_duplicates) and said
    they are different people: the group is not offered again."""

    loose_key = models.CharField(max_length=320, unique=True)
    dismissed_by = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.loose_key
