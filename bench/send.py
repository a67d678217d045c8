"""Benchmark: a personalised ~15 KB campaign to N recipients, sent by the delivery worker to
Postfix's smtp-sink on 127.0.0.1, end to end from "send" (delivery.sending.start) to the
worker's exit (the last ledger update), on SQLite and on PostgreSQL, with DKIM off, Ed25519
or RSA-2048 and 1 or more worker processes. Baselines measured in the same run, same sink:
  - smtplib loop: one EmailMessage built per recipient, one connection (what most code does),
    timed on a sample (--baseline-sample);
  - sink ceiling: Postfix's smtp-source pushing one pre-built message, 10 sessions.

Usage: python bench/send.py [--recipients 100000] [--runs 3] [--db sqlite,postgres]
                            [--dkim none,ed25519] [--processes 2] [--lanes 4] [--batch-size 200]
       python bench/send.py --memory [--memory-sizes 10000,1000000]   # RSS at 10k vs 1M
       python bench/send.py --profile worker.prof ...   # plus one run of one worker under cProfile
Needs smtp-sink/smtp-source (Debian's postfix package; installed when missing if run as root
with apt-get, preseeded to "No configuration" so no daemon runs) and, for PostgreSQL,
initdb/pg_ctl (tools/run_tests.PostgresCluster starts a throwaway cluster).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import pstats
import shutil
import smtplib
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from email.message import EmailMessage
from pathlib import Path

import psutil
from ports import free_port, wait_port

ROOT = Path(__file__).resolve().parent.parent
FROM_DOMAIN = "example.com"
FROM_EMAIL = f"news@{FROM_DOMAIN}"
BASE_URL = "https://mail.example-outfitters.com"
ORG_NAME = "Example Outfitters"
ORG_ADDRESS = "Example Outfitters Ltd, 1 Harbour Street, Springfield 12345"
SINK_BACKLOG = "1024"
DKIM_ALGORITHMS = {"none": None, "ed25519": "ed25519-sha256", "rsa": "rsa-sha256"}

# --- the campaign: ~11 KB of HTML source with inline styles, 10 article links, a personal
# greeting, unsubscribe / preferences / view-online links per recipient; a ~3 KB text part.

ARTICLES = [
    ("winter-layering-guide", "The three-layer rule for cold mornings"),
    ("trail-shoes-tested", "We tested twelve trail shoes on wet granite"),
    ("merino-vs-synthetic", "Merino or synthetic? What the lab found"),
    ("repair-your-jacket", "Repair, don't replace: fixing a torn shell"),
    ("weekend-routes-north", "Five weekend routes within two hours of the city"),
    ("packing-list-hut-trip", "The packing list for a three-night hut trip"),
    ("headlamp-buyers-guide", "Headlamps: lumens, batteries and what matters"),
    ("kids-outdoors", "Getting kids outside when it is grey and wet"),
    ("staff-picks-november", "Staff picks for November"),
    ("store-events", "Events in our stores this month"),
]
UTM = "utm_source=newsletter&amp;utm_medium=email&amp;utm_campaign=2026-11"
LOREM = (
    "Our team spent the month on the trails and in the workshop so you do not have to "
    "guess: what we learned, and what we would buy again."
)


def _article_html(slug: str, title: str, i: int) -> str:
    return f"""
<tr><td style="padding:16px 24px;border-bottom:1px solid \
#e6e6e6;font-family:Helvetica,Arial,sans-serif;font-size:15px;line-height:22px;color:#333333">
<img src="https://cdn.example-outfitters.com/nl/2026-11/{slug}.jpg" width="120" height="90" \
alt="" align="left" style="border:0;margin:0 16px 8px 0;border-radius:4px">
<h2 style="margin:0 0 6px 0;font-size:18px;line-height:24px;color:#1a3d2e">{title}</h2>
<p style="margin:0 0 8px 0">{LOREM}</p>
<a href="https://www.example-outfitters.com/journal/{slug}?{UTM}&amp;utm_content=a{i + 1}" \
style="color:#2a7d4f;font-weight:bold">Read more &rarr;</a>
</td></tr>"""


HTML = (
    """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>{{ campaign.subject }}</title>
<style>@media (max-width:600px){.wrap{width:100%!important}.hide-sm{display:none!important}}</style>
</head>
<body style="margin:0;padding:0;background:#f4f4f0">
<div style="display:none;max-height:0;overflow:hidden">Layering, trail shoes and five weekend \
routes, picked for you.</div>
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" \
style="background:#f4f4f0">
<tr><td align="center" style="padding:24px 8px">
<table role="presentation" class="wrap" width="600" cellpadding="0" cellspacing="0" border="0" \
style="background:#ffffff;border-radius:6px">
<tr><td style="padding:12px \
24px;font-family:Helvetica,Arial,sans-serif;font-size:12px;color:#777777;text-align:right">
  <a href="{{ view_online_url }}" style="color:#777777">View this email in your browser</a>
