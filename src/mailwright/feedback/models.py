"""What happened to messages (events), mail that came back (inbound) and webhooks out."""

from __future__ import annotations

from django.db import models


class Event(models.Model):
    class Type(models.TextChoices):
        QUEUED = "queued"
        SENT = "sent"
        DELIVERED = "delivered"  # a relay's webhook: the receiving server accepted it
        DEFERRED = "deferred"
        BOUNCED = "bounced"
        FAILED = "failed"
        SUPPRESSED = "suppressed"
        UNSUBSCRIBED = "unsubscribed"
        COMPLAINED = "complained"
        SOFT_BOUNCED = "soft_bounced"
        DELAYED = "delayed"  # a DSN with action=delayed: still trying, not a failure
        OPENED = "opened"
        CLICKED = "clicked"
        AUTO_REPLY = "auto_reply"
        REPLIED = "replied"
        PURCHASED = "purchased"

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
    # Opens and clicks by proxies, scanners and prefetchers are kept but not counted as
    # human engagement.
    machine = models.BooleanField(default=False)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["campaign", "type"], name="event_campaign_type")]

    def __str__(self) -> str:
        return f"{self.type} {self.created_at:%Y-%m-%d %H:%M}"


class InboundMessage(models.Model):
    """Every message the inbound server, mailbox poller or a relay webhook delivered to us,
    kept with what we made of it: nothing accepted is lost, even what we could not parse."""

    class Kind(models.TextChoices):
        BOUNCE = "bounce"
        DELAY = "delay"
        COMPLAINT = "complaint"
        AUTO_REPLY = "auto_reply"
        REPLY = "reply"
        UNKNOWN = "unknown"

    class Source(models.TextChoices):
        SMTP = "smtp"
        IMAP = "imap"
        POP3 = "pop3"
        WEBHOOK = "webhook"
        CLI = "cli"

    source = models.CharField(max_length=12, choices=Source.choices)
    mail_from = models.CharField(max_length=320, blank=True)
    rcpt_to = models.CharField(max_length=320, blank=True)
    # Every envelope recipient of the SMTP transaction (the message is stored once for all).
    rcpt_tos = models.JSONField(default=list, blank=True)
    message_id = models.CharField(max_length=300, blank=True)
    size = models.PositiveIntegerField(default=0)
    raw = models.BinaryField(blank=True)
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.UNKNOWN)
    delivery = models.ForeignKey(
        "delivery.Delivery", null=True, blank=True, on_delete=models.SET_NULL
    )
    result = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    received_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.kind} from {self.mail_from}"


class WebhookEndpoint(models.Model):
    """An outgoing webhook: events of the chosen types are POSTed here, HMAC-signed."""

    url = models.URLField(max_length=1000)
    secret = models.CharField(max_length=100)
    event_types = models.JSONField(default=list, help_text="empty: every event type")
    enabled = models.BooleanField(default=True)
    description = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.url

    def __repr__(self) -> str:  # never show the secret
        return f"<WebhookEndpoint {self.id} {self.url}>"


class WebhookDelivery(models.Model):
    """One attempt history of one event to one endpoint (the delivery log in the UI)."""

    class State(models.TextChoices):
        PENDING = "pending"
        SENT = "sent"
        FAILED = "failed"

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event_type = models.CharField(max_length=32)
    payload = models.JSONField()
    state = models.CharField(max_length=8, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(db_index=True)
    last_status = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.event_type} → {self.endpoint_id} ({self.state})"
