"""The delivery ledger (one row per message × recipient; it is the queue) and captured mail."""

from __future__ import annotations

from django.db import models

PENDING_STATES = ("queued", "deferred", "sending")


class Delivery(models.Model):
    class State(models.TextChoices):
        QUEUED = "queued"
        SENDING = "sending"
        SENT = "sent"
        DEFERRED = "deferred"
        BOUNCED = "bounced"
        FAILED = "failed"
        SUPPRESSED = "suppressed"

    # No index of its own: the (campaign, contact) and (campaign, state) indexes lead with it,
    # and every index is one more write per row on both updates of a send.
    campaign = models.ForeignKey(
        "campaigns.Campaign",
        null=True,
        on_delete=models.CASCADE,
        related_name="deliveries",
        db_index=False,
    )

    class Stream(models.TextChoices):
        MARKETING = "marketing"  # campaigns: need confirmed consent on the topic
        SERVICE = "service"  # opt-in confirmations, transactional mail: "not suppressed" only

    contact = models.ForeignKey(
        "contacts.Contact", null=True, on_delete=models.SET_NULL, related_name="deliveries"
    )
    email = models.CharField(max_length=320)
    domain = models.CharField(max_length=253, blank=True, help_text="recipient domain")
    relay = models.CharField(max_length=64, blank=True, help_text="relay of the last attempt")
    stream = models.CharField(max_length=12, choices=Stream.choices, default=Stream.MARKETING)
    # Messages that are not campaigns carry their rendered content here:
    # {"kind", "subject", "html", "text", "language"}.
    content = models.JSONField(null=True, blank=True)
    # A/B tests: the index of the campaign variant this recipient gets (null: no test, or
    # the winner sent to the rest).
    variant = models.PositiveSmallIntegerField(null=True, blank=True)
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
            models.Index(fields=["campaign", "state"], name="delivery_campaign_state"),
            models.Index(fields=["stream", "updated_at"], name="delivery_stream_updated"),
            # The claim walks this in its ORDER BY: only unfinished rows are in it, so the
            # first due rows are found without passing the sent ones (ledger.claim_batch).
            # There is deliberately no index on next_attempt_at or lease_expires_at: with
            # one, PostgreSQL may plan the claim as "every due row, then sort" (65 ms a
            # claim at 100,000 queued rows instead of 0.2 ms), and each index is one more
            # write per row on both updates of a send.
            models.Index(
                fields=["-stream", "id"],
                name="delivery_pending",
                condition=models.Q(state__in=PENDING_STATES),
            ),
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


class DkimKey(models.Model):
    """A DKIM signing key for one sending domain. The newest active key signs; rotating
    makes a new key with a new selector and retires the old one (kept so its DNS record can
    stay published until mail signed with it has been delivered)."""

    class Algorithm(models.TextChoices):
        RSA = "rsa-sha256", "RSA-2048"
        ED25519 = "ed25519-sha256", "Ed25519"

    domain = models.CharField(max_length=253, db_index=True)
    selector = models.CharField(max_length=63)
    algorithm = models.CharField(max_length=16, choices=Algorithm.choices)
    private_key_pem = models.TextField()
    public_key_b64 = models.TextField()
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["domain", "selector"], name="one_key_per_selector")
        ]
        ordering = ["domain", "-created_at"]

    def __str__(self) -> str:
        return f"{self.selector}._domainkey.{self.domain} ({self.algorithm})"

    def __repr__(self) -> str:  # never show the private key
        return f"<DkimKey {self.selector}._domainkey.{self.domain} {self.algorithm}>"


class Relay(models.Model):
    """An SMTP relay configured in the UI (MW_RELAY_URL gives the default when none is)."""

    class Stream(models.TextChoices):
        ALL = "all", "All mail"
        MARKETING = "marketing", "Marketing only"
        SERVICE = "service", "Service only"

    name = models.SlugField(max_length=64, unique=True)
    url = models.CharField(
        max_length=1000, help_text="smtp://user:pass@host:587?tls=starttls&rate=50/s"
    )
    weight = models.PositiveIntegerField(default=1)
    stream = models.CharField(max_length=12, choices=Stream.choices, default=Stream.ALL)
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def __repr__(self) -> str:  # the URL may hold a password
        return f"<Relay {self.name}>"


class RelayState(models.Model):
    """Shared, per-relay sending state that every worker coordinates through."""

    key = models.CharField(max_length=64, unique=True)
    next_send_at = models.DateTimeField(null=True, blank=True)  # rate limit schedule
    throttled_until = models.DateTimeField(null=True, blank=True)  # adaptive back-off
    backoff_seconds = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    def __str__(self) -> str:
        return self.key


class UsageCounter(models.Model):
    """Messages counted against a limit in a window: a relay's day, a domain's hour."""

    scope = models.CharField(max_length=300)
    window_start = models.DateTimeField()
    used = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["scope", "window_start"], name="one_counter_per_scope_window"
            )
        ]

    def __str__(self) -> str:
        return f"{self.scope}@{self.window_start:%Y-%m-%d %H:%M}={self.used}"


class DomainPolicy(models.Model):
    """Hourly cap and warm-up for a receiving domain (e.g. gmail.com: 500/h, +50 %/day)."""

    domain = models.CharField(max_length=253, unique=True)
    hourly_cap = models.PositiveIntegerField(help_text="messages per hour once warmed up")
    warmup_start = models.PositiveIntegerField(
        null=True, blank=True, help_text="messages per hour on the first day of warm-up"
    )
    warmup_growth = models.FloatField(default=1.5, help_text="daily multiplier during warm-up")
    warmup_started_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["domain"]
        verbose_name_plural = "domain policies"

    def __str__(self) -> str:
        return f"{self.domain} ≤{self.hourly_cap}/h"


class RelaySlot(models.Model):
    """A connection slot of a relay, leased by a worker lane: caps concurrent connections
    across every worker on every machine."""

    relay_key = models.CharField(max_length=64)
    slot = models.PositiveSmallIntegerField()
    owner = models.CharField(max_length=100, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["relay_key", "slot"], name="one_lease_per_slot")
        ]

    def __str__(self) -> str:
        return f"{self.relay_key}#{self.slot}"


class WorkerHeartbeat(models.Model):
    """One row per running delivery worker process, touched every few seconds (one UPDATE).

    `worker` is the prefix of every lease the process takes (Delivery.lease_owner is
    `worker:token`, RelaySlot.owner `worker/lane`), so when a worker on the same host finds
    this process gone it can hand its leases back at once instead of waiting them out. The
    process is told apart from a later one with the same pid by its start time (clock ticks
    after boot), the boot id and the pid namespace (see delivery/heartbeats.py)."""

    worker = models.CharField(max_length=64, unique=True)
    host = models.CharField(max_length=253)
    pid = models.PositiveIntegerField()
    boot_id = models.CharField(max_length=64, blank=True)
    pid_namespace = models.CharField(max_length=64, blank=True)
    process_start = models.BigIntegerField(null=True, blank=True)
    started_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()
    sent = models.BigIntegerField(default=0, help_text="messages sent since the worker started")

    class Meta:
        indexes = [models.Index(fields=["host"], name="heartbeat_host")]

    def __str__(self) -> str:
        return f"{self.worker} (pid {self.pid} on {self.host})"