</td></tr>
<tr><td style="padding:8px 24px 0 24px">
  <img src="https://cdn.example-outfitters.com/nl/logo.png" width="180" height="40" alt="{{ \
organisation.name }}" style="display:block;border:0">
</td></tr>
<tr><td \
style="padding:24px;font-family:Helvetica,Arial,sans-serif;font-size:16px;line-height:24px;color:#333333">
  <h1 style="margin:0 0 12px 0;font-size:24px;line-height:30px;color:#1a3d2e">Hi {{ \
contact.first_name|default('there', true) }},</h1>
  <p style="margin:0">November is here, and with it the first real cold. This issue is about
  staying warm without overheating, shoes that grip when the rock is wet, and places to go
  when you only have a weekend. As always, everything here was tested by our own staff.</p>
</td></tr>"""
    + "".join(_article_html(slug, title, i) for i, (slug, title) in enumerate(ARTICLES))
    + """
<tr><td \
style="padding:24px;font-family:Helvetica,Arial,sans-serif;font-size:12px;line-height:18px;color:#777777;text-align:center">
  <p style="margin:0 0 8px 0">You receive this email because you subscribed to the {{ \
organisation.name }} newsletter
  as {{ contact.email }}.</p>
  <p style="margin:0 0 8px 0">
    <a href="{{ unsubscribe_url }}" style="color:#777777">Unsubscribe</a> &middot;
    <a href="{{ preferences_url }}" style="color:#777777">Email preferences</a>
  </p>
  <p style="margin:0">{{ organisation.name }}<br>{{ organisation.address }}</p>
</td></tr>
</table>
</td></tr>
</table>
</body></html>
"""
)

TEXT = (
    """Hi {{ contact.first_name|default('there', true) }},

November is here, and with it the first real cold. This issue is about staying warm without
overheating, shoes that grip when the rock is wet, and places to go when you only have a
weekend. As always, everything here was tested by our own staff.

View this email in your browser: {{ view_online_url }}

"""
    + "".join(
        f"{title}\n{LOREM}\nhttps://www.example-outfitters.com/journal/{slug}"
        f"?{UTM.replace('&amp;', '&')}&utm_content=a{i + 1}\n\n"
        for i, (slug, title) in enumerate(ARTICLES)
    )
    + """--
