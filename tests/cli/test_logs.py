"""MW_LOG_FORMAT=json: every line a command writes to stderr is one JSON object."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from django.conf import settings

from mailwright.delivery import sending
from tests.conftest import make_campaign, make_contact
from tests.delivery.test_crash_recovery import database_url

pytestmark = pytest.mark.django_db(transaction=True)


def run(tmp_path, *args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "mailwright", *args],
        env={
            **os.environ,
            "DATABASE_URL": database_url(),
            "MW_DATA_DIR": str(tmp_path),
            "MW_SECRET_KEY": settings.SECRET_KEY,
            "MW_ORG_ADDRESS": "1 Test Street, Testville",
            **env,
        },
        capture_output=True,
        timeout=120,
    )


def json_lines(stderr: bytes) -> list[dict]:
    lines = [line for line in stderr.decode().splitlines() if line.strip()]
    assert lines, "nothing was logged"
    parsed = []
    for line in lines:
        try:
            entry = json.loads(line)
        except ValueError:
            raise AssertionError(f"not JSON: {line!r}") from None
        assert isinstance(entry, dict)
        assert {"time", "level", "logger", "message"} <= set(entry), entry
        parsed.append(entry)
    return parsed


def test_worker_logs_one_json_object_a_line(tmp_path, smtp_sink, newsletter):
    for i in range(3):
        make_contact(f"j{i}@example.com", newsletter)
    sending.start(make_campaign(newsletter).id)
    done = run(
        tmp_path,
        "worker",
        "--processes",
        "2",
        "--lanes",
        "1",
        "--until-idle",
        MW_LOG_FORMAT="json",
        MW_RELAY_URL=f"smtp://{smtp_sink.host}:{smtp_sink.port}",
    )
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    entries = json_lines(done.stderr)
    assert len(smtp_sink.messages) == 3
    stopped = [e for e in entries if "stopped;" in e["message"]]
    assert len(stopped) == 2, entries  # one per worker process
    assert sum(int(e["message"].split("; ")[1].split()[0]) for e in stopped) == 3
    assert {e["level"] for e in stopped} == {"INFO"}
    assert all(e["time"].endswith("+00:00") for e in entries)


def test_an_exception_is_logged_with_its_traceback_in_the_object(tmp_path):
    code = (
        "import logging\n"
        "try:\n"
        "    1 / 0\n"
        "except ZeroDivisionError:\n"
        "    logging.getLogger('mailwright.test').exception('it \"failed\"\\nbadly')\n"
    )
    done = run(tmp_path, "shell", "-c", code, MW_LOG_FORMAT="json")
    entries = json_lines(done.stderr)
    failed = [e for e in entries if e["logger"] == "mailwright.test"]
    assert len(failed) == 1, entries
    assert failed[0]["level"] == "ERROR"
    assert failed[0]["message"] == 'it "failed"\nbadly'
    assert "ZeroDivisionError: division by zero" in failed[0]["exception"]
    assert failed[0]["exception"].startswith("Traceback")


def test_a_bad_log_format_stops_start_up(tmp_path):
    done = run(tmp_path, "check", MW_LOG_FORMAT="xml")
    assert done.returncode == 2
    assert "MW_LOG_FORMAT must be one of text, json, got 'xml'" in done.stderr.decode()
