"""Templates and campaigns."""

from __future__ import annotations

from django.db import models


class Template(models.Model):
    """A marketing template (used by campaigns) or a service template (sent one message at
    a time through POST /api/v1/messages, addressed by its `key`). A service template's own
    subject/html/text are in `language`; TemplateTranslation holds the other languages."""

    class Kind(models.TextChoices):
        MARKETING = "marketing"
        SERVICE = "service"

    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.MARKETING)
    # Service templates only: the stable name the API sends by (e.g. "password-reset").
    key = models.SlugField(max_length=100, null=True, blank=True, unique=True)
    language = models.CharField(max_length=8, default="en")
    description = models.TextField(blank=True)
    # The data fields a service template needs: {name: {"type", "required", "description",
    # "example"}} (campaigns.service_templates validates `data` against it).
    fields = models.JSONField(default=dict, blank=True)
    # One of the starter library's templates (campaigns/starters): read-only, copied to edit.
    starter = models.BooleanField(default=False)
    name = models.CharField(max_length=200)
    subject = models.CharField(max_length=998)
    html = models.TextField()
    mjml = models.TextField(blank=True, help_text="MJML source; html is compiled from it.")
    text = models.TextField(blank=True, help_text="Plain-text part; generated from HTML if empty.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.name


class TemplateTranslation(models.Model):
    """A service template in another language than its own."""

    template = models.ForeignKey(Template, on_delete=models.CASCADE, related_name="translations")
    language = models.CharField(max_length=8)
    subject = models.CharField(max_length=998)
    html = models.TextField()
    mjml = models.TextField(blank=True)
    text = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["template", "language"], name="one_translation_per_language"
            )
        ]
        ordering = ["template", "language"]

    def __str__(self) -> str:
        return f"{self.template_id}/{self.language}"


class Campaign(models.Model):
    class State(models.TextChoices):
        DRAFT = "draft"
        SENDING = "sending"
        PAUSED = "paused"
        SENT = "sent"
        CANCELLED = "cancelled"

    name = models.CharField(max_length=200)
    template = models.ForeignKey(Template, on_delete=models.PROTECT, related_name="campaigns")
    topics = models.ManyToManyField("contacts.Topic", related_name="campaigns")
    segment = models.JSONField(null=True, blank=True)
    # A stored segment, evaluated at send time (AND the inline `segment` when both are set).
    # SET_NULL: deleting a segment a draft uses is refused (contacts.segment_store); after
    # the send the audience is frozen in the ledger and the reference no longer matters.
    saved_segment = models.ForeignKey(
        "contacts.Segment",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="campaigns",
    )
    from_email = models.CharField(max_length=320, blank=True)
    from_name = models.CharField(max_length=200, blank=True)
    reply_to = models.CharField(max_length=320, blank=True)
    state = models.CharField(max_length=16, choices=State.choices, default=State.DRAFT)
    recipients_total = models.PositiveIntegerField(default=0)
    paused_reason = models.TextField(blank=True)
    track_opens = models.BooleanField(default=True)
    track_clicks = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.name


class CampaignLink(models.Model):
    """A link found in a campaign's HTML when it was compiled: the only URLs the click
    redirect may send anyone to (no open redirect)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="links")
    index = models.PositiveIntegerField()
    url = models.TextField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["campaign", "index"], name="one_url_per_link_index")
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}#{self.index} {self.url[:60]}"
