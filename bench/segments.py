"""Benchmark: segment counts over 1,000,000 contacts (contacts.segments compiled to one query),
on SQLite and on a throwaway PostgreSQL cluster (tools/run_tests.PostgresCluster), for three
typical filters. The data is generated straight through bulk SQL (generate_series on
PostgreSQL, a recursive CTE on SQLite), not through the ORM:

  - contacts: 1/6 per language, 5 % tagged `vip`, birthdays spread over the year, an `orders`
    number attribute, created over the last 1,000 days;
  - subscriptions: every contact on `newsletter` (70 % confirmed, 20 % pending, 10 %
    unsubscribed), a third also on `offers`;
  - events: 2 per contact (opens and clicks, 10 % machine), spread over the last 180 days.

Each filter is counted once to warm the cache, then --runs times; the median is reported.
Prints a Markdown table (and the PostgreSQL plans with --explain).

Usage: python bench/segments.py [--contacts 1000000] [--runs 5] [--db sqlite,postgres] [--explain]
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

FILTERS = {
    "confirmed on newsletter AND tag = vip": {
        "and": [
            {"field": "subscription", "topic": "newsletter", "op": "eq", "value": "confirmed"},
            {"field": "tag", "op": "eq", "value": "vip"},
        ]
    },
    "opened in the last 30 days": {"field": "opened_within", "value": 30},
    "birthday in the next 7 days AND language = pl": {
        "and": [
            {"field": "birthday", "op": "in_next_days", "value": 7},
            {"field": "language", "op": "eq", "value": "pl"},
        ]
    },
}
LANGS = ["en", "pl", "tr", "es", "vi", "bg"]


def log(msg: str) -> None:
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


def _lang_sql(i: str) -> str:
    cases = " ".join(f"WHEN {n} THEN '{code}'" for n, code in enumerate(LANGS))
    return f"CASE ({i} % 6) {cases} END"


def generate(n: int) -> None:
    """Contacts, subscriptions and events in bulk SQL; topics through the ORM."""
    from django.db import connection, transaction

    from mailwright.contacts.models import Topic

    news = Topic.objects.create(key="newsletter", name="Newsletter")
    offers = Topic.objects.create(key="offers", name="Offers")
    pg = connection.vendor == "postgresql"
    now = "now()" if pg else "datetime('now')"
    if pg:
        series = f"FROM generate_series(1::bigint, {n}) AS s(i)"
        days_ago = "(now() - (i % 1000) * interval '1 day')"
        birthday = "(date '1960-01-01' + ((i * 7919) % 18000)::int)"
        ev_at = "(now() - ((i * 7) % (180 * 24)) * interval '1 hour')"
    else:
        series = "FROM (WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s"
        series += f" WHERE i < {int(n)}) SELECT i FROM s)"  # noqa: S608 - a number
        days_ago = "datetime('now', '-' || (i % 1000) || ' days')"
        birthday = "date('1960-01-01', '+' || ((i * 7919) % 18000) || ' days')"
        ev_at = "datetime('now', '-' || ((i * 7) % (180 * 24)) || ' hours')"
    json = "::jsonb" if pg else ""
    tags = f"(CASE WHEN i % 20 = 0 THEN '[\"vip\"]' ELSE '[]' END){json}"
    attrs = f"('{{\"orders\": ' || (i % 13) || '}}'){json}"
    statements = [
        "INSERT INTO contacts_contact (id, email, email_key, name, language, time_zone,"
        " attributes, tags, birthday, status, frequency, engagement_score, created_at,"
        " updated_at) SELECT i, 'c' || i || '@example.com', 'c' || i || '@example.com',"
        f" 'Person ' || i, {_lang_sql('i')}, 'UTC', {attrs}, {tags}, {birthday}, 'active',"
        f" 'every', 0, {days_ago}, {now} {series}",
        "INSERT INTO contacts_subscription (contact_id, topic_id, state, basis, created_at,"
        f" updated_at) SELECT i, {news.id}, CASE WHEN i % 10 < 7 THEN 'confirmed'"
        " WHEN i % 10 < 9 THEN 'pending' ELSE 'unsubscribed' END, 'bench',"
        f" {now}, {now} {series}",
        "INSERT INTO contacts_subscription (contact_id, topic_id, state, basis, created_at,"
        f" updated_at) SELECT i, {offers.id}, 'confirmed', 'bench', {now}, {now} {series}"
        " WHERE i % 3 = 0",
    ]
    for k in range(2):  # two events per contact
        kind = "'opened'" if k == 0 else "CASE WHEN i % 4 = 0 THEN 'clicked' ELSE 'opened' END"
        machine = "(i % 10 = 0)"
        at = ev_at.replace("i * 7", f"(i + {k * 500_000}) * 7")
        statements.append(
            "INSERT INTO feedback_event (type, contact_id, data, machine, created_at)"
            f" SELECT {kind}, i, '{{}}'{json}, {machine}, {at} {series}"
        )
    with transaction.atomic(), connection.cursor() as cursor:
        for sql in statements:
            t0 = time.perf_counter()
            cursor.execute(sql)
            log(f"{sql[:40]}… {time.perf_counter() - t0:.1f}s")
    with connection.cursor() as cursor:
        if pg:
            cursor.execute("SELECT setval('contacts_contact_id_seq', %s)", [n])
            cursor.execute("VACUUM ANALYZE")
        else:
            cursor.execute("ANALYZE")


def measure(runs: int, explain: bool) -> list[dict]:
    from django.db import connection

    from mailwright.contacts.models import Contact
    from mailwright.contacts.segments import compile_segment

    results = []
    for label, tree in FILTERS.items():
        qs = Contact.objects.filter(compile_segment(tree))
        count = qs.count()  # warm-up
        times = []
        for _ in range(runs):
            t0 = time.perf_counter()
            qs = Contact.objects.filter(compile_segment(tree))  # compile included
            assert qs.count() == count
            times.append((time.perf_counter() - t0) * 1000)
        results.append(
            {"filter": label, "count": count, "median_ms": statistics.median(times), "runs": times}
        )
        median = statistics.median(times)
        log(f"{connection.vendor} {label}: {count:,} contacts, median {median:.0f} ms")
        if explain and connection.vendor == "postgresql":
            sql, params = qs.order_by().query.sql_with_params()
            with connection.cursor() as cursor:
                explain_sql = "EXPLAIN ANALYZE SELECT COUNT(*) FROM (" + sql + ") q"  # noqa: S608
                cursor.execute(explain_sql, params)
                log("\n".join(row[0] for row in cursor.fetchall()))
    return results


def child(args) -> None:
    cluster = None
    data_dir = tempfile.mkdtemp(prefix="mw-bench-seg-")
    os.environ["MW_DATA_DIR"] = data_dir
    os.environ["MW_LOG_LEVEL"] = "WARNING"
    os.environ.pop("DATABASE_URL", None)
    if args.child_db == "postgres":
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
        from django.db import connection

        call_command("migrate", verbosity=0)
        t0 = time.perf_counter()
        generate(args.contacts)
        log(f"{args.child_db}: generated in {time.perf_counter() - t0:.0f}s")
        version = (
            f"PostgreSQL {connection.cursor().connection.info.server_version // 10000}"
            if connection.vendor == "postgresql"
            else f"SQLite {__import__('sqlite3').sqlite_version}"
        )
        out = {"database": version, "results": measure(args.runs, args.explain)}
        with open(args.child_out, "w") as f:
            json.dump(out, f)
    finally:
        from django.db import connections

        connections.close_all()
        if cluster:
            cluster.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--db", default="sqlite,postgres")
    parser.add_argument("--explain", action="store_true")
    parser.add_argument("--child-db", help=argparse.SUPPRESS)
    parser.add_argument("--child-out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_db:
        child(args)
        return
    rows = []
    for db in args.db.split(","):
        with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as f:
            out = f.name
        argv = [sys.executable, __file__, *sys.argv[1:], "--child-db", db, "--child-out", out]
        subprocess.run(argv, check=True, cwd=ROOT)
        with open(out) as f:
            rows.append(json.load(f))
        os.unlink(out)
    print(
        f"\n{args.contacts:,} contacts, median of {args.runs} runs, "
        f"{datetime.date.today()}, {platform.python_implementation()} {platform.python_version()}, "
        f"{os.cpu_count()} CPUs\n"
    )
    print("| filter | database | contacts matched | median ms |")
    print("|---|---|---:|---:|")
    for row in rows:
        for r in row["results"]:
            print(f"| {r['filter']} | {row['database']} | {r['count']:,} | {r['median_ms']:.0f} |")


if __name__ == "__main__":
    main()
