"""`mailwright hygiene check`, run as a user runs it: a subprocess fed by stdin or a file,
hostile lines included."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tracemalloc
from pathlib import Path

from mailwright.contacts.hygiene import Verdict
from mailwright.contacts.management.commands.hygiene import read_addresses
from tests.contacts.test_hygiene import TinyDns

MAILWRIGHT = str(Path(sys.executable).with_name("mailwright"))


def run(tmp_path, *args: str, stdin: bytes = b"") -> subprocess.CompletedProcess:
    return subprocess.run(
        [MAILWRIGHT, "hygiene", "check", *args],
        input=stdin,
        env={**os.environ, "MW_DATA_DIR": str(tmp_path)},
        capture_output=True,
        timeout=60,
    )


def verdicts(stdout: bytes) -> list[dict]:
    return [json.loads(line) for line in stdout.decode("utf-8").splitlines()]


def test_stdin_one_json_verdict_per_address_in_order(tmp_path):
    done = run(
        tmp_path,
        "--offline",
        stdin="Ana@Gmail.com\n\n  \ninfo@firma.pl\r\nana@gmial.com\nnot-an-address\n"
        "ñoño@example.es".encode(),
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == b""
    lines = verdicts(done.stdout)
    assert lines[0] == {
        "address": "Ana@Gmail.com",
        "valid": True,
        "normalized": "Ana@gmail.com",
        "reasons": [],
        "suggestion": None,
        "risk": "ok",
    }
    assert [(v["address"], v["risk"]) for v in lines] == [
        ("Ana@Gmail.com", "ok"),
        ("info@firma.pl", "role"),
        ("ana@gmial.com", "typo"),
        ("not-an-address", "invalid"),
        ("ñoño@example.es", "ok"),
    ]
    assert lines[2]["suggestion"] == "ana@gmail.com"
    assert lines[3]["valid"] is False and lines[3]["reasons"] == [
        "An email address must have an @-sign."
    ]


def test_file_with_hostile_lines(tmp_path):
    path = tmp_path / "list.txt"
    path.write_bytes(
        b"\xef\xbb\xbfana@example.com\n"  # a BOM on the first line
        + b"nul\x00@example.com\n"
        + b"x" * 10_000
        + b"@example.com\n"  # a 10 KB line
        + b"zaz\xf3\xb3\xe6@example.pl\n"  # Windows-1250, not UTF-8
        + b"\xff\xfe\n"
        + b"last@example.com"  # no final line break
    )
    done = run(tmp_path, "--offline", "--summary", str(path))
    assert done.returncode == 0, done.stderr
    lines = verdicts(done.stdout)
    assert [v["risk"] for v in lines] == ["ok", "invalid", "invalid", "invalid", "invalid", "ok"]
    assert lines[0]["address"] == "ana@example.com"
    assert lines[1]["reasons"] == ["The email address contains a line break or NUL character."]
    assert lines[2]["reasons"] == ["The line is longer than 4096 bytes."]
    assert lines[2]["address"] == "x" * 80 + "…"
    assert lines[3]["reasons"] == ["The line is not valid UTF-8 (byte 0xf3 at position 4)."]
    assert lines[3]["address"] == "zaz\ufffd\ufffd@example.pl"
    assert lines[5]["address"] == "last@example.com"
    summary = json.loads(done.stderr)
    assert summary["total"] == 6
    assert summary["counts"]["invalid"] == 4
    assert summary["looks_bought"] is True
    assert summary["warnings"][0].startswith("66.7 % of the addresses are invalid")


def test_a_huge_line_without_line_breaks_is_not_read_into_memory(tmp_path):
    path = tmp_path / "blob.txt"
    with path.open("wb") as f:
        for _ in range(32):
            f.write(b"y" * (1 << 20))  # 32 MiB, one line
        f.write(b"\nok@example.com\n")
    tracemalloc.start()
    try:
        with path.open("rb") as stream:
            items = list(read_addresses(stream))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1 << 20, f"{peak} bytes"
    assert isinstance(items[0], Verdict)
    assert items[0].reasons == ("The line is longer than 4096 bytes.",)
    assert items[1] == "ok@example.com"

    done = run(tmp_path, "--offline", str(path))  # and the command copes as well
    assert done.returncode == 0, done.stderr
    assert [v["risk"] for v in verdicts(done.stdout)] == ["invalid", "ok"]


def test_a_missing_file_is_a_clear_error(tmp_path):
    done = run(tmp_path, "--offline", str(tmp_path / "nope.txt"))
    assert done.returncode == 1
    assert b"cannot read" in done.stderr and b"No such file" in done.stderr


def test_dns_checks_against_the_given_name_server(tmp_path):
    server = TinyDns()
    try:
        done = run(
            tmp_path,
            "--nameserver",
            f"127.0.0.1:{server.port}",
            "--timeout",
            "1",
            stdin=b"ana@has-mx.org\nbob@a-only.org\ncy@null-mx.org\ndee@gone.org\nx@broken.org\n",
        )
    finally:
        server.close()
    assert done.returncode == 0, done.stderr
    lines = verdicts(done.stdout)
    assert [(v["valid"], v["risk"], v["reasons"]) for v in lines] == [
        (True, "ok", []),
        (True, "ok", []),
        (False, "no_mx", ["the domain accepts no email (null MX)"]),
        (False, "no_mx", ["the domain does not exist"]),
        (True, "ok", ["DNS did not answer"]),
    ]


def test_a_bad_nameserver_option_is_a_clear_error(tmp_path):
    done = run(tmp_path, "--nameserver", "dns.example.com")
    assert done.returncode == 1
    assert b"--nameserver must be an IP address" in done.stderr
