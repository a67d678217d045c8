"""Benchmark: freezing a campaign's audience (SPEC §4.5) over --contacts contacts on a
throwaway PostgreSQL cluster (or SQLite): the time of the one INSERT … SELECT (delivery.sending.
freeze of sending.audience) and of the per-reason counts (delivery.audience.exclusion_counts),
with the PostgreSQL plans (--explain). The data, in bulk SQL:

  - contacts: 80 % frequency "default", 10 % "weekly", 5 % "monthly", 5 % "every"; 2 % paused,
    1 % unsubscribed; every contact on `newsletter` (85 % confirmed, 15 % pending);
  - history: three earlier campaigns 6, 4 and 2 days ago to every 2nd, 3rd and 5th contact
    (so the default cap of 3 in 7 days and the weekly choice apply to some), and one
    campaign of the same exclusion group 2 hours ago to every 4th contact;
  - 5,000 exclusion entries (post) for the group, half of them known contacts.

--compare-with FILE: also time the freeze with another delivery/policy.py (e.g. main's, from
`git show main:src/mailwright/delivery/policy.py > /tmp/old_policy.py`), which has no cap
count or exclusion group: "before".

Usage: python bench/audience.py [--contacts 100000] [--runs 3] [--db postgres] [--explain]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def log(msg: str) -> None:
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


def generate(n: int):
    from django.db import connection, transaction

    from mailwright.campaigns.campaigns import create_campaign
    from mailwright.campaigns.models import Campaign
    from mailwright.campaigns.templates import save_template
    from mailwright.contacts.models import Topic

    news = Topic.objects.create(key="newsletter", name="Newsletter")
    tpl = save_template(
        name="T",
        subject="Hi",
        html='<p>Hi</p><a href="{{ unsubscribe_url }}">u</a><a href="{{ preferences_url }}">p</a>',
    )
    past = [
        create_campaign(name=f"past {k}", template_id=tpl.id, topic_keys=["newsletter"])
        for k in range(4)
    ]
    target = create_campaign(name="target", template_id=tpl.id, topic_keys=["newsletter"])
    Campaign.objects.filter(pk__in=[past[3].pk, target.pk]).update(exclusion_group="spring")
    pg = connection.vendor == "postgresql"
    if pg:
        series = f"FROM generate_series(1::bigint, {n}) AS s(i)"
        ago = "(now() - {} * interval '1 hour')"
        now = "now()"
    else:
        series = "FROM (WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s"
        series += f" WHERE i < {int(n)}) SELECT i FROM s)"  # noqa: S608 - a number
        ago = "datetime('now', '-{} hours')"
        now = "datetime('now')"
    json = "::jsonb" if pg else ""
    freq = (
        "CASE WHEN (i / 7) % 20 < 16 THEN 'default' WHEN (i / 7) % 20 < 18 THEN 'weekly'"
        " WHEN (i / 7) % 20 = 18 THEN 'monthly' ELSE 'every' END"
    )
    future = "(now() + interval '10 days')" if pg else "datetime('now', '+10 days')"
    paused = f"CASE WHEN i % 50 = 7 THEN {future} ELSE NULL END"
    status = "CASE WHEN i % 100 = 3 THEN 'unsubscribed' ELSE 'active' END"
    statements = [
        "INSERT INTO contacts_contact (id, email, email_key, name, language, time_zone,"
        " attributes, tags, status, frequency, paused_until, engagement_score, created_at,"
        " updated_at) SELECT i, 'c' || i || '@example.com', 'c' || i || '@example.com',"
        f" 'Person ' || i, 'en', 'UTC', '{{}}'{json}, '[]'{json}, {status}, {freq}, {paused},"
        f" 0, {now}, {now} {series}",
        "INSERT INTO contacts_subscription (contact_id, topic_id, state, basis, created_at,"
        f" updated_at) SELECT i, {news.id}, CASE WHEN i % 20 < 17 THEN 'confirmed'"
        f" ELSE 'pending' END, 'bench', {now}, {now} {series}",
    ]
    for campaign, hours, where in (
        (past[0], 6 * 24, "i % 2 = 0"),
        (past[1], 4 * 24, "i % 3 = 0"),
        (past[2], 2 * 24, "i % 5 = 0"),
        (past[3], 2, "i % 4 = 0"),
    ):
        at = ago.format(hours)
        statements.append(
            "INSERT INTO delivery_delivery (campaign_id, contact_id, email, domain, relay,"
            " stream, state, attempts, next_attempt_at, lease_owner, last_reply, message_id,"
            f" created_at, updated_at) SELECT {campaign.pk}, i, 'c' || i || '@example.com',"
            f" 'example.com', '', 'marketing', 'sent', 1, {at}, '', '', '', {at}, {at}"
            f" {series} WHERE {where}"
        )
    statements.append(
        'INSERT INTO campaigns_exclusionentry ("group", email, contact_id, channel,'
        f" reached_at, created_at) SELECT 'spring', 'c' || ((i * 37) % {n} + 1) || '@example.com',"
        f" CASE WHEN i % 2 = 0 THEN (i * 37) % {n} + 1 ELSE NULL END, 'post', {ago.format(5)},"
        f" {now}"
        f" {series} WHERE i <= 5000"
    )
    with transaction.atomic(), connection.cursor() as cursor:
        for sql in statements:
            t0 = time.perf_counter()
            cursor.execute(sql)
            log(f"{sql[:50]}… {time.perf_counter() - t0:.1f}s")
        if pg:
            cursor.execute("SELECT setval('contacts_contact_id_seq', %s)", [n])
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if pg else "ANALYZE")
    return Campaign.objects.get(pk=target.pk)


class Rollback(Exception):
    pass


def timed_freeze(campaign, members, jit_off: bool) -> tuple[float, int]:
    from django.db import transaction
    from django.utils import timezone

    from mailwright.delivery import sending
    from mailwright.delivery.audience import without_jit

    t0 = time.perf_counter()
    inserted = 0
    try:
        with transaction.atomic():
            if jit_off:
                without_jit()
            inserted = sending.freeze(campaign, members, timezone.now())
            elapsed = time.perf_counter() - t0
            raise Rollback
    except Rollback:
        pass
    return elapsed * 1000, inserted


def measure(campaign, runs: int, explain: bool, compare_with: str | None) -> None:
    from django.db import connection, transaction

    from mailwright.delivery import sending
    from mailwright.delivery.audience import exclusion_counts, segment_filters, without_jit

    variants = {"now": (lambda: sending.audience(campaign), True)}
    if compare_with:
        spec = importlib.util.spec_from_file_location("old_policy", compare_with)
        old = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(old)
        topic_ids = list(campaign.topics.values_list("id", flat=True))
        variants["before"] = (
            lambda: old.marketing_audience(topic_ids, exclude_campaign=campaign.id).filter(
                *segment_filters(campaign)
            ),
            False,
        )
        variants["before, JIT off"] = (variants["before"][0], True)
    for name, (members, jit_off) in variants.items():
        timed_freeze(campaign, members(), jit_off)  # warm-up
        results = [timed_freeze(campaign, members(), jit_off) for _ in range(runs)]
        ms = statistics.median(r[0] for r in results)
        log(f"{connection.vendor} freeze ({name}): {results[0][1]:,} rows, median {ms:.0f} ms")
    times, counts = [], {}
    for _ in range(runs + 1):
        t0 = time.perf_counter()
        counts = exclusion_counts(campaign)
        times.append((time.perf_counter() - t0) * 1000)
    median = statistics.median(times[1:])
    log(f"{connection.vendor} exclusion_counts: {counts}, median {median:.0f} ms")
    if explain and connection.vendor == "postgresql":
        sql, params = sending.audience(campaign).values("id").query.sql_with_params()
        with transaction.atomic(), connection.cursor() as cursor:
            without_jit()
            cursor.execute(f"EXPLAIN ANALYZE SELECT COUNT(*) FROM ({sql}) q", params)  # noqa: S608
            log("\n".join(row[0] for row in cursor.fetchall()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--db", default="postgres", choices=["postgres", "sqlite"])
    parser.add_argument("--explain", action="store_true")
    parser.add_argument("--compare-with")
    args = parser.parse_args()
    cluster = None
    data_dir = tempfile.mkdtemp(prefix="mw-bench-aud-")
    os.environ["MW_DATA_DIR"] = data_dir
    os.environ["MW_LOG_LEVEL"] = "WARNING"
    os.environ.pop("DATABASE_URL", None)
    if args.db == "postgres":
        sys.path.insert(0, str(ROOT / "tools"))
        from run_tests import PostgresCluster

        cluster = PostgresCluster()
        if not cluster.available:
            raise SystemExit("PostgreSQL (initdb/pg_ctl) not found")
        os.environ["DATABASE_URL"] = cluster.start()
    os.environ["DJANGO_SETTINGS_MODULE"] = "mailwright.settings"
    try:
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        campaign = generate(args.contacts)
        measure(campaign, args.runs, args.explain, args.compare_with)
    finally:
        from django.db import connections

        connections.close_all()
        if cluster:
            cluster.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
