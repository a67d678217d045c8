"""Benchmark: a personalised campaign to N recipients, sent by the delivery worker to the
capture relay (the default `make run` setup), end to end from "send" to the last ledger
update. Baselines measured in the same run against the same relay:
  - smtplib loop: one EmailMessage built per recipient, one connection (what most code does)
  - relay ceiling: one pre-built message pushed N times over 4 connections (the receiver's limit)

Usage: python bench/capture_send.py [--recipients 10000] [--runs 3]
Uses SQLite in a temporary directory unless DATABASE_URL is set.
"""

from __future__ import annotations

import argparse
import os
import platform
import smtplib
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from email import policy
from email.message import EmailMessage

from ports import free_port, wait_port

HTML = (
    "<html><body><h1>Hello {{ contact.first_name|default('there') }}</h1>"
    + "<p>This month at {{ organisation.name }}: new arrivals, tips and stories.</p>" * 40
    + '<p><a href="{{ unsubscribe_url }}">Unsubscribe</a> | '
    '<a href="{{ preferences_url }}">Preferences</a></p></body></html>'
)


def setup_django(data_dir: str, capture_port: int) -> None:
    os.environ["MW_DATA_DIR"] = data_dir
    os.environ["MW_CAPTURE_ADDR"] = f"127.0.0.1:{capture_port}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mailwright.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def create_audience(n: int):
    from mailwright.contacts.models import Contact, Subscription, Topic

    topic = Topic.objects.create(key="bench", name="Bench")
    Contact.objects.bulk_create(
        [Contact(email=f"reader{i}@example.com", name=f"Reader {i}") for i in range(n)],
        batch_size=2000,
    )
    Subscription.objects.bulk_create(
        [
            Subscription(contact_id=cid, topic=topic, state="confirmed", basis="bench")
            for cid in Contact.objects.values_list("id", flat=True)
        ],
        batch_size=2000,
    )
    return topic


def run_campaign(topic, n: int, env: dict) -> float:
    from mailwright.campaigns.campaigns import create_campaign
    from mailwright.campaigns.templates import save_template
    from mailwright.delivery import sending

    tpl = save_template(name="bench", subject="News for {{ contact.first_name }}", html=HTML)
    campaign = create_campaign(name="bench", template_id=tpl.id, topic_keys=[topic.key])
    started = time.perf_counter()
    sending.start(campaign.id)
    subprocess.run(
        [sys.executable, "-m", "mailwright", "worker", "--until-idle"],
        env=env,
        check=True,
        stderr=subprocess.DEVNULL,
    )
    elapsed = time.perf_counter() - started
    counts = sending.delivery_counts(campaign.id)
    if counts["sent"] != n:
        raise RuntimeError(f"only {counts['sent']} of {n} sent: {counts}")
    return elapsed


def smtplib_loop(port: int, n: int) -> float:
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        for i in range(n):
            msg = EmailMessage()
            msg["From"] = "news@example.com"
            msg["To"] = f"Reader {i} <reader{i}@example.com>"
            msg["Subject"] = f"News for Reader {i}"
            body = HTML.replace("{{ contact.first_name|default('there') }}", f"Reader {i}")
            msg.set_content("plain text part")
            msg.add_alternative(body, subtype="html")
            smtp.send_message(msg)
    return time.perf_counter() - started


def ceiling(port: int, n: int, connections: int = 4) -> float:
    msg = EmailMessage()
    msg["From"] = "news@example.com"
    msg["To"] = "reader@example.com"
    msg["Subject"] = "prebuilt"
    msg.set_content("plain")
    msg.add_alternative(HTML, subtype="html")
    data = msg.as_bytes(policy=policy.SMTP)

    def push(count: int) -> None:
        with smtplib.SMTP("127.0.0.1", port) as smtp:
            for _ in range(count):
                smtp.sendmail("news@example.com", ["reader@example.com"], data)

    started = time.perf_counter()
    threads = [threading.Thread(target=push, args=(n // connections,)) for _ in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    n = args.recipients

    data_dir = tempfile.mkdtemp(prefix="mw-bench-")
    capture_port = free_port()
    setup_django(data_dir, capture_port)
    env = {**os.environ}
    capture = subprocess.Popen(
        [sys.executable, "-m", "mailwright", "capture"], env=env, stderr=subprocess.DEVNULL
    )
    try:
        wait_port(capture_port)
        topic = create_audience(n)
        rows = {
            "Mailwright worker → capture relay": [],
            "smtplib + EmailMessage loop": [],
            "relay ceiling (pre-built, 4 connections)": [],
        }
        for run in range(args.runs):
            rows["Mailwright worker → capture relay"].append(run_campaign(topic, n, env))
            rows["smtplib + EmailMessage loop"].append(smtplib_loop(capture_port, n))
            rows["relay ceiling (pre-built, 4 connections)"].append(ceiling(capture_port, n))
            print(f"run {run + 1}/{args.runs} done", file=sys.stderr)
    finally:
        capture.terminate()
        capture.wait()

    from django.db import connection

    print(
        f"\n{n:,} recipients, {args.runs} runs, database: {connection.vendor}, "
        f"machine: {os.cpu_count()} cores, Python {platform.python_version()}\n"
    )
    print("| sender | median seconds | messages/second | ratio to smtplib loop |")
    print("|---|---:|---:|---:|")
    base = statistics.median(rows["smtplib + EmailMessage loop"])
    for label, times in rows.items():
        med = statistics.median(times)
        print(f"| {label} | {med:.2f} | {n / med:,.0f} | {base / med:.2f}× |")


if __name__ == "__main__":
    main()