You receive this email because you subscribed to the {{ organisation.name }} newsletter as
{{ contact.email }}.
Unsubscribe: {{ unsubscribe_url }}
Email preferences: {{ preferences_url }}
{{ organisation.name }}, {{ organisation.address }}
"""
)

SUBJECT = (
    "{{ contact.first_name|default('Hello', true) }}, "
    "your November picks: layering, trail shoes, routes"
)

FIRST = [
    "Anna",
    "Ben",
    "Chloé",
    "David",
    "Emma",
    "Felix",
    "Grace",
    "Hugo",
    "Iris",
    "Jonas",
    "Katarzyna",
    "Liam",
    "Mia",
    "Noah",
    "Olivia",
    "Paul",
    "Zoë",
    "Rafael",
    "Sofia",
    "Tomás",
]
LAST = [
    "Smith",
    "Müller",
    "Nowak",
    "García",
    "Johnson",
    "Rossi",
    "Dubois",
    "Jansen",
    "Kowalski",
    "Brown",
    "Yılmaz",
    "Novák",
    "Silva",
    "Larsen",
    "Walker",
    "O'Neill",
]


def person(i: int) -> tuple[str, str]:
    return (
        f"{FIRST[i % len(FIRST)]} {LAST[(i // len(FIRST)) % len(LAST)]}",
        f"reader{i}@example.net",
    )


# --- helpers ---------------------------------------------------------------------------------


def log(msg: str) -> None:
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


def postfix_tool(name: str) -> str:
    found = shutil.which(name) or (
        f"/usr/sbin/{name}" if os.path.exists(f"/usr/sbin/{name}") else None
    )
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        log(f"{name} not found: installing Debian's postfix package (no configuration, no daemon)")
        subprocess.run(
            ["debconf-set-selections"],
            input=b"postfix postfix/main_mailer_type select No configuration\n",
            check=True,
        )
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(
            ["apt-get", "install", "-y", "postfix"], env=env, check=True, stdout=subprocess.DEVNULL
        )
        found = shutil.which(name) or f"/usr/sbin/{name}"
        if os.path.exists(found):
            return found
    raise SystemExit(
        f"{name} not found. Install Debian's postfix package without configuring a daemon:\n"
        '  echo "postfix postfix/main_mailer_type select No configuration"'
        " | debconf-set-selections\n"
        "  DEBIAN_FRONTEND=noninteractive apt-get install -y postfix"
    )


class Sink:
    """Postfix's smtp-sink on 127.0.0.1: accepts every message (PIPELINING, 8BITMIME) and
    throws it away. One process, event-driven; its CPU is read with psutil."""

    def __init__(self) -> None:
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        argv = [postfix_tool("smtp-sink"), "-4"]
        if os.geteuid() == 0:
            argv += ["-u", "nobody"]  # required as root: it drops privileges after bind()
        argv += [f"127.0.0.1:{self.port}", SINK_BACKLOG]
        self.proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_port(self.port)

    def cpu(self) -> float:
        t = psutil.Process(self.proc.pid).cpu_times()
        return t.user + t.system

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait()


def tree_cpu_of(pid: int) -> float:
    """CPU seconds of a process, its live children and its reaped children."""
    try:
        root = psutil.Process(pid)
        t = root.cpu_times()
        total = t.user + t.system + t.children_user + t.children_system
        for child in root.children(recursive=True):
            try:
                c = child.cpu_times()
                total += c.user + c.system
            except psutil.NoSuchProcess:
                pass
        return total
    except psutil.NoSuchProcess:
        return 0.0


class RssMonitor(threading.Thread):
    """Polls the memory of a process tree every `interval` seconds and keeps the peaks: the
    RSS of the delivery workers (the processes that send: the root with --processes 1, its
    children otherwise) summed, the RSS of the whole tree (with --processes > 1 the launcher
    too) summed, and the PSS of the whole tree summed.

    The workers are forked from the launcher after it imported everything, so they share
    those pages: a sum of RSS counts each shared page once per process, PSS (proportional
    set size, /proc/PID/smaps_rollup) splits it between the processes sharing it, so the
    PSS sum of the tree is the memory the tree really occupies."""

    def __init__(self, pid: int, processes: int, interval: float = 0.1) -> None:
        super().__init__(daemon=True)
        self.root = psutil.Process(pid)
        self.processes = processes
        self.interval = interval
        self.done = threading.Event()
        self.peak_workers = 0
        self.peak_tree = 0
        self.peak_pss = 0
        self.samples = 0
        self.threads: dict[tuple[int, int], float] = {}  # (pid, tid) -> CPU s, last seen

    def _sample_threads(self, procs) -> None:
        for proc in procs:
            try:
                for t in proc.threads():
                    self.threads[(proc.pid, t.id)] = t.user_time + t.system_time
            except psutil.NoSuchProcess:
                pass

    def thread_split(self) -> tuple[float, float]:
        """(CPU s of the workers' main threads — the event loop —, of their other threads —
        the database thread), as last seen (up to `interval` before the exit)."""
        main = sum(v for (pid, tid), v in self.threads.items() if pid == tid)
        return main, sum(self.threads.values()) - main

    def run(self) -> None:
        last_check = 0.0
        self.disturbed: list[str] = []
        while not self.done.is_set():
            if time.monotonic() - last_check > 1.0:  # someone else's test run on the cores?
                last_check = time.monotonic()
                for found in other_heavy_processes():
                    if found not in self.disturbed:
                        self.disturbed.append(found)
            try:
                children = self.root.children(recursive=True)
                root_rss = self.root.memory_info().rss
            except psutil.NoSuchProcess:
                break
            child_rss = 0
            for child in children:
                try:
                    child_rss += child.memory_info().rss
                except psutil.NoSuchProcess:
                    pass
            workers = root_rss if self.processes == 1 else child_rss
            self._sample_threads([self.root] if self.processes == 1 else children)
            self.peak_workers = max(self.peak_workers, workers)
            self.peak_tree = max(self.peak_tree, root_rss + child_rss)
            pss = 0
            for proc in [self.root, *children]:
                try:
                    pss += proc.memory_full_info().pss
                except (psutil.NoSuchProcess, psutil.AccessDenied, AttributeError):
                    pass
            self.peak_pss = max(self.peak_pss, pss)
            self.samples += 1
            self.done.wait(self.interval)


def run_measured(argv: list[str], env: dict, processes: int, log_path: str) -> dict:
    """Run a command to completion; return wall seconds, CPU seconds of its whole process tree
    (wait4 rusage: the process and every descendant it reaped) and its peak RSS."""
    with open(log_path, "wb") as logf:
        started = time.perf_counter()
        proc = subprocess.Popen(argv, env=env, stdout=logf, stderr=subprocess.STDOUT)
        monitor = RssMonitor(proc.pid, processes)
        monitor.start()
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - started
        monitor.done.set()
        monitor.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        with open(log_path, errors="replace") as f:
            tail = f.read()[-3000:]
        raise RuntimeError(f"{argv[:6]}… exited with {proc.returncode}:\n{tail}")
    return {
        "seconds": elapsed,
        "cpu": usage.ru_utime + usage.ru_stime,
        "rss_workers": monitor.peak_workers,
        "rss_tree": monitor.peak_tree,
        "pss_tree": monitor.peak_pss,
        "rss_samples": monitor.samples,
        "cpu_loop_thread": monitor.thread_split()[0],
        "cpu_db_thread": monitor.thread_split()[1],
        "disturbed_by": monitor.disturbed,
    }


# --- baselines (no Django) -------------------------------------------------------------------


def _baseline_parts():
    """The campaign's HTML and text rendered once with Jinja2 and placeholders; each
    recipient then gets plain string replacements (cheap), so the loop measures what
    EmailMessage + smtplib cost."""
    from jinja2 import Environment

    ctx = {
        "contact": {"first_name": "@@FIRST@@", "email": "@@EMAIL@@"},
        "unsubscribe_url": f"{BASE_URL}/u/@@TOKEN@@",
        "preferences_url": f"{BASE_URL}/p/@@TOKEN@@",
        "view_online_url": f"{BASE_URL}/v/@@TOKEN@@",
        "organisation": {"name": ORG_NAME, "address": ORG_ADDRESS},
        "campaign": {"subject": "Your November picks"},
    }
    env = Environment(autoescape=False)  # noqa: S701 - the text part and subject are not HTML
    html = Environment(autoescape=True).from_string(HTML).render(ctx)
    text = env.from_string(TEXT).render(ctx)
    subject = env.from_string(SUBJECT).render(ctx)
    return subject, html, text


def build_email_message(i: int, parts) -> EmailMessage:
    import hashlib

    subject, html, text = parts
    name, email = person(i)
    first = name.split()[0]
    token = hashlib.sha256(b"%d" % i).hexdigest()[:32]

    def fill(s: str) -> str:
        return s.replace("@@FIRST@@", first).replace("@@EMAIL@@", email).replace("@@TOKEN@@", token)

    msg = EmailMessage()
    msg["From"] = f"{ORG_NAME} <{FROM_EMAIL}>"
    msg["To"] = f"{name} <{email}>"
    msg["Subject"] = fill(subject)
    msg["List-Unsubscribe"] = f"<{BASE_URL}/u/{token}>"
    msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg.set_content(fill(text))
    msg.add_alternative(fill(html), subtype="html")
    return msg


def smtplib_loop(port: int, n: int) -> float:
    parts = _baseline_parts()
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        for i in range(n):
            smtp.send_message(build_email_message(i, parts))
    return time.perf_counter() - started


def smtp_source_ceiling(port: int, n: int, sessions: int, message_file: str) -> dict:
    """Postfix's smtp-source: `sessions` parallel sessions, connections reused (-d), the same
    pre-built message N times (-F: it dot-stuffs and appends CRLF to each line)."""
    argv = [
        postfix_tool("smtp-source"),
        "-4",
        "-d",
        "-s",
        str(sessions),
        "-m",
        str(n),
        "-F",
        message_file,
        "-f",
        FROM_EMAIL,
        "-t",
        "reader@example.net",
        "-M",
        "bench.example.com",
        f"127.0.0.1:{port}",
    ]
    with tempfile.NamedTemporaryFile(prefix="mw-smtp-source-", suffix=".log") as logf:
        return run_measured(argv, dict(os.environ), 1, logf.name)


# --- the database side (one child process per database) --------------------------------------


def setup_django(data_dir: str, relay_port: int, database_url: str | None) -> dict:
    os.environ["MW_DATA_DIR"] = data_dir
    os.environ["MW_ORG_NAME"] = ORG_NAME
    os.environ["MW_ORG_ADDRESS"] = ORG_ADDRESS
    os.environ["MW_FROM_EMAIL"] = FROM_EMAIL
    os.environ["MW_BASE_URL"] = BASE_URL
    os.environ["MW_RELAY_URL"] = f"smtp://127.0.0.1:{relay_port}"
    os.environ["MW_LOG_LEVEL"] = "WARNING"
    os.environ.pop("DATABASE_URL", None)
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "mailwright.settings"
    # Workers start as a deployment's would: with compiled bytecode cached (outside the
    # source tree), not recompiling Django from source on every start.
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    os.environ["PYTHONPYCACHEPREFIX"] = os.path.join(tempfile.gettempdir(), "mw-bench-pycache")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return dict(os.environ)


def create_audience(n: int, chunk: int = 10_000):
    """n active contacts with a confirmed subscription to one topic, inserted in chunks
    (explicit ids, so a million rows never sit in memory at once)."""
    from django.core.management.color import no_style
    from django.db import connection, transaction

    from mailwright.contacts.models import Contact, Subscription, Topic

    topic = Topic.objects.create(key="newsletter", name="Newsletter")
    for lo in range(0, n, chunk):
        hi = min(n, lo + chunk)
        with transaction.atomic():
            contacts = []
            for i in range(lo, hi):
                name, email = person(i)
                contacts.append(Contact(id=i + 1, email=email, name=name, language="en"))
            Contact.objects.bulk_create(contacts, batch_size=2000)
            Subscription.objects.bulk_create(
                [
                    Subscription(contact_id=i + 1, topic=topic, state="confirmed", basis="bench")
                    for i in range(lo, hi)
                ],
                batch_size=2000,
            )
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), [Contact]):
            cursor.execute(sql)
        cursor.execute("ANALYZE")
    return topic


def make_dkim_keys() -> dict:
    from mailwright.delivery import dkim

    keys = {}
    for label, algorithm in DKIM_ALGORITHMS.items():
        if algorithm:
            keys[label] = dkim.generate_key(FROM_DOMAIN, algorithm).pk
    return keys


def use_dkim(label: str, keys: dict) -> None:
    from mailwright.delivery.models import DkimKey

    DkimKey.objects.update(active=False)
    if label != "none":
        DkimKey.objects.filter(pk=keys[label]).update(active=True)


def sample_message(campaign_id: int) -> bytes:
    """Compose one of the campaign's messages as the worker did (read-only), for its size."""
    from mailwright.delivery.compose import Composer
    from mailwright.delivery.models import Delivery
    from mailwright.delivery.store import OrmStore

    d = (
        Delivery.objects.select_related("contact", "campaign__template")
        .filter(campaign_id=campaign_id)
        .order_by("id")
        .first()
    )
    composer = Composer()
    composer.refresh(*OrmStore().prepare([d]))
    return composer.compose(d)[1]


