"""Batch functions over the delivery ledger: claim N due rows with a lease, record N results.

The engine calls these from a thread; they are the only database work on the send path.
"""

from __future__ import annotations

import json
import random
import uuid
from dataclasses import dataclass
from datetime import UTC, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.db.models.base import ModelState
from django.utils import timezone

from mailwright.audit.events import DomainEvent, emit_many
from mailwright.campaigns.models import Campaign
from mailwright.contacts.models import Contact
from mailwright.delivery import limits
from mailwright.delivery.models import PENDING_STATES, Delivery, RelaySlot
from mailwright.delivery.relays import ALL_STREAMS
from mailwright.delivery.sending import finish_if_done
from mailwright.delivery.signals import refused

S = Delivery.State


@dataclass
class Outcome:
    """The result of one attempt, as the engine reports it back."""

    delivery_id: int
    state: str  # sent | deferred | bounced | failed | suppressed
    code: int | None = None
    reply: str = ""
    message_id: str = ""


# The claim runs once per batch on every worker, so its three statements are plain SQL:
# building them with the ORM and turning rows into model objects through Model.__init__
# and the field converters cost ~100 µs per message, more than rendering it.
_D = Delivery._meta.db_table
_C = Campaign._meta.db_table
_CT = Contact._meta.db_table

# What sending and recording a batch read of each row and of its contact (other fields are
# loaded on first access, like any deferred field).
DELIVERY_FIELDS = (
    "id",
    "email",
    "domain",
    "stream",
    "content",
    "campaign_id",
    "contact_id",
    "state",
    "attempts",
    "lease_owner",
    "message_id",
    "created_at",
    "next_attempt_at",  # these two are written back by bulk_update for rows not sent
    "sent_at",
    "variant",  # an A/B test's variant (compose renders its subject or template)
)
CONTACT_FIELDS = ("id", "email", "name", "language", "attributes", "tags", "status", "created_at")
_JSON = {"content", "attributes", "tags"}
_DATETIMES = {"created_at", "next_attempt_at", "sent_at"}


def _marks(n: int) -> str:
    """`%s, %s, …`: n parameter placeholders."""
    return ", ".join(["%s"] * n)


def _candidates_sql(streams: int, blocked: int, limit: int, skip_locked: bool) -> str:
    pending = ", ".join(f"'{state}'" for state in PENDING_STATES)
    where = [
        # Literally the condition of the partial index delivery_pending, so it is used.
        f"d.state IN ({pending})",
        "((d.next_attempt_at <= %s AND d.state IN (%s, %s)) "
        "OR (d.lease_expires_at < %s AND d.state = %s))",
        # A subquery, not a join, and `+campaign_id` so that no index on campaign_id can
        # serve this term: with a join PostgreSQL chose a hash join plus a sort of every
        # pending row once a few campaigns existed (~70 ms a claim at 100,000 rows), and
        # SQLite an OR over the (campaign, state) index plus a sort. Both must walk
        # delivery_pending in order and stop at LIMIT; the subquery is evaluated once.
        f"(+d.campaign_id IS NULL OR +d.campaign_id IN "  # noqa: S608
        f"(SELECT c.id FROM {_C} c WHERE c.state = %s))",
    ]
    if streams:
        where.append(f"d.stream IN ({_marks(streams)})")
    if blocked:
        where.append(f"NOT (d.domain IN ({_marks(blocked)}))")
    sql = (
        f"SELECT d.id, d.domain FROM {_D} d "  # noqa: S608
        f"WHERE {' AND '.join(where)} ORDER BY d.stream DESC, d.id LIMIT {int(limit)}"
    )
    return sql + (" FOR UPDATE OF d SKIP LOCKED" if skip_locked else "")


def _rows_sql() -> str:
    d_cols = ", ".join(f"d.{f}" for f in DELIVERY_FIELDS)
    c_cols = ", ".join(f"ct.{f}" for f in CONTACT_FIELDS)
    return (
        f"SELECT {d_cols}, {c_cols} FROM {_D} d LEFT OUTER JOIN {_CT} ct "  # noqa: S608
        f"ON d.contact_id = ct.id WHERE d.id IN ({{}}) AND d.lease_owner = %s "
        "ORDER BY d.stream DESC, d.id"
    )


def _converter(name: str):
    if name in _JSON:
        return lambda v: json.loads(v) if isinstance(v, str | bytes) else v
    if name in _DATETIMES and settings.USE_TZ:
        return lambda v: v.replace(tzinfo=UTC) if v and v.tzinfo is None else v
    return None


def _loaded(model, names, values, converters, db: str):
    """A model instance from a row, as Model.from_db would make it, minus its per-field
    machinery: the loaded fields set directly, the rest deferred."""
    obj = model.__new__(model)
    state = obj._state = ModelState()
    state.adding = False
    state.db = db
    data = dict(zip(names, values, strict=True))
    for name, convert in converters:
        data[name] = convert(data[name])
    obj.__dict__.update(data)
    return obj


