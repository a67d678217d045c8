"""A/B: the send benchmark (bench/send.py) of two checkouts, run alternately on the same
machine, so a change can be shown not to slow the send path down.

    .venv/bin/python bench/ab.py --old ../old-checkout --new . --rounds 3 -- \
        --recipients 50000 --db sqlite,postgres --dkim none --processes 2

Each round runs the old checkout's `bench/send.py --runs 1 …` then the new one's (each with
its own .venv), and collects the "Mailwright worker" rows of each table: messages/second and
worker CPU seconds per 1,000 messages. It prints, per database and DKIM variant, every
round's figures, the medians and the ratio new/old (> 1.00 msg/s: new is faster), plus the
load average before each run and whether send.py saw a test process running meanwhile.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
from collections import defaultdict

ROW = re.compile(r"^\| Mailwright worker → smtp-sink \|")
SECTION = re.compile(r"^### (SQLite|PostgreSQL)")


def run(checkout: str, extra: list[str]) -> tuple[list[dict], float, str]:
    python = os.path.join(checkout, ".venv", "bin", "python")
    load = os.getloadavg()[0]
    out = subprocess.run(
        [python, "bench/send.py", "--runs", "1", *extra],
        cwd=checkout,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rows, database = [], "?"
    for line in out.splitlines():
        m = SECTION.match(line)
        if m:
            database = m.group(1)
        if ROW.match(line):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            rows.append(
                {
                    "database": database,
                    "processes": cells[1],
                    "dkim": cells[2],
                    "rate": float(cells[4].replace(",", "")),
                    "cpu": float(cells[5]),
                    "disturbed": "disturbed" in line,
                }
            )
    return rows, load, out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--old", required=True, help="the checkout to compare against")
    parser.add_argument("--new", default=".", help="the checkout under test")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("send_args", nargs="*", help="arguments for bench/send.py (after --)")
    args = parser.parse_args()
    results: dict[tuple, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    loads: dict[str, list[float]] = defaultdict(list)
    for round_no in range(1, args.rounds + 1):
        for label, checkout in (("old", args.old), ("new", args.new)):
            print(f"[ab] round {round_no}: {label} ({checkout})", file=sys.stderr, flush=True)
            rows, load, _ = run(checkout, args.send_args)
            loads[label].append(load)
            for r in rows:
                key = (r["database"], r["processes"], r["dkim"])
                results[key][label].append(r)
    print(f"rounds: {args.rounds}, send.py arguments: {' '.join(args.send_args)}")
    print(
        "load average (1 min) before each run: "
        + "; ".join(f"{k} {', '.join(f'{v:.2f}' for v in vs)}" for k, vs in loads.items())
    )
    print()
    print(
        "| database | processes | DKIM | old msg/s (runs) | new msg/s (runs) | median old | "
        "median new | new/old msg/s | worker CPU s/1,000 old → new (medians) |"
    )
    print("|---|---:|---|---|---|---:|---:|---:|---|")
    for (database, processes, dkim), by in sorted(results.items()):
        old, new = by["old"], by["new"]
        if not old or not new:
            continue
        mo = statistics.median(r["rate"] for r in old)
        mn = statistics.median(r["rate"] for r in new)
        co = statistics.median(r["cpu"] for r in old)
        cn = statistics.median(r["cpu"] for r in new)
        flag = " ⚠ disturbed" if any(r["disturbed"] for r in old + new) else ""
        runs_old = ", ".join(f"{r['rate']:,.0f}" for r in old)
        runs_new = ", ".join(f"{r['rate']:,.0f}" for r in new)
        print(
            f"| {database} | {processes} | {dkim} | {runs_old} | {runs_new} | "
            f"{mo:,.0f} | {mn:,.0f} | "
            f"{mn / mo:.2f}{flag} | {co:.2f} → {cn:.2f} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