def cleanup_campaign(campaign_id: int) -> None:
    """Remove a finished run's ledger rows and events, so every run starts from the same
    database (the audience query and the claim scan the ledger)."""
    from django.db import connection

    from mailwright.delivery.models import Delivery
    from mailwright.feedback.models import Event

    with connection.cursor() as cursor:
        for table in (Event._meta.db_table, Delivery._meta.db_table):
            cursor.execute(f"DELETE FROM {table} WHERE campaign_id = %s", [campaign_id])  # noqa: S608
        if connection.vendor == "postgresql":
            cursor.execute("VACUUM ANALYZE")
        else:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")


class DbServerCpu:
    """CPU seconds of the PostgreSQL server (postmaster, live backends, reaped backends)."""

    def __init__(self, data_dir: str | None) -> None:
        self.pid = None
        if data_dir:
            with open(os.path.join(data_dir, "postmaster.pid")) as f:
                self.pid = int(f.readline())

    def read(self) -> float:
        return tree_cpu_of(self.pid) if self.pid else 0.0


def run_campaign(
    topic,
    n: int,
    env: dict,
    variant: dict,
    args,
    log_path: str,
    sink_pid: int,
    db_cpu: DbServerCpu,
    profile: str | None = None,
) -> dict:
    from mailwright.campaigns.campaigns import create_campaign
    from mailwright.campaigns.templates import save_template
    from mailwright.delivery import sending

    tpl = save_template(name=f"bench-{time.time_ns()}", subject=SUBJECT, html=HTML, text=TEXT)
    campaign = create_campaign(name=f"bench {variant}", template_id=tpl.id, topic_keys=[topic.key])
    processes = 1 if profile else variant["processes"]
    argv = [sys.executable]
    argv += [__file__, "--profile-worker", profile, "--"] if profile else ["-m", "mailwright"]
    argv += [
        "worker",
        "--until-idle",
        "--processes",
        str(processes),
        "--lanes",
        str(args.lanes),
        "--batch-size",
        str(args.batch_size),
    ]
    sink = psutil.Process(sink_pid)
    sink_before = sum(sink.cpu_times()[:2])
    db_before = db_cpu.read()
    started = time.perf_counter()
    sending.start(campaign.id)
    start_seconds = time.perf_counter() - started
    result = run_measured(argv, env, processes, log_path)
    result["seconds"] = time.perf_counter() - started  # from before sending.start
    result["start_seconds"] = start_seconds
    result["sink_cpu"] = sum(sink.cpu_times()[:2]) - sink_before
    result["db_cpu"] = db_cpu.read() - db_before
    counts = sending.delivery_counts(campaign.id)
    if counts["sent"] != n:
        raise RuntimeError(f"only {counts['sent']} of {n} sent: {counts}")
    result["message_bytes"] = len(sample_message(campaign.id))
    cleanup_campaign(campaign.id)
    return result


