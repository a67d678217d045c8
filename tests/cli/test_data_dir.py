"""`mailwright …` finds the same data directory from any working directory: the checkout's
var/ when run from a source checkout, MW_DATA_DIR when set, and a clear refusal for an
installed package without MW_DATA_DIR. It never makes a new ./var where it is run."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import mailwright

PACKAGE = Path(mailwright.__file__).resolve().parent
CHECKOUT = PACKAGE.parent.parent
PRINT_DB = "from django.conf import settings; print(settings.DATABASES['default']['NAME'])"


def env_without_data_dir(**extra) -> dict:
    drop = {"MW_DATA_DIR", "DATABASE_URL", "MW_SECRET_KEY", "DJANGO_SETTINGS_MODULE"}
    env = {k: v for k, v in os.environ.items() if k not in drop}
    return {**env, **extra}


def run(argv: list[str], cwd: Path, **env) -> subprocess.CompletedProcess:
    return subprocess.run(
        argv, cwd=cwd, env=env_without_data_dir(**env), capture_output=True, text=True, timeout=120
    )


def copy_package(into: Path) -> Path:
    into.mkdir(parents=True)
    shutil.copytree(PACKAGE, into / "mailwright", ignore=shutil.ignore_patterns("__pycache__"))
    return into


def test_the_installed_command_uses_the_checkouts_var_from_anywhere(tmp_path):
    mailwright_cli = Path(sys.executable).with_name("mailwright")
    found = []
    for name in ("one", "two"):
        cwd = tmp_path / name
        cwd.mkdir()
        done = run([str(mailwright_cli), "shell", "-c", PRINT_DB], cwd)
        assert done.returncode == 0, done.stderr
        found.append(done.stdout.strip().splitlines()[-1])
        assert not (cwd / "var").exists()
        assert list(cwd.iterdir()) == []
    assert found == [str(CHECKOUT / "var" / "mailwright.sqlite3")] * 2


def test_a_checkout_migrated_from_one_directory_is_the_same_database_from_another(tmp_path):
    checkout = tmp_path / "project"
    copy_package(checkout / "src")
    (checkout / "pyproject.toml").write_text('[project]\nname = "mailwright"\n')
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    python = [sys.executable, "-m", "mailwright"]
    pythonpath = str(checkout / "src")

    done = run([*python, "migrate", "-v", "0"], first, PYTHONPATH=pythonpath)
    assert done.returncode == 0, done.stderr
    assert f"mailwright: created the data directory {checkout / 'var'}" in done.stderr
    assert (checkout / "var" / "mailwright.sqlite3").is_file()
    assert (checkout / "var" / "secret_key").is_file()

    # From elsewhere: the same database (fully migrated already), the same secret key.
    key = (checkout / "var" / "secret_key").read_text()
    done = run([*python, "migrate", "--check"], second, PYTHONPATH=pythonpath)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "created the data directory" not in done.stderr
    assert (checkout / "var" / "secret_key").read_text() == key
    assert list(first.iterdir()) == [] and list(second.iterdir()) == []


def test_an_installed_package_without_mw_data_dir_refuses_in_one_line(tmp_path):
    site = copy_package(tmp_path / "site-packages")
    cwd = tmp_path / "somewhere"
    cwd.mkdir()
    done = run([sys.executable, "-m", "mailwright", "migrate"], cwd, PYTHONPATH=str(site))
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "mailwright: configuration error: MW_DATA_DIR is not set: set it to the directory for"
        " the SQLite database and the secret key (e.g. MW_DATA_DIR=/var/lib/mailwright)"
    ]
    assert list(cwd.iterdir()) == []

    data = tmp_path / "data"
    done = run(
        [sys.executable, "-m", "mailwright", "shell", "-c", PRINT_DB],
        cwd,
        PYTHONPATH=str(site),
        MW_DATA_DIR=str(data),
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == str(data / "mailwright.sqlite3")
    assert list(cwd.iterdir()) == []
