"""`mailwright up` on a fresh data directory: migrates, prints the first admin password once,
serves the web app, runs the capture relay, restarts a crashed child, and stops cleanly."""

from __future__ import annotations

import os
import re
import select
import signal
import smtplib
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from email.message import EmailMessage

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def children_of(pid: int) -> dict[str, int]:
    """Map each child's mailwright subcommand to its pid (from /proc)."""
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
            if ppid != pid:
                continue
            with open(f"/proc/{entry}/cmdline", "rb") as fh:
                argv = fh.read().split(b"\0")
        except (FileNotFoundError, ProcessLookupError, IndexError, ValueError):
            continue
        if b"mailwright" in argv:
            found[argv[argv.index(b"mailwright") + 1].decode()] = int(entry)
    return found


def wait_until(predicate, timeout=30.0, what=""):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"timed out: {what}")


def smtp_accepts(port: int) -> bool:
    msg = EmailMessage()
    msg["From"] = "a@example.com"
    msg["To"] = "b@example.com"
    msg["Subject"] = "through up"
    msg.set_content("hi")
    with smtplib.SMTP("127.0.0.1", port, timeout=5) as smtp:
        smtp.send_message(msg)
    return True


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")
def test_up_runs_and_supervises_every_part(tmp_path):
    http_port, capture_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "MW_SECRET_KEY"}}
    env.update(
        MW_DATA_DIR=str(tmp_path),
        MW_HTTP_ADDR=f"127.0.0.1:{http_port}",
        MW_CAPTURE_ADDR=f"127.0.0.1:{capture_port}",
        MW_INBOUND_ADDR=f"127.0.0.1:{free_port()}",
        PYTHONUNBUFFERED="1",
    )
    up = subprocess.Popen(
        [sys.executable, "-m", "mailwright", "up"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=(tmp_path / "up.log").open("wb"),
    )
    printed = ""
    try:
        # The one-time password is printed on stdout.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and "Change it" not in printed:
            ready, _, _ = select.select([up.stdout], [], [], 1)
            if ready:
                chunk = os.read(up.stdout.fileno(), 65536)
                if not chunk:
                    break
                printed += chunk.decode()
        assert re.search(r"password: \S{12,}", printed), printed
        assert f"http://127.0.0.1:{http_port}/login/" in printed

        wait_until(
            lambda: (
                urllib.request.urlopen(f"http://127.0.0.1:{http_port}/login/", timeout=5).status
                == 200
            ),
            60,
            "the web app to answer",
        )
        wait_until(lambda: smtp_accepts(capture_port), 30, "the capture relay to accept mail")
        db = sqlite3.connect(tmp_path / "mailwright.sqlite3")
        wait_until(
            lambda: db.execute("select count(*) from delivery_capturedmessage").fetchone()[0] == 1,
            10,
            "the captured message to be stored",
        )
        assert set(children_of(up.pid)) == {
            "web",
            "worker",
            "tasks",
            "scheduler",
            "inbound",
            "capture",
        }

        # A crashed child is logged and restarted.
        old = children_of(up.pid)["capture"]
        os.kill(old, signal.SIGKILL)
        wait_until(
            lambda: children_of(up.pid).get("capture") not in (None, old), 30, "capture restart"
        )
        wait_until(lambda: smtp_accepts(capture_port), 30, "the restarted relay to accept mail")
        # Running `up` again does not create a second admin or print a password.
        second = subprocess.run(
            [
                sys.executable,
                "-m",
                "mailwright",
                "shell",
                "-c",
                "from django.contrib.auth.models import User; print(User.objects.count())",
            ],
            env=env,
            capture_output=True,
            timeout=60,
        )
        assert second.stdout.decode().strip().splitlines()[-1] == "1"
    finally:
        kids = children_of(up.pid)
        up.send_signal(signal.SIGTERM)
        try:
            up.wait(timeout=30)
        finally:
            if up.poll() is None:
                up.kill()
    err = (tmp_path / "up.log").read_text()
    assert up.returncode == 0, err[-3000:]
    assert "capture exited with code -9" in err and "restarting" in err
    for pid in kids.values():
        assert not os.path.exists(f"/proc/{pid}") or _is_zombie(pid), "child left running"


def _is_zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


QUEUE_A_CAMPAIGN = """
from mailwright.delivery import sending
from mailwright.campaigns.campaigns import create_campaign
from mailwright.campaigns.templates import save_template
from mailwright.contacts.models import Contact, Subscription, Topic

topic = Topic.objects.create(key="news", name="News", consent_text="Send me news")
Contact.objects.bulk_create([Contact(email=f"r{i}@example.com") for i in range(300)])
Subscription.objects.bulk_create(
    [Subscription(contact=c, topic=topic, state="confirmed", basis="test")
     for c in Contact.objects.all()]
)
tpl = save_template(name="T", subject="Hi", html='<p>Hi <a href="{{ unsubscribe_url }}">x</a></p>')
campaign = create_campaign(name="C", template_id=tpl.id, topic_keys=["news"])
print(sending.start(campaign.id).recipients_total)
"""


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")
def test_up_starts_the_worker_once_the_capture_relay_listens(tmp_path):
    """A campaign queued before `mailwright up` starts goes out at once: the worker starts
    only once the capture relay (and the inbound server) accept connections, so no batch
    meets a refused connection and waits for a retry (MW_RETRY_BASE_SECONDS, 600 s here)."""
    capture_port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "MW_SECRET_KEY"}}
    env.update(
        MW_DATA_DIR=str(tmp_path),
        MW_HTTP_ADDR=f"127.0.0.1:{free_port()}",
        MW_CAPTURE_ADDR=f"127.0.0.1:{capture_port}",
        MW_INBOUND_ADDR=f"127.0.0.1:{free_port()}",
        MW_ORG_ADDRESS="1 Main St, Springfield",
        MW_RETRY_BASE_SECONDS="600",
        PYTHONUNBUFFERED="1",
    )
    mw = [sys.executable, "-m", "mailwright"]
    subprocess.run([*mw, "migrate"], env=env, check=True, capture_output=True, timeout=120)
    queued = subprocess.run(
        [*mw, "shell", "-c", QUEUE_A_CAMPAIGN], env=env, capture_output=True, timeout=120
    )
    assert queued.stdout.decode().split()[-1] == "300", queued.stderr.decode()[-2000:]

    log = tmp_path / "up.log"
    up = subprocess.Popen([*mw, "up"], env=env, stdout=subprocess.DEVNULL, stderr=log.open("wb"))
    db = sqlite3.connect(tmp_path / "mailwright.sqlite3", timeout=30)

    def states() -> dict[str, int]:
        rows = db.execute("select state, count(*) from delivery_delivery group by state")
        return dict(rows.fetchall())

    try:
        wait_until(lambda: states().get("sent") == 300, 90, f"all 300 sent: {states()}")
    finally:
        up.send_signal(signal.SIGTERM)
        try:
            up.wait(timeout=30)
        finally:
            if up.poll() is None:
                up.kill()
    deferred = db.execute("select count(*) from feedback_event where type = 'deferred'").fetchone()[
        0
    ]
    assert deferred == 0, "a delivery was deferred: the worker started before the relay"
    err = log.read_text()
    ready = err.index(f"capture is listening on 127.0.0.1:{capture_port}")
    assert err.index("inbound is listening on") > ready
    assert err.index("started worker (pid") > err.index("inbound is listening on"), err[-3000:]