def child_main(args) -> None:
    """One database: set up, then every run of every variant; results as JSON."""
    cluster = None
    database_url = None
    if args.child_db == "postgres":
        sys.path.insert(0, str(ROOT / "tools"))
        from run_tests import PostgresCluster

        cluster = PostgresCluster()
        if not cluster.available:
            raise SystemExit("PostgreSQL (initdb/pg_ctl) not found")
        database_url = cluster.start()
    data_dir = tempfile.mkdtemp(prefix="mw-bench-send-")
    try:
        env = setup_django(data_dir, args.sink_port, database_url)
        db_cpu = DbServerCpu(os.path.join(cluster.dir, "data") if cluster else None)
        from django.db import connection

        vendor_version = (
            f"PostgreSQL {connection.cursor().connection.info.server_version // 10000}"
            if connection.vendor == "postgresql"
            else f"SQLite {__import__('sqlite3').sqlite_version} (WAL)"
        )
        sizes = args.memory_sizes if args.memory else [args.recipients]
        keys = make_dkim_keys()
        out = {"database": vendor_version, "results": []}
        created = 0
        topic = None
        for size in sorted(sizes):
            # The audience grows in place: 10k first, then the rest up to 1M.
            if topic is None:
                t0 = time.perf_counter()
                topic = create_audience(size)
                log(
                    f"{args.child_db}: {size:,} contacts created in {time.perf_counter() - t0:.1f}s"
                )
            elif size > created:
                t0 = time.perf_counter()
                extend_audience(topic, created, size)
                log(
                    f"{args.child_db}: audience grown to {size:,} "
                    f"in {time.perf_counter() - t0:.1f}s"
                )
            created = size
            variants = [{"dkim": d, "processes": p} for p in args.processes for d in args.dkim]
            for run in range(args.runs):
                for variant in variants:
                    use_dkim(variant["dkim"], keys)
                    log_path = os.path.join(data_dir, "worker.log")
                    r = run_campaign(
                        topic, size, env, variant, args, log_path, args.sink_pid, db_cpu
                    )
                    r.update(variant, recipients=size, run=run)
                    out["results"].append(r)
                    log(
                        f"{args.child_db} n={size:,} {variant} run {run + 1}/{args.runs}: "
                        f"{r['seconds']:.1f}s, {size / r['seconds']:,.0f} msg/s, "
                        f"cpu {r['cpu']:.1f}s (loop {r['cpu_loop_thread']:.1f}, db thread "
                        f"{r['cpu_db_thread']:.1f}), sink {r['sink_cpu']:.1f}s, "
                        f"db {r['db_cpu']:.1f}s, "
                        f"rss {r['rss_workers'] / 2**20:.0f} MB, pss {r['pss_tree'] / 2**20:.0f} MB"
                        + (" — DISTURBED by other test processes" if r["disturbed_by"] else "")
                    )
        if args.profile:
            variant = {"dkim": args.dkim[0], "processes": 1}
            use_dkim(variant["dkim"], keys)
            r = run_campaign(
                topic,
                created,
                env,
                variant,
                args,
                os.path.join(data_dir, "p.log"),
                args.sink_pid,
                db_cpu,
                profile=args.profile,
            )
            r.update(variant, recipients=created, run="profile")
            out["profile_run"] = r
        with open(args.child_out, "w") as f:
            json.dump(out, f)
    finally:
        from django.db import connections

        connections.close_all()
        if cluster:
            cluster.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


