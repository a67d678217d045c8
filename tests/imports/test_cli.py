"""`mailwright import` as a user runs it: a real subprocess on the test database, its exit
codes, its report, and a run killed with SIGKILL mid-import then resumed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from django.conf import settings

from mailwright.consent import ledger
from mailwright.consent.models import ConsentEvent
from mailwright.contacts.models import Contact, Subscription
from mailwright.imports.models import Import
from tests.delivery.test_crash_recovery import database_url

pytestmark = pytest.mark.django_db(transaction=True)


def env(tmp_path, **extra) -> dict:
    return {
        **os.environ,
        "DATABASE_URL": database_url(),
        "MW_DATA_DIR": str(tmp_path),
        "MW_SECRET_KEY": settings.SECRET_KEY,
        **extra,
    }


def mailwright(tmp_path, *args, **extra) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "mailwright", "import", *args],
        env=env(tmp_path, **extra),
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_report_summary_and_exit_code_0(newsletter, tmp_path):
    path = tmp_path / "customers.csv"
    path.write_text(
        "Email,Name,Consent\nana@example.pl,Ana,yes\n=cmd|' /C calc'!A0,Evil,yes\n"
        "jan@example.pl,Jan,yes\nola@example.pl,Ola,yes\nANA@example.pl,,\n",
        encoding="utf-8",
    )
    done = mailwright(
        tmp_path,
        str(path),
        "--topic",
        "newsletter",
        "--basis",
        "existing customers",
        "--confirm-risky",
    )
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["state"] == "done"
    assert summary["counts"] == {
        "imported": 3,
        "updated": 0,
        "merged": 1,
        "rejected": 1,
        "unchanged": 0,
    }
    assert "line 3: Email:" in done.stderr
    assert f"report: {summary['report_path']}" in done.stderr
    report = open(summary["report_path"], encoding="utf-8").read().splitlines()
    assert report[0] == "record,line,email,outcome,reason"
    assert report[1].startswith("2,3,'=cmd")  # formula-injection safe
    assert report[2].startswith("5,6,ANA@example.pl,merged,same address as line 2")
    assert Subscription.objects.filter(state="confirmed").count() == 3


def test_nothing_imported_exits_1_and_held_exits_3(newsletter, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("email\nnope\nalso-nope\n", encoding="utf-8")
    failed = mailwright(
        tmp_path, str(bad), "--topic", "newsletter", "--basis", "x", "--confirm-risky"
    )
    assert failed.returncode == 1
    assert "nothing could be imported" in failed.stderr

    risky = tmp_path / "scraped.csv"
    risky.write_text("email\n" + "".join(f"p{i}@example.pl\n" for i in range(20)), encoding="utf-8")
    held = mailwright(tmp_path, str(risky), "--topic", "newsletter", "--basis", "web")
    assert held.returncode == 3
    assert "HELD" in held.stderr and "consent" in held.stderr
    imp_id = json.loads(held.stdout)["id"]
    assert f"mailwright import --resume {imp_id} --confirm-risky" in held.stderr
    assert Contact.objects.count() == 0
    confirmed = mailwright(tmp_path, "--resume", str(imp_id), "--confirm-risky")
    assert confirmed.returncode == 0, confirmed.stderr
    assert Contact.objects.count() == 20


def test_missing_basis_unknown_topic_and_not_a_csv_are_clear_errors(newsletter, tmp_path):
    path = tmp_path / "list.csv"
    path.write_text("email\na@example.pl\n", encoding="utf-8")
    no_basis = mailwright(tmp_path, str(path), "--topic", "newsletter")
    assert no_basis.returncode == 1 and "the lawful basis is required" in no_basis.stderr
    no_topic = mailwright(tmp_path, str(path), "--topic", "nope", "--basis", "x")
    assert no_topic.returncode == 1 and "unknown topic 'nope'" in no_topic.stderr
    pdf = tmp_path / "list.pdf"
    pdf.write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n")
    not_csv = mailwright(tmp_path, str(pdf), "--topic", "newsletter", "--basis", "x")
    assert not_csv.returncode == 1 and "PDF" in not_csv.stderr
    assert Import.objects.count() == 0  # failed uploads are not left behind
    assert list((tmp_path / "imports").iterdir()) == []


def test_killed_mid_import_then_resumed_imports_everything_once(newsletter, tmp_path):
    rows = 30_000
    path = tmp_path / "big.csv"
    with path.open("w", encoding="utf-8") as f:
        f.write("email,name,consent\n")
        for i in range(rows):
            f.write(f"person{i}@example.pl,Person {i},yes\n")
        for i in range(0, 1000, 10):  # duplicates of early rows, after the kill point
            f.write(f"Person{i}@Example.pl,,yes\n")
    extra = {"MW_IMPORT_BATCH_SIZE": "500", "MW_IMPORT_STALE_SECONDS": "3"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mailwright",
            "import",
            str(path),
            "--topic",
            "newsletter",
            "--basis",
            "existing customers",
            "--confirm-risky",
        ],
        env=env(tmp_path, **extra),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        done = Import.objects.values_list("records_done", flat=True).first() or 0
        if done >= 3000:
            break
        assert proc.poll() is None, "the import ended before it could be killed"
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    imp = Import.objects.get()
    assert imp.state == Import.State.RUNNING and 3000 <= imp.records_done < rows
    assert Contact.objects.count() == imp.records_done  # nothing half-written

    time.sleep(3.5)  # its heartbeat goes stale
    resumed = mailwright(tmp_path, "--resume", str(imp.pk), **extra)
    assert resumed.returncode == 0, resumed.stderr
    imp.refresh_from_db()
    assert imp.state == Import.State.DONE
    assert imp.counts == {
        "imported": rows,
        "updated": 0,
        "merged": 100,
        "rejected": 0,
        "unchanged": 0,
    }
    assert Contact.objects.count() == rows
    assert Subscription.objects.filter(state="confirmed").count() == rows
    assert ConsentEvent.objects.filter(channel="import").count() == rows
    assert imp.issues.filter(outcome="merged").count() == 100
    assert ledger.verify().ok
