"""Run the test suite on SQLite and on a throwaway PostgreSQL cluster, side by side.

The cluster is made with initdb/pg_ctl (from PATH or /usr/lib/postgresql/*/bin) on a free
loopback port in a temporary directory and removed afterwards. As root, the cluster runs as
the `postgres` user (initdb refuses to run as root). MW_REQUIRE_POSTGRES=1 turns a missing
PostgreSQL into a failure instead of a skipped pass. Extra arguments go to pytest.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def log(msg: str) -> None:
    print(f"[run_tests] {msg}", file=sys.stderr, flush=True)


def pg_bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)
    return candidates[0] if candidates else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def as_cluster_owner(argv: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *argv]
    return argv


class PostgresCluster:
    def __init__(self) -> None:
        self.initdb, self.pg_ctl = pg_bin("initdb"), pg_bin("pg_ctl")
        self.dir: str | None = None
        self.port = free_port()

    @property
    def available(self) -> bool:
        return bool(self.initdb and self.pg_ctl)

    def start(self) -> str:
        self.dir = tempfile.mkdtemp(prefix="mw-pg-")
        os.chmod(self.dir, 0o755)  # noqa: S103 - the cluster owner must reach its socket dir
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        data = os.path.join(self.dir, "data")
        subprocess.run(
            as_cluster_owner(
                [
                    self.initdb,
                    "-D",
                    data,
                    "-A",
                    "trust",
                    "-U",
                    "mailwright",
                    "-E",
                    "UTF8",
                    "--locale=C.UTF-8",
                    "--no-sync",
                ]
            ),
            check=True,
            stdout=subprocess.DEVNULL,
        )
        options = (
            f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        subprocess.run(
            as_cluster_owner(
                [
                    self.pg_ctl,
                    "-D",
                    data,
                    "-o",
                    options,
                    "-l",
                    os.path.join(self.dir, "log"),
                    "-w",
                    "-t",
                    "60",
                    "start",
                ]
            ),
            check=True,
            stdout=subprocess.DEVNULL,
        )
        log(f"PostgreSQL cluster started on 127.0.0.1:{self.port} in {self.dir}")
        return f"postgres://mailwright@127.0.0.1:{self.port}/postgres"

    def stop(self) -> None:
        if not self.dir:
            return
        data = os.path.join(self.dir, "data")
        subprocess.run(
            as_cluster_owner([self.pg_ctl, "-D", data, "-m", "immediate", "-w", "stop"]),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=False,
        )
        time.sleep(0.2)
        shutil.rmtree(self.dir, ignore_errors=True)


def pytest(label: str, env: dict, args: list[str]) -> int:
    log(f"pytest on {label}")
    started = time.monotonic()
    code = subprocess.call([sys.executable, "-m", "pytest", *args], cwd=ROOT, env=env)
    log(f"pytest on {label}: exit {code} in {time.monotonic() - started:.0f}s")
    return code


class Background:
    """A pytest pass running beside the other one, its output kept in a file and printed
    when it ends (two passes writing to one terminal at once would be unreadable)."""

    def __init__(self, label: str, env: dict, args: list[str]) -> None:
        self.label = label
        self.output = tempfile.TemporaryFile()
        self.started = time.monotonic()
        log(f"pytest on {label} (in the background; its output follows when it ends)")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "pytest", *args],
            cwd=ROOT,
            env=env,
            stdout=self.output,
            stderr=subprocess.STDOUT,
        )

    def wait(self) -> int:
        code = self.process.wait()
        self.output.seek(0)
        sys.stdout.flush()
        shutil.copyfileobj(self.output, sys.stdout.buffer)
        sys.stdout.flush()
        log(f"pytest on {self.label}: exit {code} in {time.monotonic() - self.started:.0f}s")
        return code


def main() -> int:
    """SQLite and PostgreSQL at once (each with its own data directory): on two cores that
    takes about the time of the longer pass instead of the sum. MW_TEST_SERIAL=1 runs them
    one after the other, with the SQLite output as it comes."""
    args = sys.argv[1:]
    data_dir = tempfile.mkdtemp(prefix="mw-test-data-")
    base = {**os.environ, "MW_DATA_DIR": data_dir}
    base.pop("DATABASE_URL", None)
    results: dict[str, int] = {}
    background = None
    try:
        if os.environ.get("MW_TEST_SERIAL") != "1" and PostgresCluster().available:
            sqlite_dir = tempfile.mkdtemp(prefix="mw-test-data-sqlite-", dir=data_dir)
            background = Background("SQLite", {**base, "MW_DATA_DIR": sqlite_dir}, args)
        else:
            results["SQLite"] = pytest("SQLite", base, args)
        cluster = PostgresCluster()
        if not cluster.available:
            if os.environ.get("MW_REQUIRE_POSTGRES") == "1":
                log("PostgreSQL (initdb/pg_ctl) not found and MW_REQUIRE_POSTGRES=1")
                results["PostgreSQL"] = 1
            else:
                log("PostgreSQL (initdb/pg_ctl) not found: skipping the PostgreSQL pass")
        else:
            try:
                url = cluster.start()
                results["PostgreSQL"] = pytest("PostgreSQL", {**base, "DATABASE_URL": url}, args)
            except subprocess.CalledProcessError as exc:
                log(f"could not start PostgreSQL: {exc}")
                results["PostgreSQL"] = 1
            finally:
                cluster.stop()
        if background is not None:
            results = {"SQLite": background.wait(), **results}
            background = None
    finally:
        if background is not None:
            background.process.kill()
            background.wait()
        shutil.rmtree(data_dir, ignore_errors=True)
    for label, code in results.items():
        log(f"{label}: {'passed' if code == 0 else f'FAILED (exit {code})'}")
    return 0 if all(code == 0 for code in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