def extend_audience(topic, have: int, want: int, chunk: int = 10_000) -> None:
    from django.db import connection, transaction

    from mailwright.contacts.models import Contact, Subscription

    for lo in range(have, want, chunk):
        hi = min(want, lo + chunk)
        with transaction.atomic():
            Contact.objects.bulk_create(
                [Contact(id=i + 1, email=person(i)[1], name=person(i)[0]) for i in range(lo, hi)],
                batch_size=2000,
            )
            Subscription.objects.bulk_create(
                [
                    Subscription(contact_id=i + 1, topic=topic, state="confirmed", basis="bench")
                    for i in range(lo, hi)
                ],
                batch_size=2000,
            )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


# --- the parent: sink, baselines, one child per database, tables ------------------------------


def profiled_worker(path: str, worker_args: list[str]) -> None:
    """Run `mailwright worker …` in this process under cProfile, with CPU time (thread_time)
    as the timer and one profiler per thread: the event loop thread (render, compose, sign,
    SMTP) → PATH.loop, the engine's database thread (claim, prepare, record) → PATH.db."""
    import cProfile
    import functools
    from concurrent.futures import ThreadPoolExecutor

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mailwright.settings")
    import django

    django.setup()
    from mailwright import cli
    from mailwright.delivery import engine

    db_profiles = []

    def start_thread_profile():
        prof = cProfile.Profile(time.thread_time)
        db_profiles.append(prof)
        prof.enable()

    engine.ThreadPoolExecutor = functools.partial(
        ThreadPoolExecutor, initializer=start_thread_profile
    )
    loop_profile = cProfile.Profile(time.thread_time)
    loop_profile.enable()
    try:
        cli.main(worker_args)
    finally:
        loop_profile.disable()
        loop_profile.dump_stats(path + ".loop")
        if db_profiles:
            stats = pstats.Stats(db_profiles[0])
            for prof in db_profiles[1:]:
                stats.add(prof)
            stats.dump_stats(path + ".db")


def print_profile(path: str) -> None:
    for suffix, label in (
        (".loop", "event-loop thread: render, compose, sign, SMTP"),
        (".db", "database thread: claim, prepare, record"),
    ):
        if not os.path.exists(path + suffix):
            continue
        stats = pstats.Stats(path + suffix)
        print(f"\n#### {label} — {stats.total_tt:.1f} s CPU ({path}{suffix})\n")
        print("```")
        stats.sort_stats("tottime").print_stats(22)
        stats.sort_stats("cumulative").print_stats(r"mailwright|django/db|sqlite3|psycopg", 28)
        print("```")


