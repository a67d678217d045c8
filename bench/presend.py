"""Benchmark: the pre-send personalization check (campaigns/presend.py) on a campaign whose
audience is N contacts (default 100,000), on SQLite and on a throwaway PostgreSQL cluster.

The contacts are bench/segments.py's generator (1/6 per language, 5 % tagged `vip`, an
`orders` number attribute 0-12, birthdays, 70 % confirmed on `newsletter`). The campaign's
template prints the name, an attribute, the tags and dates through |date and |datetime.
`sending.preflight` is timed (the audience query streamed with .iterator(), a shape per row,
one strict render per new shape); the median of --runs runs is reported.

Usage: python bench/presend.py [--contacts 100000] [--runs 3] [--db sqlite,postgres]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tools"))

HTML = """<h1>Hi {{ contact.first_name|default('there') }}</h1>
<p>You have {{ contact.attributes.orders|default(0) }} orders, member since
{{ contact.created_at|date('long') }}.</p>
{% if 'vip' in contact.tags %}
<p>VIP offer until {{ contact.created_at|datetime('short') }}</p>{% endif %}
{% if contact.birthday %}<p>Birthday: {{ contact.birthday|date('d MMMM') }}</p>{% endif %}
<p><a href="{{ unsubscribe_url }}">Unsubscribe</a> ·
<a href="{{ preferences_url }}">Preferences</a></p>
"""


def log(msg: str) -> None:
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


def child(args) -> None:
    cluster = None
    data_dir = tempfile.mkdtemp(prefix="mw-bench-presend-")
    os.environ["MW_DATA_DIR"] = data_dir
    os.environ["MW_LOG_LEVEL"] = "WARNING"
    os.environ["MW_ORG_ADDRESS"] = "1 Bench Street, Testville"
    os.environ.pop("DATABASE_URL", None)
    if args.child_db == "postgres":
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
        from segments import generate

        from mailwright.campaigns.models import Campaign, Template
        from mailwright.contacts.models import Topic
        from mailwright.delivery import sending

        call_command("migrate", verbosity=0)
        generate(args.contacts)
        tpl = Template.objects.create(
            name="Bench", subject="News for {{ contact.name }}", html=HTML
        )
        campaign = Campaign.objects.create(name="Bench", template=tpl)
        campaign.topics.add(Topic.objects.get(key="newsletter"))
        campaign = Campaign.objects.select_related("template").get(pk=campaign.pk)
        times, result = [], None
        for _ in range(args.runs):
            t0 = time.perf_counter()
            result = sending.preflight(campaign)
            times.append(time.perf_counter() - t0)
        version = (
            f"PostgreSQL {connection.cursor().connection.info.server_version // 10000}"
            if connection.vendor == "postgresql"
            else f"SQLite {__import__('sqlite3').sqlite_version}"
        )
        log(f"{version}: {result.summary()}")
        out = {
            "database": version,
            "median_s": statistics.median(times),
            "runs": times,
            "contacts": result.contacts,
            "shapes": result.shapes,
            "rendered": result.rendered,
            "loadavg": os.getloadavg()[0],
        }
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
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--db", default="sqlite,postgres")
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
    print(f"\n{args.contacts:,} contacts generated, median of {args.runs} runs\n")
    print("| database | audience | shapes rendered | median s | loadavg |")
    print("|---|---:|---:|---:|---:|")
    for r in rows:
        print(
            f"| {r['database']} | {r['contacts']:,} | {r['rendered']:,} |"
            f" {r['median_s']:.2f} | {r['loadavg']:.2f} |"
        )


if __name__ == "__main__":
    main()
