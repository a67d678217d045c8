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
    # Marketing templates: how it is edited ("blocks": the block editor, whose project data
    # is `design` and whose output is `mjml`; "mjml" or "html": by hand), and whether the
    # brand kit's footer (unsubscribe, preferences, postal address) is added when the
    # rendered message does not show them itself.
    editor = models.CharField(max_length=8, default="html")
    design = models.JSONField(null=True, blank=True)
    brand_footer = models.BooleanField(default=True)
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
        SCHEDULED = "scheduled"
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
    # Scheduling (SPEC §4.6): start at send_at (state scheduled until then); with a window,
    # each contact's mail is due between window_start and window_end in their time zone.
    send_at = models.DateTimeField(null=True, blank=True)
    window_start = models.TimeField(null=True, blank=True)
    window_end = models.TimeField(null=True, blank=True)
    # Coordination (SPEC §4.5): who got a campaign of the same group within the window is
    # left out.
    exclusion_group = models.CharField(max_length=64, blank=True)
    exclusion_window_hours = models.PositiveIntegerField(default=24)
    # How many were left out of the audience and why, frozen when sending starts:
    # {"suppressed": n, "no_consent": n, "frequency_cap": n, "exclusion_group": n, ...}.
    exclusions = models.JSONField(default=dict, blank=True)
    # A/B test: {"variants": [{"subject"}|{"template"}, ...], "sample_percent", "metric",
    # "wait_minutes"}; ab_winner is the chosen variant's index once decided.
    ab_test = models.JSONField(null=True, blank=True)
    ab_phase = models.CharField(max_length=12, blank=True)
    ab_winner = models.PositiveSmallIntegerField(null=True, blank=True)
    ab_decided_at = models.DateTimeField(null=True, blank=True)
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


class ExclusionEntry(models.Model):
    """Someone an exclusion group has already reached, by any channel (post, phone, email
    outside Mailwright): they count as contacted at `reached_at` (SPEC §4.5, seed 002)."""

    group = models.CharField(max_length=64)
    email = models.CharField(max_length=320)
    contact = models.ForeignKey(
        "contacts.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    channel = models.CharField(max_length=16, default="other")
    reached_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["group", "reached_at"], name="exclusion_group_time")]
        ordering = ["-reached_at"]

    def __str__(self) -> str:
        return f"{self.group}: {self.email}"
