"""Contact import benchmark (not a test): a generated file imported with `mailwright import`
as a user runs it — validation, hygiene analysis, dedupe, typed attributes, subscriptions
and consent-ledger events — on SQLite and on a throwaway PostgreSQL; rows/s and peak RSS of
the import process (psutil, sampled every 50 ms), median of several runs, each on a fresh
database.

Usage: python bench/import.py [--rows 1000000] [--runs 3] [--db sqlite,postgres]

The file: 5 % duplicates (half of them case variants of an earlier address), 3 % invalid
addresses, names in the six product languages (Polish, Turkish, Spanish, Vietnamese,
Bulgarian, English), a consent column (90 % "yes"), two typed attributes (orders: number,
customer_since: date) and tags. Results go to stdout as JSON and as a Markdown table row for
bench/README.md. PostgreSQL needs initdb/pg_ctl (tools/run_tests.PostgresCluster).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
FIRST = {
    "pl": ["Łukasz", "Zofia", "Wojciech", "Małgorzata", "Grzegorz"],
    "tr": ["Çağrı", "Şükrü", "Gülşen", "İsmail", "Özlem"],
    "es": ["José", "María", "Íñigo", "Begoña", "Ramón"],
    "vi": ["Nguyễn Văn", "Trần Thị", "Lê Hoàng", "Phạm Đức", "Võ Thị"],
    "bg": ["Стоян", "Мария", "Георги", "Йорданка", "Цветан"],
    "en": ["Oliver", "Amelia", "Harry", "Isla", "Jack"],
}
LAST = {
    "pl": ["Żółć", "Wiśniewska", "Brzęczyszczykiewicz"],
    "tr": ["Yılmaz", "Şahin", "Öztürk"],
    "es": ["Muñoz", "Peña", "Núñez"],
    "vi": ["Anh", "Hương", "Dũng"],
    "bg": ["Петров", "Иванова", "Георгиев"],
    "en": ["Smith", "O'Brien", "Taylor"],
}
INVALID = ["no-at-sign.example.com", "two@@example.com", "trailing.dot.@example.com", "x@", ""]


def log(msg: str) -> None:
    print(f"[bench/import] {msg}", file=sys.stderr, flush=True)


def generate(path: Path, rows: int, seed: int = 7) -> None:
    """Write the benchmark file (streamed: the file never sits in memory either)."""
    rnd = random.Random(seed)
    langs = list(FIRST)
    with path.open("w", encoding="utf-8", newline="") as f:
        f.write("email,first_name,last_name,language,consent,orders,customer_since,tags\n")
        for i in range(rows):
            roll = rnd.random()
            if roll < 0.03:
                email = rnd.choice(INVALID)
            elif roll < 0.08 and i > 100:
                j = rnd.randrange(0, i)  # a duplicate of an earlier row
                email = f"person{j}@example-{j % 97}.com"
                if rnd.random() < 0.5:
                    email = email.capitalize().replace("@e", "@E")
            else:
                email = f"person{i}@example-{i % 97}.com"
            lang = langs[i % len(langs)]
            consent = "yes" if rnd.random() < 0.9 else ""
            since = (
                f"{rnd.randrange(2010, 2026)}-{rnd.randrange(1, 13):02d}-{rnd.randrange(1, 29):02d}"
            )
            tags = "vip" if i % 50 == 0 else ""
            f.write(
                f"{email},{rnd.choice(FIRST[lang])},{rnd.choice(LAST[lang])},{lang},{consent},"
                f"{rnd.randrange(0, 40)},{since},{tags}\n"
            )


class PeakRss(threading.Thread):
    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.proc = psutil.Process(pid)
        self.peak = 0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            try:
                self.peak = max(self.peak, self.proc.memory_info().rss)
            except psutil.Error:
                return
            time.sleep(0.05)


def mailwright(env: dict, *args: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "mailwright", *args], env=env, check=True, capture_output=True, **kw
    )


SETUP = """
from mailwright.contacts.models import AttributeDefinition, Topic
Topic.objects.create(key="newsletter", name="Newsletter")
AttributeDefinition.objects.create(key="orders", type="number")
AttributeDefinition.objects.create(key="customer_since", type="date")
"""


def one_run(db: str, path: Path, rows: int) -> dict:
    data_dir = Path(tempfile.mkdtemp(prefix="mw-bench-import-"))
    cluster = None
    env = {**os.environ, "MW_DATA_DIR": str(data_dir), "MW_LOG_LEVEL": "WARNING"}
    env.pop("DATABASE_URL", None)
    try:
        if db == "postgres":
            sys.path.insert(0, str(ROOT / "tools"))
            from run_tests import PostgresCluster

            cluster = PostgresCluster()
            if not cluster.available:
                raise SystemExit("PostgreSQL (initdb/pg_ctl) not found")
            env["DATABASE_URL"] = cluster.start()
        mailwright(env, "migrate", "-v0")
        mailwright(env, "shell", "-c", SETUP)
        argv = [
            sys.executable, "-m", "mailwright", "import", str(path),
            "--topic", "newsletter", "--basis", "existing customers (benchmark)",
            "--map", "orders=attributes.orders",
            "--map", "customer_since=attributes.customer_since",
            "--map", "first_name=first_name", "--map", "last_name=last_name",
            "--map", "language=language", "--map", "consent=consent", "--map", "tags=tags",
            "--confirm-risky",
        ]  # fmt: skip
        started = time.perf_counter()
        proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        sampler = PeakRss(proc.pid)
        sampler.start()
        out, err = proc.communicate()
        elapsed = time.perf_counter() - started
        sampler.done.set()
        sampler.join()
        if proc.returncode != 0:
            raise RuntimeError(f"import failed ({proc.returncode}): {err.decode()[-2000:]}")
        summary = json.loads(out)
        verify = json.loads(mailwright(env, "consent", "verify").stdout)
        return {
            "seconds": round(elapsed, 2),
            "rows_per_s": round(rows / elapsed),
            "peak_rss_mib": round(sampler.peak / 2**20, 1),
            "counts": summary["counts"],
            "ledger_ok": verify["ok"],
        }
    finally:
        if cluster:
            cluster.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--db", default="sqlite,postgres")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="mw-bench-import-file-"))
    path = work / "contacts.csv"
    try:
        log(f"generating {args.rows:,} rows")
        generate(path, args.rows)
        log(f"{path.stat().st_size / 2**20:.1f} MiB")
        results = {}
        for db in args.db.split(","):
            runs = []
            for n in range(args.runs):
                result = one_run(db, path, args.rows)
                log(f"{db} run {n + 1}: {result}")
                runs.append(result)
            results[db] = {
                "runs": runs,
                "median_rows_per_s": round(statistics.median(r["rows_per_s"] for r in runs)),
                "median_peak_rss_mib": round(statistics.median(r["peak_rss_mib"] for r in runs), 1),
            }
        print(json.dumps({"rows": args.rows, "results": results}, indent=2))
        for db, r in results.items():
            print(
                f"| Mailwright, {db} | {args.rows:,} | {r['median_rows_per_s']:,} |"
                f" {r['median_peak_rss_mib']} MiB |"
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
