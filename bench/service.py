"""Benchmark: service (transactional) mail latency and API throughput.

Latency: from the `POST /api/v1/messages` request (a password reset from a service template,
with an Idempotency-Key) to the relay's 250 reply, measured as the worker's `sent_at` of the
delivery (written when the batch's replies are in, so a little after the 250 itself), minus
the time the request was sent (same machine, same clock). Two phases per run:
  - idle: the worker has nothing else to do; one message every --interval seconds;
  - campaign: while a --recipients campaign (bench/send.py's ~15 KB personalised newsletter)
    is sending, one message every --interval seconds; only messages requested before the
    campaign's last delivery was sent count.
Throughput: --api-requests `POST /api/v1/messages`, each with its own Idempotency-Key, from
--api-clients threads over keep-alive connections; accepted (202) messages per second.

Everything runs as deployed: `mailwright web --workers 2` (uvicorn), `mailwright worker
--processes N` (default idle sleep: the wake-up socket is what makes an idle worker fast),
Postfix's smtp-sink as the relay, SQLite (WAL) or a throwaway PostgreSQL cluster.

Usage: python bench/service.py [--recipients 50000] [--messages 200] [--runs 3]
                               [--db sqlite,postgres] [--processes 2] [--lanes 4]
                               [--batch-size 100] [--api-requests 2000] [--api-clients 8]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid

import send
from ports import free_port, wait_port

ROOT = send.ROOT
log = send.log


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--recipients", type=int, default=50_000)
    p.add_argument("--messages", type=int, default=200, help="service messages per phase")
    p.add_argument("--interval", type=float, default=0.1, help="seconds between them")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--db", type=send.csv_list, default=["sqlite", "postgres"])
    p.add_argument("--processes", type=int, default=2)
    p.add_argument("--lanes", type=int, default=4)
    p.add_argument("--batch-size", type=int, default=100)
    p.add_argument("--api-requests", type=int, default=2000)
    p.add_argument("--api-clients", type=int, default=8)
    p.add_argument("--web-workers", type=int, default=2, help="mailwright web --workers")
    p.add_argument(
        "--no-wake",
        action="store_true",
        help="the comparison: workers cannot bind their wake sockets, so they only poll",
    )
    p.add_argument("--child-db", help=argparse.SUPPRESS)
    p.add_argument("--child-out", help=argparse.SUPPRESS)
    p.add_argument("--sink-port", type=int, help=argparse.SUPPRESS)
    return p.parse_args(argv)


# --- the API client ----------------------------------------------------------------------------


class Api:
    """POST /api/v1/messages over one keep-alive connection."""

    def __init__(self, port: int, key: str) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}

    def send(self, to: str, n: int) -> tuple[int, dict]:
        body = {
            "template": "password-reset",
            "to": to,
            "data": {**RESET_DATA, "reset_url": f"https://shop.example.com/r/{uuid.uuid4().hex}"},
        }
        headers = {**self.headers, "Idempotency-Key": f"bench-{uuid.uuid4().hex}-{n}"}
        try:
            return self._post(body, headers)
        except (ConnectionError, http.client.RemoteDisconnected):
            # The server closed the idle keep-alive connection: reconnect and retry, safely
            # with the same Idempotency-Key.
            self.conn.close()
            return self._post(body, headers)

    def _post(self, body: dict, headers: dict) -> tuple[int, dict]:
        self.conn.request("POST", "/api/v1/messages", json.dumps(body), headers)
        response = self.conn.getresponse()
        return response.status, json.loads(response.read() or b"{}")

    def close(self) -> None:
        self.conn.close()


RESET_DATA: dict = {}


def service_template() -> None:
    """The starter library's password-reset (installed by migrate), sent with its example
    data and a fresh reset link each time: the realistic ~15 KB message, not a stub."""
    from mailwright.campaigns.starters import library

    RESET_DATA.update(library.get("password-reset").example())


# --- the phases --------------------------------------------------------------------------------


def request_messages(api: Api, count: int, interval: float, keep_going=lambda: True) -> dict:
    """Send up to `count` messages, one every `interval` s; {delivery id: request time}."""
    asked = {}
    for n in range(count):
        if not keep_going():
            break
        at = time.time()
        status, body = api.send(f"reset{n % 50}@example.org", n)
        if status != 202:
            raise RuntimeError(f"POST /messages answered {status}: {body}")
        asked[body["id"]] = at
        time.sleep(max(0.0, interval - (time.time() - at)))
    return asked


def latencies(asked: dict, until: float | None = None, timeout: float = 300) -> list[float]:
    """Wait until every asked message is sent; their latencies (s), those asked before
    `until` only."""
    from mailwright.transactional.models import Message

    deadline = time.monotonic() + timeout
    while True:
        rows = dict(
            Message.objects.filter(id__in=list(asked)).values_list("id", "delivery__sent_at")
        )
        if all(rows.get(i) for i in asked):
            break
        if time.monotonic() > deadline:
            raise RuntimeError("service messages not sent in time")
        time.sleep(0.2)
    return sorted(
        rows[i].timestamp() - at for i, at in asked.items() if until is None or at < until
    )


def drain(timeout: float = 300) -> None:
    """Wait until no service mail is left to send."""
    from mailwright.delivery.models import PENDING_STATES, Delivery

    deadline = time.monotonic() + timeout
    while Delivery.objects.filter(stream="service", state__in=PENDING_STATES).exists():
        if time.monotonic() > deadline:
            raise RuntimeError("service mail still pending")
        time.sleep(0.2)


def percentile(values: list[float], q: float) -> float:
    return values[min(len(values) - 1, int(len(values) * q))]


def campaign_phase(api: Api, topic, args) -> dict:
    from django.db.models import Max

    from mailwright.campaigns.campaigns import create_campaign
    from mailwright.campaigns.models import Campaign
    from mailwright.campaigns.templates import save_template
    from mailwright.delivery import sending
    from mailwright.delivery.models import Delivery

    tpl = save_template(
        name=f"bench-{time.time_ns()}", subject=send.SUBJECT, html=send.HTML, text=send.TEXT
    )
    campaign = create_campaign(name="bench", template_id=tpl.id, topic_keys=[topic.key])
    started = time.time()
    sending.start(campaign.id)

    def sending_still() -> bool:
        return Campaign.objects.filter(id=campaign.id, state="sending").exists()

    asked = request_messages(api, args.messages, args.interval, sending_still)
    while sending_still():
        time.sleep(0.2)
    last = Delivery.objects.filter(campaign_id=campaign.id).aggregate(m=Max("sent_at"))["m"]
    counts = sending.delivery_counts(campaign.id)
    if counts["sent"] != args.recipients:
        raise RuntimeError(f"campaign: {counts}")
    during = latencies(asked, until=last.timestamp())
    send.cleanup_campaign(campaign.id)
    return {
        "latencies": during,
        "asked": len(asked),
        "campaign_seconds": last.timestamp() - started,
    }


def api_throughput(port: int, key: str, requests: int, clients: int) -> dict:
    done = []
    errors = []

    def client(share: int) -> None:
        api = Api(port, key)
        try:
            for n in range(share):
                status, _ = api.send(f"tp{n % 100}@example.org", n)
                (done if status == 202 else errors).append(status)
        finally:
            api.close()

    threads = [threading.Thread(target=client, args=(requests // clients,)) for _ in range(clients)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - t0
    if errors:
        raise RuntimeError(f"{len(errors)} requests refused: {sorted(set(errors))}")
    return {"accepted": len(done), "seconds": seconds, "per_second": len(done) / seconds}


# --- one database --------------------------------------------------------------------------------


def child_main(args) -> None:
    cluster = database_url = None
    if args.child_db == "postgres":
        sys.path.insert(0, str(ROOT / "tools"))
        from run_tests import PostgresCluster

        cluster = PostgresCluster()
        if not cluster.available:
            raise SystemExit("PostgreSQL (initdb/pg_ctl) not found")
        database_url = cluster.start()
    data_dir = tempfile.mkdtemp(prefix="mw-bs-")  # short: the wake sockets live under it
    procs: list[subprocess.Popen] = []
    try:
        env = send.setup_django(data_dir, args.sink_port, database_url)
        from django.db import connection

        from mailwright.api import keys

        vendor = "PostgreSQL" if connection.vendor == "postgresql" else "SQLite (WAL)"
        topic = send.create_audience(args.recipients)
        service_template()
        _, key = keys.create("bench")
        port = free_port()
        env = {**env, "MW_HTTP_ADDR": f"127.0.0.1:{port}", "MW_LOG_LEVEL": "WARNING"}
        if args.no_wake:
            # A file where the socket directory would be: binding fails, workers only poll
            # every MW_WORKER_IDLE_SECONDS, as before wake.py.
            os.makedirs(os.path.join(data_dir, "run"), exist_ok=True)
            open(os.path.join(data_dir, "run", "wake"), "w").close()
        logs = open(os.path.join(data_dir, "processes.log"), "ab")
        worker_argv = [sys.executable, "-m", "mailwright", "worker", "--processes"]
        worker_argv += [str(args.processes), "--lanes", str(args.lanes)]
        worker_argv += ["--batch-size", str(args.batch_size)]
        web_argv = [sys.executable, "-m", "mailwright", "web", "--workers", str(args.web_workers)]
        for argv in (web_argv, worker_argv):
            procs.append(subprocess.Popen(argv, env=env, stdout=logs, stderr=logs))
        wait_port(port)
        api = Api(port, key)
        out = {"database": vendor, "runs": []}
        for run in range(args.runs):
            idle = latencies(request_messages(api, args.messages, args.interval))
            busy = campaign_phase(api, topic, args)
            tp = api_throughput(port, key, args.api_requests, args.api_clients)
            drain()  # the next run starts with an idle worker
            result = {"idle": idle, **busy, "api": tp}
            out["runs"].append(result)
            log(
                f"{args.child_db} run {run + 1}/{args.runs}: idle p50 "
                f"{percentile(idle, 0.5) * 1000:.0f} ms p99 {percentile(idle, 0.99) * 1000:.0f} ms;"
                f" during the campaign ({busy['campaign_seconds']:.1f} s, {len(busy['latencies'])}"
                f" of {busy['asked']} messages) p50 {percentile(busy['latencies'], 0.5) * 1000:.0f}"
                f" ms p99 {percentile(busy['latencies'], 0.99) * 1000:.0f} ms;"
                f" API {tp['per_second']:.0f} accepted/s"
            )
        api.close()
        with open(args.child_out, "w") as f:
            json.dump(out, f)
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=60)
        from django.db import connections

        connections.close_all()
        if cluster:
            cluster.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


# --- the report ----------------------------------------------------------------------------------


def ms(value: float) -> str:
    return f"{value * 1000:,.0f}"


def report(args, dbs: dict, load_before, load_after, total: float) -> None:
    print(
        f"\nbench/service.py — {platform.node()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}; load average before "
        f"{' / '.join(f'{x:.2f}' for x in load_before)}, after "
        f"{' / '.join(f'{x:.2f}' for x in load_after)}; {total:.0f} s in all\n"
        f"command: python bench/service.py {' '.join(sys.argv[1:])}\n"
        f"worker: {args.processes} processes × {args.lanes} lanes, batches of "
        f"{args.batch_size}; web: {args.web_workers} uvicorn workers, {args.api_clients} API "
        f"clients; {args.messages} service messages per phase, one every "
        f"{args.interval} s; campaign of {args.recipients:,} recipients; medians of "
        f"{args.runs} runs"
        + ("; wake-up sockets OFF (polling only)" if args.no_wake else "")
        + "\n"
    )
    print(
        "| database | idle p50 ms | idle p99 ms | campaign p50 ms | campaign p99 ms "
        "| campaign seconds (msg/s) | API accepted msg/s |"
    )
    print("|---|---|---|---|---|---|---|")
    for out in dbs.values():
        runs = out["runs"]

        def med(fn, runs=runs):
            return statistics.median(fn(r) for r in runs)

        seconds = med(lambda r: r["campaign_seconds"])
        print(
            f"| {out['database']} | {ms(med(lambda r: percentile(r['idle'], 0.5)))} "
            f"| {ms(med(lambda r: percentile(r['idle'], 0.99)))} "
            f"| {ms(med(lambda r: percentile(r['latencies'], 0.5)))} "
            f"| {ms(med(lambda r: percentile(r['latencies'], 0.99)))} "
            f"| {seconds:.1f} ({args.recipients / seconds:,.0f}) "
            f"| {med(lambda r: r['api']['per_second']):,.0f} |"
        )


def main() -> None:
    args = parse_args()
    if args.child_db:
        child_main(args)
        return
    load_before = os.getloadavg()
    busy = send.other_heavy_processes()
    if busy:
        log("warning: other heavy processes are running:\n  " + "\n  ".join(busy))
    sink = send.Sink()
    sink.start()
    tmp = tempfile.mkdtemp(prefix="mw-bench-service-")
    dbs = {}
    started = time.monotonic()
    forward = [
        f"--{k.replace('_', '-')}={v}"
        for k, v in vars(args).items()
        if v is not None and not isinstance(v, bool)
    ]
    forward += ["--no-wake"] if args.no_wake else []
    forward = [a for a in forward if not a.startswith(("--db=", "--child", "--sink"))]
    try:
        for db in args.db:
            out = os.path.join(tmp, f"{db}.json")
            subprocess.run(
                [sys.executable, __file__, *forward, f"--db={db}", "--child-db", db,
                 "--child-out", out, "--sink-port", str(sink.port)],
                check=True,
            )  # fmt: skip
            with open(out) as f:
                dbs[db] = json.load(f)
    finally:
        sink.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    report(args, dbs, load_before, os.getloadavg(), time.monotonic() - started)


if __name__ == "__main__":
    main()