def new_lease_token(worker: str) -> str:
    return f"{worker}:{uuid.uuid4().hex[:12]}"[:64]


def claim_batch(
    worker: str, size: int, lease_seconds: int, relay=None, stream: str | None = None
) -> list[Delivery]:
    """Lease up to `size` due deliveries to this worker and return them, ready to render.

    PostgreSQL: SELECT … FOR UPDATE SKIP LOCKED, so workers never wait on each other.
    SQLite: the transaction begins IMMEDIATE (settings), so claimers take turns.
    With a relay, its stream filter and daily cap apply; receiving domains that are
    throttled or over their hourly cap are left for later. Service mail goes first, in the
    claim and in the batch returned; with `stream`, only that stream's mail is claimed.
    """
    if stream is not None and relay is not None and stream not in relay.streams:
        return []
    now = timezone.now()
    token = new_lease_token(worker)
    day, hour = limits.day_start(now), limits.hour_start(now)
    adapt = connection.ops.adapt_datetimefield_value
    with transaction.atomic():
        want = size
        daily_scope = None
        if relay is not None and relay.config.daily:
            daily_scope = f"relay-day:{relay.key}"
            want = limits.reserve(daily_scope, day, relay.config.daily, size)
            if not want:
                return []
        streams = (
            sorted(relay.streams) if relay is not None and relay.streams != ALL_STREAMS else []
        )
        if stream is not None:
            streams = [stream]
        blocked = [k.split(":", 1)[1] for k in limits.throttled_domain_keys()]
        capped = limits.capped_domains()
        at = adapt(now)
        sql = _candidates_sql(
            len(streams),
            len(blocked),
            want * 4 if capped else want,
            connection.features.has_select_for_update_skip_locked,
        )
        params = [at, S.QUEUED, S.DEFERRED, at, S.SENDING, Campaign.State.SENDING]
        with connection.cursor() as cursor:
            cursor.execute(sql, [*params, *streams, *blocked])
            rows = cursor.fetchall()
        allowance = limits.take_domain_allowance({d for _, d in rows if d in capped}, hour)
        ids, taken = [], {}
        for row_id, domain in rows:
            if domain in allowance:
                if taken.get(domain, 0) >= allowance[domain]:
                    continue
                taken[domain] = taken.get(domain, 0) + 1
            ids.append(row_id)
            if len(ids) == want:
                break
        limits.count_domains(taken, hour)
        if daily_scope:
            limits.release(daily_scope, day, want - len(ids))
        if not ids:
            return []
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {_D} SET state = %s, lease_owner = %s, lease_expires_at = %s, "  # noqa: S608
                f"attempts = attempts + 1, relay = %s, updated_at = %s "
                f"WHERE id IN ({_marks(len(ids))})",
                [
                    S.SENDING,
                    token,
                    adapt(now + timedelta(seconds=lease_seconds)),
                    relay.key if relay is not None else "",
                    at,
                    *ids,
                ],
            )
    with connection.cursor() as cursor:
        cursor.execute(_rows_sql().format(_marks(len(ids))), [*ids, token])
        fetched = cursor.fetchall()
    n = len(DELIVERY_FIELDS)
    d_conv = [(f, c) for f in DELIVERY_FIELDS if (c := _converter(f))]
    c_conv = [(f, c) for f in CONTACT_FIELDS if (c := _converter(f))]
    db = connection.alias
    # One Campaign (and Template) object per campaign, not one per row.
    campaigns = Campaign.objects.select_related("template").in_bulk(
        {row[5] for row in fetched if row[5]}
    )
    batch = []
    for row in fetched:
        d = _loaded(Delivery, DELIVERY_FIELDS, row[:n], d_conv, db)
        if row[n] is not None:
            d._state.fields_cache["contact"] = _loaded(Contact, CONTACT_FIELDS, row[n:], c_conv, db)
        else:
            d._state.fields_cache["contact"] = None
        d._state.fields_cache["campaign"] = campaigns.get(d.campaign_id) if d.campaign_id else None
        batch.append(d)
    return batch


def release_leases(workers: list[str]) -> int:
    """Hand back at once the leases of these workers, known to be dead: their claimed rows
    become claimable now (their lease ends a second ago) instead of when it would have
    expired, and their relay connection slots are freed. A separate statement, run when a
    worker starts or finds a dead one on its host, so the claim itself stays as it is.
    Returns how many deliveries were handed back."""
    if not workers:
        return 0
    now = timezone.now()
    rows = Q()
    slots = Q()
    for worker in workers:
        rows |= Q(lease_owner__startswith=f"{worker}:")
        slots |= Q(owner__startswith=f"{worker}/")
    with transaction.atomic():
        count = Delivery.objects.filter(rows, state=S.SENDING).update(
            lease_expires_at=now - timedelta(seconds=1)
        )
        RelaySlot.objects.filter(slots).update(owner="", expires_at=None)
    return count


