"""Benchmark: the open-pixel and click-redirect endpoints under load from wrk on 127.0.0.1,
with events durably recorded (the benchmark checks the database afterwards).

Each run starts `mailwright web --workers 2` (uvicorn, one process per core) on a temporary
SQLite database holding a sent campaign of N deliveries with 10 tracked links, and runs
wrk against a list of valid open and click URLs (spread over all deliveries). The same run
measures the baseline: the same endpoints through the whole Django stack
(MW_TRACKING_FAST_PATH=0) instead of the ASGI fast path.

Usage: python bench/tracking.py [--runs 3] [--seconds 15] [--connections 64]
Needs wrk (Debian: apt-get install wrk).
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

from ports import free_port, wait_port

DELIVERIES = 20_000
LINKS = 10


def setup(data_dir: str) -> list[str]:
    """A sent campaign with DELIVERIES deliveries and LINKS links; returns tracking paths."""
    os.environ.update(MW_DATA_DIR=data_dir, DJANGO_SETTINGS_MODULE="mailwright.settings")
    os.environ.setdefault("MW_ORG_ADDRESS", "1 Bench Street")
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    call_command("migrate", verbosity=0)
    from mailwright.campaigns.models import Campaign, CampaignLink, Template
    from mailwright.contacts.models import Contact
    from mailwright.delivery import tracked_links
    from mailwright.delivery.models import Delivery

    tpl = Template.objects.create(name="t", subject="s", html="<p>x</p>")
    campaign = Campaign.objects.create(name="bench", template=tpl, state="sent")
    CampaignLink.objects.bulk_create(
        [
            CampaignLink(campaign=campaign, index=i, url=f"https://shop.example.com/p/{i}")
            for i in range(LINKS)
        ]
    )
    Contact.objects.bulk_create(
        [Contact(email=f"r{i}@example.com") for i in range(DELIVERIES)], batch_size=5000
    )
    now = timezone.now() - timezone.timedelta(hours=2)
    Delivery.objects.bulk_create(
        [
            Delivery(
                campaign=campaign,
                contact_id=cid,
                email=email,
                state="sent",
                next_attempt_at=now,
                created_at=now,
                updated_at=now,
                sent_at=now,
            )
            for cid, email in Contact.objects.values_list("id", "email")
        ],
        batch_size=5000,
    )
    paths = []
    rng = random.Random(7)
    for d in Delivery.objects.values_list("id", flat=True):
        paths.append(f"/t/o/{tracked_links.open_token(d, campaign.id)}.gif")
        paths.append(f"/t/c/{tracked_links.click_token(d, campaign.id, rng.randrange(LINKS))}")
    rng.shuffle(paths)
    return paths


def wrk_script(paths: list[str], path: str) -> None:
    with open(path, "w") as fh:
        fh.write("paths = {\n" + ",\n".join(f'"{p}"' for p in paths) + "\n}\n")
        fh.write(
            "counter = 0\n"
            "request = function()\n"
            "  counter = counter + 1\n"
            "  return wrk.format('GET', paths[(counter % #paths) + 1], "
            "{['User-Agent'] = 'Mozilla/5.0 (X11; Linux x86_64) Firefox/121'})\n"
            "end\n"
        )


def parse_wrk(out: str) -> dict:
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    factor = {"us": 0.001, "ms": 1, "s": 1000}[p99.group(2)]
    total = int(re.search(r"(\d+) requests in", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return {
        "rps": rps,
        "p99_ms": float(p99.group(1)) * factor,
        "requests": total,
        "bad": int(non2xx.group(1)) if non2xx else 0,
        "socket_errors": sum(int(x) for x in errors.groups()) if errors else 0,
    }


def run_once(data_dir: str, script: str, args, fast: bool) -> dict:
    from mailwright.feedback.models import Event

    before = Event.objects.count()
    port = free_port()
    env = {
        **os.environ,
        "MW_HTTP_ADDR": f"127.0.0.1:{port}",
        "MW_TRACKING_FAST_PATH": "1" if fast else "0",
    }
    web = subprocess.Popen(
        [sys.executable, "-m", "mailwright", "web", "--workers", "2"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(os.path.join(data_dir, "web.log"), "ab"),
    )
    try:
        wait_port(port)
        time.sleep(1)
        out = subprocess.run(
            [
                "wrk",
                "-t2",
                f"-c{args.connections}",
                f"-d{args.seconds}s",
                "--latency",
                "-s",
                script,
                f"http://127.0.0.1:{port}",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        time.sleep(1)  # the writers flush every 200 ms; shutdown flushes the rest too
    finally:
        web.terminate()  # uvicorn's lifespan shutdown flushes the writers
        web.wait(timeout=60)
    result = parse_wrk(out)
    # Wait until every buffered event is in the database (the count stops growing).
    last, stable_since = -1, time.monotonic()
    while time.monotonic() - stable_since < 2:
        count = Event.objects.count()
        if count != last:
            last, stable_since = count, time.monotonic()
        time.sleep(0.2)
    result["recorded"] = last - before
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=64)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk not found: apt-get install wrk")
    data_dir = tempfile.mkdtemp(prefix="mw-track-bench-")
    paths = setup(data_dir)
    script = os.path.join(data_dir, "paths.lua")
    wrk_script(paths, script)
    rows = {"fast path (ASGI, batched writes)": [], "through Django (baseline)": []}
    for run in range(args.runs):
        rows["fast path (ASGI, batched writes)"].append(run_once(data_dir, script, args, True))
        rows["through Django (baseline)"].append(run_once(data_dir, script, args, False))
        print(f"run {run + 1}/{args.runs} done", file=sys.stderr)
    med = statistics.median
    base = med([r["rps"] for r in rows["through Django (baseline)"]])
    print(
        f"\n{args.seconds}s per run, {args.connections} connections, wrk -t2, "
        f"{args.runs} runs; {os.cpu_count()} cores, Python {platform.python_version()}, SQLite\n"
    )
    print(f"(web logs: {data_dir}/web.log)", file=sys.stderr)
    print("| endpoint path | requests/s | p99 latency (ms) | events recorded / requests | ratio |")
    print("|---|---:|---:|---:|---:|")
    for label, results in rows.items():
        rps = med([r["rps"] for r in results])
        p99 = med([r["p99_ms"] for r in results])
        recorded = sum(r["recorded"] for r in results)
        good = sum(r["requests"] - r["bad"] for r in results)
        print(f"| {label} | {rps:,.0f} | {p99:.1f} | {recorded:,} / {good:,} | {rps / base:.2f}× |")


if __name__ == "__main__":
    main()