def csv_list(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--recipients", type=int, default=100_000)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--db", type=csv_list, default=["sqlite", "postgres"], help="sqlite,postgres")
    p.add_argument("--dkim", type=csv_list, default=["none", "ed25519"], help="none,ed25519,rsa")
    p.add_argument(
        "--processes",
        type=lambda v: [int(x) for x in csv_list(v)],
        default=[2],
        help="worker processes, e.g. 1,2",
    )
    p.add_argument("--lanes", type=int, default=4, help="SMTP connections per worker process")
    p.add_argument("--batch-size", type=int, default=200)
    p.add_argument(
        "--baseline-sample",
        type=int,
        default=5000,
        help="messages timed for the smtplib + EmailMessage loop",
    )
    p.add_argument("--source-sessions", type=int, default=10)
    p.add_argument(
        "--memory",
        action="store_true",
        help="memory mode: peak worker RSS at each of --memory-sizes",
    )
    p.add_argument(
        "--memory-sizes", type=lambda v: [int(x) for x in csv_list(v)], default=[10_000, 1_000_000]
    )
    p.add_argument(
        "--profile",
        metavar="PATH",
        help="also run one worker process under cProfile, save the stats to PATH "
        "and print a summary (the first --db and --dkim)",
    )
    p.add_argument("--child-db", help=argparse.SUPPRESS)
    p.add_argument("--child-out", help=argparse.SUPPRESS)
    p.add_argument("--sink-port", type=int, help=argparse.SUPPRESS)
    p.add_argument("--sink-pid", type=int, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    for d in args.dkim:
        if d not in DKIM_ALGORITHMS:
            p.error(f"--dkim: {d!r} is not one of none, ed25519, rsa")
    for d in args.db:
        if d not in ("sqlite", "postgres"):
            p.error(f"--db: {d!r} is not one of sqlite, postgres")
    return args


def other_heavy_processes() -> list[str]:
    me = os.getpid()
    found = []
    for proc in psutil.process_iter(["pid", "cmdline"]):
        cmd = " ".join(proc.info["cmdline"] or [])
        if proc.info["pid"] != me and ("pytest" in cmd or "run_tests.py" in cmd):
            found.append(f"{proc.info['pid']}: {cmd[:80]}")
    return found


def fmt_mb(b: float) -> str:
    return f"{b / 2**20:,.0f}"


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--profile-worker":
        profiled_worker(sys.argv[2], sys.argv[4:])
        return
    args = parse_args()
    if args.child_db:
        child_main(args)
        return
    busy = other_heavy_processes()
    load_before = os.getloadavg()
    if busy:
        log(
            "warning: other heavy processes are running; numbers will be low:\n  "
            + "\n  ".join(busy)
        )
    sink = Sink()
    sink.start()
    forward = [
        "--runs",
        str(args.runs),
        "--recipients",
        str(args.recipients),
        "--dkim",
        ",".join(args.dkim),
        "--processes",
        ",".join(map(str, args.processes)),
        "--lanes",
        str(args.lanes),
        "--batch-size",
        str(args.batch_size),
        "--sink-port",
        str(sink.port),
        "--sink-pid",
        str(sink.proc.pid),
    ]
    if args.memory:
        forward += ["--memory", "--memory-sizes", ",".join(map(str, args.memory_sizes))]
    tmp = tempfile.mkdtemp(prefix="mw-bench-send-parent-")
    baselines = {"smtplib": [], "source": []}
    dbs = {}
    started = time.monotonic()
    try:
        if not args.memory:
            parts = _baseline_parts()
            sample = build_email_message(0, parts).as_bytes()
            message_file = os.path.join(tmp, "message.eml")
            with open(message_file, "wb") as f:  # smtp-source -F: LF lines, it adds CRLF
                f.write(sample.replace(b"\r\n", b"\n"))
            source_n = args.recipients
            for run in range(args.runs):
                t = smtplib_loop(sink.port, args.baseline_sample)
                baselines["smtplib"].append(t)
                sink_before = sink.cpu()
                s = smtp_source_ceiling(sink.port, source_n, args.source_sessions, message_file)
                s["sink_cpu"] = sink.cpu() - sink_before
                baselines["source"].append(s)
                log(
                    f"baselines run {run + 1}/{args.runs}: smtplib loop "
                    f"{args.baseline_sample / t:,.0f} msg/s; "
                    f"smtp-source {source_n / s['seconds']:,.0f} msg/s"
                )
            baselines["smtplib_bytes"] = len(sample)
        for i, db in enumerate(args.db):
            out = os.path.join(tmp, f"{db}.json")
            extra = ["--profile", args.profile] if args.profile and i == 0 else []
            subprocess.run(
                [sys.executable, __file__, "--child-db", db, "--child-out", out, *forward, *extra],
                check=True,
            )
            with open(out) as f:
                dbs[db] = json.load(f)
    finally:
        sink.stop()
    total = time.monotonic() - started
    report(args, baselines, dbs, load_before, busy, total)
    if args.profile:
        print(
            f"\ncProfile of one worker process ({args.db[0]}, DKIM {args.dkim[0]}, "
            f"{args.recipients:,} recipients; profiled, so slower than the runs above):\n"
        )
        r = dbs[args.db[0]].get("profile_run")
        if r:
            print(
                f"profiled run: {r['seconds']:.1f}s, {r['recipients'] / r['seconds']:,.0f} msg/s\n"
            )
        print_profile(args.profile)
    shutil.rmtree(tmp, ignore_errors=True)


def report(args, baselines, dbs, load_before, busy, total) -> None:
    cores = os.cpu_count()
    mem = psutil.virtual_memory().total / 2**30
    print(
        f"\n{datetime.date.today().isoformat()}, machine: {cores} cores, {mem:.0f} GiB, "
        f"{platform.python_implementation()} {platform.python_version()}, "
        f"{platform.system()} {platform.release()}; load average before: "
        f"{load_before[0]:.2f}; other test processes: {'yes' if busy else 'none'}; "
        f"lanes {args.lanes}, batch size {args.batch_size}; "
        f"wall time of the benchmark {total / 60:.1f} min"
    )
    try:
        rev = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "src"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
        print(f"code: commit {rev}{' with uncommitted changes under src/' if dirty else ''}")
    except OSError:
        pass
    med = statistics.median
    if args.memory:
        for data in dbs.values():
            print(f"\n### {data['database']}: memory of the delivery worker process tree\n")
            print(
                "| recipients | processes | DKIM | seconds | msg/s | peak PSS, whole tree (MB) "
                "| peak RSS sum, sending processes (MB) | peak RSS sum incl. launcher (MB) |"
            )
            print("|---:|---:|---|---:|---:|---:|---:|---:|")
            rows = {}
            for r in data["results"]:
                rows.setdefault((r["recipients"], r["processes"], r["dkim"]), []).append(r)
            peaks = {}
            for (n, p, d), rs in sorted(rows.items()):
                rss = med([r["rss_workers"] for r in rs])
                pss = med([r.get("pss_tree", 0) for r in rs])
                peaks.setdefault((p, d), []).append((n, rss, pss))
                print(
                    f"| {n:,} | {p} | {d} | {med([r['seconds'] for r in rs]):.1f} | "
                    f"{n / med([r['seconds'] for r in rs]):,.0f} | {fmt_mb(pss)} | "
                    f"{fmt_mb(rss)} | {fmt_mb(med([r['rss_tree'] for r in rs]))} |"
                )
            for (p, d), pairs in peaks.items():
                if len(pairs) > 1:
                    (n0, r0, p0), (n1, r1, p1) = pairs[0], pairs[-1]
                    print(
                        f"\nprocesses {p}, DKIM {d}: at {n1:,} / at {n0:,}: RSS {r1 / r0:.2f} "
                        f"({(r1 / r0 - 1) * 100:+.0f} %), PSS {p1 / p0:.2f} "
                        f"({(p1 / p0 - 1) * 100:+.0f} %); target within ±20 %"
                    )
        return
    n = args.recipients
    base_rate = args.baseline_sample / med(baselines["smtplib"])
    src = baselines["source"]
    src_rate = n / med([s["seconds"] for s in src])
    for db, data in dbs.items():
        sizes = {r["message_bytes"] for r in data["results"]}
        print(
            f"\n### {data['database']}: {n:,} recipients, median of {args.runs} runs "
            f"(message {min(sizes) / 1024:.1f}–{max(sizes) / 1024:.1f} KB as sent)\n"
        )
        print(
            "| sender | processes | DKIM | median seconds | messages/second | "
            "CPU s / 1,000 msgs (workers) | sink CPU s / 1,000 | DB server CPU s / 1,000 | "
            "peak PSS, worker tree (MB) | peak RSS sum, sending processes (MB) | "
            "ratio to smtplib loop |"
        )
        print("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        groups = {}
        for r in data["results"]:
            groups.setdefault((r["processes"], r["dkim"]), []).append(r)
        for (p, d), rs in groups.items():
            secs = med([r["seconds"] for r in rs])
            rate = n / secs
            cpu = med([r["cpu"] for r in rs]) / n * 1000
            sink_cpu = med([r["sink_cpu"] for r in rs]) / n * 1000
            db_cpu = med([r["db_cpu"] for r in rs]) / n * 1000
            db_cell = f"{db_cpu:.2f}" if db == "postgres" else "(in workers)"
            rss = med([r["rss_workers"] for r in rs])
            pss = med([r.get("pss_tree", 0) for r in rs])
            flag = " ⚠ disturbed" if any(r["disturbed_by"] for r in rs) else ""
            print(
                f"| Mailwright worker → smtp-sink{flag} | {p} | {d} | {secs:.1f} | {rate:,.0f} | "
                f"{cpu:.2f} | {sink_cpu:.2f} | {db_cell} | {fmt_mb(pss)} | {fmt_mb(rss)} | "
                f"{rate / base_rate:.1f}× |"
            )
        print(
            f"| smtplib + EmailMessage loop ({args.baseline_sample:,}-message sample, "
            f"{baselines['smtplib_bytes'] / 1024:.1f} KB) | 1 | none | "
            f"{med(baselines['smtplib']):.1f} | {base_rate:,.0f} | — | — | — | — | — | 1.0× |"
        )
        print(
            f"| sink ceiling: smtp-source, {args.source_sessions} sessions, pre-built | — | none | "
            f"{med([s['seconds'] for s in src]):.1f} | {src_rate:,.0f} | "
            f"{med([s['cpu'] for s in src]) / n * 1000:.2f} (smtp-source) | "
            f"{med([s['sink_cpu'] for s in src]) / n * 1000:.2f} | — | — | — | "
            f"{src_rate / base_rate:.1f}× |"
        )


if __name__ == "__main__":
    main()
