"""A campaign's life cycle against the delivery ledger: freeze its audience into the ledger,
pause, resume, cancel (its unsent deliveries fail), finish, and its delivery counts. Campaign
state itself changes only through `campaigns.actions`."""

from __future__ import annotations

from django.db import connection, transaction
from django.db.models import Count, Value
from django.db.models.functions import Lower, StrIndex, Substr
from django.utils import timezone

from mailwright.audit.actors import Actor
from mailwright.campaigns.actions import CampaignStateError, do_transition
from mailwright.campaigns.models import Campaign
from mailwright.campaigns.rendering import TemplateError, validate_template
from mailwright.campaigns.templates import check_contexts
from mailwright.consent import organisation
from mailwright.delivery import policy
from mailwright.delivery.audience import (
    EmptyAudience,
    exclusion_counts,
    segment_filters,
    without_jit,
)
from mailwright.delivery.models import Delivery


def audience(campaign: Campaign, *, now=None):
    """Contacts who get this campaign: those the consent policy allows on its topics (minus
    frequency caps and its exclusion group), and who match both its stored segment (read
    now, at send time) and its inline segment."""
    topic_ids = list(campaign.topics.values_list("id", flat=True))
    return policy.marketing_audience(
        topic_ids,
        now=now,
        exclude_campaign=campaign.id,
        exclusion_group=campaign.exclusion_group,
        window_hours=campaign.exclusion_window_hours,
    ).filter(*segment_filters(campaign))


SYSTEM = Actor.system("mailwright")
WORKER = Actor.system("delivery worker", channel="worker")
ANALYZE_AFTER = 10_000  # rows frozen into the ledger at once


def preflight(campaign: Campaign) -> None:
    """Everything that must hold before a campaign's audience is frozen: the postal address,
    the template renders for this campaign's own recipients. Raises CampaignStateError or
    TemplateError (both 4xx for the API and a message for the UI)."""
    if not organisation.current().postal_address.strip():
        raise CampaignStateError(
            "set the organisation's postal address first (Settings → Organisation, or"
            " MW_ORG_ADDRESS): every marketing email must show it"
        )
    tpl = campaign.template
    # Rendered for some of this campaign's own recipients: what they will receive.
    contexts = check_contexts(tpl.subject, audience(campaign).order_by("-id"))
    validate_template(tpl.subject, tpl.html, tpl.text, contexts)
    if not campaign.topics.exists():
        raise CampaignStateError("campaign has no topics, so it has no audience")


def freeze(campaign: Campaign, members, now, *, variant: int | None = None) -> int:
    """Insert one queued marketing delivery per contact of `members` (a Contact queryset)
    in one statement; return how many."""
    members = members.annotate(
        rdomain=Lower(Substr("email", StrIndex("email", Value("@")) + 1))
    ).values("id", "email", "rdomain")
    select_sql, params = members.query.sql_with_params()
    table = Delivery._meta.db_table
    with connection.cursor() as cursor:
        ts = connection.ops.adapt_datetimefield_value(now)
        cursor.execute(
            f"INSERT INTO {table} (campaign_id, contact_id, email, domain, relay, stream,"  # noqa: S608
            " state, attempts, next_attempt_at, lease_owner, last_reply, message_id,"
            " created_at, updated_at, variant)"
            f" SELECT %s, a.id, a.email, a.rdomain, '', %s, %s, 0, %s, '', '', '', %s, %s, %s"
            f" FROM ({select_sql}) a",
            [
                campaign.id,
                Delivery.Stream.MARKETING,
                Delivery.State.QUEUED,
                ts,
                ts,
                ts,
                variant,
                *params,
            ],
        )
        return cursor.rowcount


def start(campaign_id: int, *, by: Actor | None = None) -> Campaign:
    """Check the campaign (preflight), then freeze its audience into the ledger."""
    with transaction.atomic():
        campaign = (
            Campaign.objects.select_for_update().select_related("template").get(pk=campaign_id)
        )
        if campaign.state != Campaign.State.DRAFT:
            raise CampaignStateError(f"campaign is {campaign.state}; only a draft can be sent")
        preflight(campaign)
        now = timezone.now()
        without_jit()
        exclusions = exclusion_counts(campaign, now=now)
        inserted = freeze(campaign, audience(campaign, now=now), now)
        if not inserted:
            raise EmptyAudience(exclusions)  # rolls back; the campaign stays a draft
        exclusions["eligible"] = inserted
        campaign = do_transition(
            campaign_id,
            {Campaign.State.DRAFT},
            Campaign.State.SENDING,
            by=by or SYSTEM,
            details={"recipients": inserted, "exclusions": exclusions},
            started_at=now,
            recipients_total=inserted,
            exclusions=exclusions,
        )
    if inserted >= ANALYZE_AFTER and connection.vendor == "postgresql":
        # Fresh statistics for the ledger, so the claim keeps its plan (autovacuum would
        # get there too, but only after the workers have claimed with stale ones).
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {Delivery._meta.db_table}")
    return campaign


def pause(campaign_id: int, *, by: Actor | None = None) -> Campaign:
    return do_transition(
        campaign_id, {Campaign.State.SENDING}, Campaign.State.PAUSED, by=by or SYSTEM
    )


def resume(campaign_id: int, *, by: Actor | None = None) -> Campaign:
    return do_transition(
        campaign_id, {Campaign.State.PAUSED}, Campaign.State.SENDING, by=by or SYSTEM
    )


def cancel(campaign_id: int, *, by: Actor | None = None) -> Campaign:
    with transaction.atomic():
        campaign = do_transition(
            campaign_id,
            {Campaign.State.DRAFT, Campaign.State.SENDING, Campaign.State.PAUSED},
            Campaign.State.CANCELLED,
            by=by or SYSTEM,
        )
        Delivery.objects.filter(
            campaign_id=campaign_id, state__in=[Delivery.State.QUEUED, Delivery.State.DEFERRED]
        ).update(state=Delivery.State.FAILED, last_reply="campaign cancelled")
    return campaign


def delivery_counts(campaign_id: int) -> dict[str, int]:
    counts = {state: 0 for state in Delivery.State.values}
    rows = (
        Delivery.objects.filter(campaign_id=campaign_id)
        .values("state")
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in rows:
        counts[row["state"]] = row["n"]
    return counts


def finish_if_done(campaign_ids) -> None:
    """Mark sending campaigns with no outstanding deliveries as sent."""
    open_states = [Delivery.State.QUEUED, Delivery.State.SENDING, Delivery.State.DEFERRED]
    for cid in set(campaign_ids):
        if cid is None:
            continue
        if not Delivery.objects.filter(campaign_id=cid, state__in=open_states).exists():
            do_transition(
                cid,
                {Campaign.State.SENDING},
                Campaign.State.SENT,
                by=WORKER,
                details={"counts": delivery_counts(cid)},
                strict=False,
            )


__all__ = [
    "CampaignStateError",
    "EmptyAudience",
    "TemplateError",
    "audience",
    "cancel",
    "delivery_counts",
    "finish_if_done",
    "freeze",
    "pause",
    "preflight",
    "resume",
    "start",
]
