"""A campaign's life cycle against the delivery ledger: freeze its audience into the ledger,
pause, resume, cancel (its unsent deliveries fail), finish, and its delivery counts. Campaign
state itself changes only through `campaigns.actions`."""

from __future__ import annotations

import logging

from django.db import connection, transaction
from django.db.models import Count, Value
from django.db.models.functions import Lower, StrIndex, Substr
from django.utils import timezone

from mailwright.audit.actors import Actor
from mailwright.campaigns import presend
from mailwright.campaigns.actions import CampaignStateError, do_transition
from mailwright.campaigns.lint import LintFailed, lint
from mailwright.campaigns.models import Campaign
from mailwright.campaigns.presend import PresendResult
from mailwright.campaigns.rendering import TemplateError, compile_template
from mailwright.consent import organisation
from mailwright.contacts.models import Contact
from mailwright.delivery import ab_split, policy, windows
from mailwright.delivery.audience import (
    EmptyAudience,
    exclusion_counts,
    segment_filters,
    without_jit,
)
from mailwright.delivery.models import Delivery
from mailwright.delivery.setup_lint import setup_findings


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


log = logging.getLogger(__name__)
SYSTEM = Actor.system("mailwright")
TEMPLATE_CODES = frozenset({"syntax_error", "render_error", "source_too_long"})
WORKER = Actor.system("delivery worker", channel="worker")
ANALYZE_AFTER = 10_000  # rows frozen into the ledger at once


def lint_campaign(campaign: Campaign):
    """The lint (campaigns.lint) of a campaign's template as it will be sent: with the brand
    footer when the template has it on, plus the sending-setup warnings for its From."""
    sources = ab_split.variant_sources(campaign)
    found = None
    seen: set[tuple] = set()
    for index, (subject, tpl) in enumerate(sources):
        one = lint(subject, html=tpl.html, text=tpl.text, footer=tpl.brand_footer)
        for name in ("errors", "warnings"):
            kept = []
            for finding in getattr(one, name):
                key = (finding["code"], finding["where"], finding["message"])
                if key in seen:  # the same finding in another variant's shared part
                    continue
                seen.add(key)
                if len(sources) > 1:  # say which variant it is about
                    finding["where"] = f"variant {index + 1}: {finding['where']}"
                kept.append(finding)
            setattr(one, name, kept)
        if found is None:
            found = one
        else:
            found.errors.extend(one.errors)
            found.warnings.extend(one.warnings)
    from_email = campaign.from_email or organisation.current().from_email
    found.warnings.extend(setup_findings(from_email))
    return found


def preflight(campaign: Campaign) -> PresendResult:
    """Everything that must hold before a campaign's audience is frozen: the postal address,
    the lint finds no error, the template renders for every shape of this campaign's own
    recipients (presend.py), each A/B variant with its own subject. Raises
    CampaignStateError, LintFailed or TemplateError (4xx for the API, a message for the UI);
    returns what the personalization check did."""
    if not organisation.current().postal_address.strip():
        raise CampaignStateError(
            "set the organisation's postal address first (Settings → Organisation, or"
            " MW_ORG_ADDRESS): every marketing email must show it"
        )
    # Every variant of an A/B test is linted and rendered, each with its own subject.
    found = lint_campaign(campaign)
    # A template that does not compile or render is refused by the pre-send check below,
    # for this campaign's own recipients, as a TemplateError naming the contact and place.
    blocking = [e for e in found.errors if e["code"] not in TEMPLATE_CODES]
    if blocking:
        raise LintFailed(blocking, found.warnings)
    # Rendered, strictly, for one recipient of each shape of data: what they will receive.
    result = None
    for subject, tpl in ab_split.variant_sources(campaign):
        compiled = compile_template(subject, tpl.html, tpl.text, strict=True)
        checked = presend.check_audience(
            tpl, audience(campaign), campaign=campaign, compiled=compiled
        )
        result = result or checked
    log.info("campaign %s pre-send check: %s", campaign.id, result.summary())
    if not campaign.topics.exists():
        raise CampaignStateError("campaign has no topics, so it has no audience")
    return result


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


def freeze_sample(campaign: Campaign, members, now) -> int:
    """An A/B test's sample: `sample_percent` of the audience at random (at least one per
    variant), split evenly between the variants (Delivery.variant = the variant's index)."""
    inserted = 0
    for variant, ids in enumerate(ab_split.sample(members, campaign.ab_test)):
        for chunk in ab_split.chunks(ids):
            inserted += freeze(campaign, Contact.objects.filter(id__in=chunk), now, variant=variant)
    return inserted


STARTABLE = frozenset({Campaign.State.DRAFT, Campaign.State.SCHEDULED})


def start(campaign_id: int, *, by: Actor | None = None, allowed: frozenset = STARTABLE) -> Campaign:
    """Check the campaign (preflight), then freeze its audience into the ledger (an A/B
    test's sample only); with a window, each delivery is due inside its contact's window."""
    with transaction.atomic():
        campaign = (
            Campaign.objects.select_for_update().select_related("template").get(pk=campaign_id)
        )
        if campaign.state not in allowed:
            raise CampaignStateError(
                f"campaign is {campaign.state}; only a draft or a scheduled campaign can be sent"
            )
        preflight(campaign)
        now = timezone.now()
        without_jit()
        exclusions = exclusion_counts(campaign, now=now)
        members = audience(campaign, now=now)
        extra = {}
        if campaign.ab_test:
            inserted = freeze_sample(campaign, members, now)
            extra["ab_phase"] = "sample"
        else:
            inserted = freeze(campaign, members, now)
            exclusions["eligible"] = inserted
        if not inserted:
            raise EmptyAudience(exclusions)  # rolls back; the campaign stays as it was
        windows.spread(campaign, now)
        campaign = do_transition(
            campaign_id,
            set(allowed),
            Campaign.State.SENDING,
            by=by or SYSTEM,
            details={
                "recipients": inserted,
                "exclusions": exclusions,
                **({"ab_phase": "sample"} if extra else {}),
            },
            started_at=now,
            recipients_total=inserted,
            exclusions=exclusions,
            **extra,
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
    campaign = do_transition(
        campaign_id, {Campaign.State.PAUSED}, Campaign.State.SENDING, by=by or SYSTEM
    )
    finish_if_done([campaign_id])  # nothing left to send (e.g. all failed while paused)
    campaign.refresh_from_db()
    return campaign


def cancel(campaign_id: int, *, by: Actor | None = None) -> Campaign:
    with transaction.atomic():
        campaign = do_transition(
            campaign_id,
            {
                Campaign.State.DRAFT,
                Campaign.State.SCHEDULED,
                Campaign.State.SENDING,
                Campaign.State.PAUSED,
            },
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
    """Mark sending campaigns with no outstanding deliveries as sent (not an A/B test whose
    sample went out: the rest is still to come once the winner is chosen)."""
    open_states = [Delivery.State.QUEUED, Delivery.State.SENDING, Delivery.State.DEFERRED]
    for cid in set(campaign_ids):
        if cid is None or Campaign.objects.filter(pk=cid, ab_phase="sample").exists():
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
    "LintFailed",
    "TemplateError",
    "audience",
    "cancel",
    "delivery_counts",
    "finish_if_done",
    "freeze",
    "freeze_sample",
    "lint_campaign",
    "pause",
    "preflight",
    "resume",
    "start",
]
