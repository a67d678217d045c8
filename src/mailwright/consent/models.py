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
        PRIVACY = "privacy"

    contact = models.ForeignKey(
        "contacts.Contact", null=True, on_delete=models.SET_NULL, related_name="consent_events"
    )
    contact_ref = models.BigIntegerField(
        null=True, help_text="contact id, kept if the row is deleted"
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
    # The chain covers a digest of the personal fields (email, IP, user agent) rather than
    # the fields themselves, so erasing a person blanks them without breaking the chain.
    pii_digest = models.CharField(max_length=64, blank=True)
    erased = models.BooleanField(default=False)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.email} {self.topic_key} {self.action}"

    def save(self, *args, **kwargs):
        # Append-only: an event is written once. (Erasure blanks personal fields with a
        # queryset update, which the chain's PII digest is designed to survive.)
        if self.pk is not None:
            raise ValueError("consent events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("consent events are append-only")


class LedgerHead(models.Model):
    """One row holding the hash of the newest event: locking it serializes appends."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_hash = models.CharField(max_length=64)

    def __str__(self) -> str:
        return self.last_hash


class ConsentText(models.Model):
    """Every version of a topic's consent text, so the exact words a person agreed to can be
    shown later (events record the version). Versions are numbered per topic across all its
    languages, so an event's version names the exact words in the language the person saw;
    `language` is blank for the topic's own text, else the translation's language."""

    topic = models.ForeignKey("contacts.Topic", on_delete=models.CASCADE, related_name="texts")
    version = models.PositiveIntegerField()
    language = models.CharField(max_length=16, blank=True, default="")
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["topic", "version"], name="one_text_per_version")
        ]
        ordering = ["topic_id", "version"]

    def __str__(self) -> str:
        return f"{self.topic_id} v{self.version}"


class RateCounter(models.Model):
    """Fixed-window counters shared by every web process (rate limits on public forms)."""

    key = models.CharField(max_length=200)
    window_start = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["key", "window_start"], name="one_counter_per_window")
        ]

    def __str__(self) -> str:
        return f"{self.key}@{self.window_start:%H:%M}={self.count}"


class PrivacySalt(models.Model):
    """The salt for address hashes kept after erasure (one row, made on first use)."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    salt = models.CharField(max_length=64)

    def __str__(self) -> str:
        return "privacy salt"


class PrivacyAudit(models.Model):
    """Data-subject requests carried out: what, for whom (hashed), by whom, when."""

    class Action(models.TextChoices):
        EXPORT = "export"
        ERASE = "erase"
        RECTIFY = "rectify"

    action = models.CharField(max_length=16, choices=Action.choices)
    address_hash = models.CharField(max_length=64, db_index=True)
    actor = models.CharField(max_length=200)
    channel = models.CharField(max_length=24)
    detail = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.action} {self.address_hash[:12]}"


class Suppression(models.Model):
    """An address that must not be mailed, with why and when: the strongest withdrawal of
    consent, consulted by every send."""

    class Reason(models.TextChoices):
        HARD_BOUNCE = "hard_bounce"
        COMPLAINT = "complaint"
        MANUAL = "manual"
        ERASED = "erased"
        SOFT_BOUNCES = "soft_bounces"  # repeated soft bounces across different sends

    # Blank after the person is erased: then only the salted hash remains.
    email = models.CharField(max_length=320, null=True, blank=True, unique=True)
    # contacts.addresses.email_key of `email` (blank after erasure): what sends compare.
    email_key = models.CharField(max_length=320, blank=True, default="", db_index=True)
    email_hash = models.CharField(max_length=64, unique=True)
    reason = models.CharField(max_length=24, choices=Reason.choices)
    detail = models.TextField(blank=True)
    delivery = models.ForeignKey(
        "delivery.Delivery", null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-id"]
        db_table = "feedback_suppression"  # created by the feedback app, which held it first

    def __str__(self) -> str:
        return f"{self.email or self.email_hash[:12]} ({self.reason})"


class Organisation(models.Model):
    """Who sends: shown in every marketing email (the postal address is required by law).
    One row; environment variables give the first values."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    name = models.CharField(max_length=200)
    postal_address = models.TextField(blank=True)
    from_email = models.CharField(max_length=320)
    from_name = models.CharField(max_length=200, blank=True)
    # The default frequency cap (SPEC §4.5) for contacts who made no choice of their own:
    # at most `frequency_cap` marketing emails in `frequency_days` days (0: no cap).
    frequency_cap = models.PositiveSmallIntegerField(default=3)
    frequency_days = models.PositiveSmallIntegerField(default=7)
    # The seed list: addresses a campaign's test send goes to (one per line).
    test_addresses = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "campaigns_organisation"  # created by the campaigns app, which held it first

    def __str__(self) -> str:
        return self.name


class Brand(models.Model):
    """The brand kit (SPEC §4.1): applied to every marketing template and to the public
    pages (subscribe, confirm, preferences). One row."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    logo_url = models.CharField(max_length=2000, blank=True)
    logo_alt = models.CharField(max_length=200, blank=True)
    primary_color = models.CharField(max_length=7, default="#2563eb")
    text_color = models.CharField(max_length=7, default="#1f2937")
    background_color = models.CharField(max_length=7, default="#f3f4f6")
    content_background = models.CharField(max_length=7, default="#ffffff")
    link_color = models.CharField(max_length=7, default="#2563eb")
    font_family = models.CharField(
        max_length=200, default="-apple-system, 'Segoe UI', Helvetica, Arial, sans-serif"
    )
    heading_font_family = models.CharField(max_length=200, blank=True)
    footer_text = models.TextField(blank=True)
    public_css = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return "brand kit"