def backoff_seconds(attempts: int) -> float:
    base = settings.RETRY_BASE_SECONDS * (2 ** max(0, attempts - 1))
    return min(base, settings.RETRY_MAX_SECONDS) * random.uniform(0.8, 1.2)


def record_batch(batch: list[Delivery], outcomes: list[Outcome]) -> None:
    """Write a batch's results: ledger rows, events and suppressions in one transaction."""
    if not outcomes:
        return
    now = timezone.now()
    by_id = {d.id: d for d in batch}
    max_age = timedelta(seconds=settings.RETRY_MAX_AGE_SECONDS)
    with transaction.atomic():
        ids = list(by_id)
        # Locked until the transaction ends (PostgreSQL; SQLite holds its one write lock), so
        # no other worker can take a row over between this check and the writes below.
        lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT id, lease_owner FROM {_D} "  # noqa: S608
                f"WHERE id IN ({_marks(len(ids))}){lock}",
                ids,
            )
            # A row whose lease expired was taken over by another worker: not ours to write.
            owned = {i for i, owner in cursor.fetchall() if owner == by_id[i].lease_owner}
        rows, events, bounced = [], [], []
        for outcome in outcomes:
            d = by_id[outcome.delivery_id]
            if d.id not in owned:
                continue
            state = outcome.state
            if state == S.DEFERRED and now - d.created_at > max_age:
                state = S.FAILED
                outcome.reply = f"gave up after {d.attempts} attempts: {outcome.reply}"
            d.state = state
            d.last_code = outcome.code
            d.last_reply = outcome.reply[:1000]
            d.lease_owner = ""
            d.lease_expires_at = None
            d.updated_at = now
            if outcome.message_id:
                d.message_id = outcome.message_id
            if state == S.SENT:
                d.sent_at = now
            if state == S.DEFERRED:
                d.next_attempt_at = now + timedelta(seconds=backoff_seconds(d.attempts))
            if state == S.BOUNCED:
                bounced.append(d)
            rows.append(d)
            data = (
                {"message_id": d.message_id}
                if state == S.SENT
                else {"code": outcome.code, "reply": outcome.reply[:300]}
            )
            events.append((state, d, data))
        write_rows(rows, now)
        emit_many(
            [
                DomainEvent(
                    state,
                    data,
                    email=d.email,
                    contact_id=d.contact_id,
                    campaign_id=d.campaign_id,
                    delivery_id=d.id,
                    at=now,
                )
                for state, d, data in events
                if state != S.BOUNCED  # the bounce writer records those, with its decision
            ]
        )
        if bounced:
            # Refused for good at RCPT/DATA: the feedback layer makes each a bounce fact and
            # decides (suppress, count or neither) by the same rule as a DSN.
            refused.send(sender=Delivery, deliveries=bounced)
        campaign_ids = {d.campaign_id for d in rows}
        finish_if_done(campaign_ids)
        # Again once committed: two workers recording a campaign's last two batches at the
        # same time each see the other's rows still `sending` (PostgreSQL, READ COMMITTED),
        # so neither would mark it sent. After its commit, whichever commits last sees all.
        transaction.on_commit(lambda: finish_if_done(campaign_ids))


def write_rows(rows: list[Delivery], now) -> None:
    """Store the batch's new row states: sent rows (nearly all of them) with one UPDATE per
    500, the rest with bulk_update. (Django's bulk_update builds a CASE per field per row:
    ~1 ms per message.)"""
    sent = [d for d in rows if d.state == S.SENT]
    other = [d for d in rows if d.state != S.SENT]
    at = connection.ops.adapt_datetimefield_value(now)
    with connection.cursor() as cursor:
        for chunk in _chunks(sent):
            # One statement per chunk: the values every sent row shares, and each row's own
            # Message-ID and reply joined in from a VALUES list (UPDATE … FROM: PostgreSQL,
            # SQLite ≥ 3.33). An executemany cost ~80 µs per row on PostgreSQL.
            rows_sql = ", ".join(["(%s, %s, %s)"] * len(chunk))
            cursor.execute(
                f"UPDATE {_D} SET state = %s, last_code = %s, lease_owner = '', "  # noqa: S608
                "lease_expires_at = NULL, updated_at = %s, sent_at = %s, "
                "message_id = v.column2, last_reply = v.column3 "
                f"FROM (VALUES {rows_sql}) AS v WHERE {_D}.id = v.column1",
                [
                    S.SENT,
                    250,
                    at,
                    at,
                    *(x for d in chunk for x in (d.id, d.message_id, d.last_reply)),
                ],
            )
    if other:
        Delivery.objects.bulk_update(
            other,
            [
                "state",
                "last_code",
                "last_reply",
                "lease_owner",
                "lease_expires_at",
                "updated_at",
                "message_id",
                "sent_at",
                "next_attempt_at",
            ],
            batch_size=500,
        )


def _chunks(items: list, size: int = 500):
    """Slices small enough for any backend's limit on parameters per statement."""
    for start in range(0, len(items), size):
        yield items[start : start + size]
