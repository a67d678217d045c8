"""Typed readers for environment settings: a bad value fails loudly at start-up."""

from __future__ import annotations

import json
import logging
import os
import secrets
import sys
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from None


def env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number, got {raw!r}") from None
    if value != value or value < 0:
        raise ImproperlyConfigured(f"{name} must be zero or more, got {raw!r}")
    return value


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), got {raw!r}")


def env_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value not in choices:
        raise ImproperlyConfigured(f"{name} must be one of {', '.join(choices)}, got {raw!r}")
    return value


class JsonLogFormatter(logging.Formatter):
    """MW_LOG_FORMAT=json: each record as one line of JSON with its time (UTC, ISO 8601),
    level, logger, process id and message, plus the exception's traceback when there is one.
    Nothing else of the record is added (its args are already in the message)."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "pid": record.process,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def env_hosts(name: str) -> list[str]:
    """A comma-separated list of host names or IP addresses (lower-cased, IPv6 without
    brackets), e.g. `hooks.internal,10.0.0.5,[fd00::7]`."""
    hosts = []
    for part in os.environ.get(name, "").split(","):
        host = part.strip().lower()
        if not host:
            continue
        if any(ch in host for ch in "/@?# ") or host.startswith(":"):
            raise ImproperlyConfigured(
                f"{name} must be host names or IP addresses separated by commas"
                f" (no scheme, port or path), got {part.strip()!r}"
            )
        hosts.append(host[1:-1] if host.startswith("[") and host.endswith("]") else host)
    return hosts


def env_addr(name: str, default: str) -> tuple[str, int]:
    """Read a HOST:PORT address such as 127.0.0.1:8000."""
    raw = os.environ.get(name) or default
    host, sep, port = raw.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ImproperlyConfigured(f"{name} must look like HOST:PORT, got {raw!r}")
    return host.strip("[]"), int(port)


PACKAGE_DIR = Path(__file__).resolve().parent


def source_checkout(package_dir: Path = PACKAGE_DIR) -> Path | None:
    """The project checkout this package runs from (src/mailwright inside it), or None when
    it is installed elsewhere (site-packages)."""
    root = package_dir.parent.parent
    if package_dir.parent.name == "src" and (root / "pyproject.toml").is_file():
        return root
    return None


def data_dir(package_dir: Path = PACKAGE_DIR) -> Path:
    """MW_DATA_DIR; unset, the var/ of the source checkout, wherever the command runs from
    (never ./var of the current directory). An installed package needs MW_DATA_DIR."""
    configured = os.environ.get("MW_DATA_DIR")
    if configured:
        path = Path(configured).expanduser().resolve()
    else:
        checkout = source_checkout(package_dir)
        if checkout is None:
            raise ImproperlyConfigured(
                "MW_DATA_DIR is not set: set it to the directory for the SQLite database and"
                " the secret key (e.g. MW_DATA_DIR=/var/lib/mailwright)"
            )
        path = checkout / "var"
    if not path.is_dir():
        try:
            path.mkdir(parents=True)
        except FileExistsError:  # another process made it meanwhile, or it is a file
            if not path.is_dir():
                raise ImproperlyConfigured(f"MW_DATA_DIR {path} is not a directory") from None
        except OSError as exc:
            raise ImproperlyConfigured(f"cannot create the data directory {path}: {exc}") from None
        else:
            print(f"mailwright: created the data directory {path}", file=sys.stderr)
    return path


def secret_key(directory: Path) -> str:
    """MW_SECRET_KEY, else a key generated once and kept in the data directory."""
    configured = os.environ.get("MW_SECRET_KEY")
    if configured:
        return configured
    key_file = directory / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    key = secrets.token_urlsafe(50)
    # Create with owner-only permissions; another process may have won the race.
    try:
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return key_file.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


class RelayConfig:
    """An SMTP relay described by a URL: smtp://user:pass@host:587?tls=starttls."""

    TLS_MODES = ("none", "starttls", "tls")

    def __init__(self, url: str) -> None:
        userinfo = url.partition("://")[2].rpartition("@")[0]
        if any(ch in userinfo for ch in "/?#"):
            raise ImproperlyConfigured(
                "relay URL: percent-encode '/', '?' and '#' in the user name or password"
                f" (%2F, %3F, %23): {_redact(url)!r}"
            )
        parts = urlsplit(url)
        if parts.scheme not in {"smtp", "smtps"}:
            raise ImproperlyConfigured(
                f"relay URL must start with smtp:// or smtps://, got {_redact(url)!r}"
            )
        if not parts.hostname:
            raise ImproperlyConfigured(f"relay URL has no host: {_redact(url)!r}")
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        default_tls = "tls" if parts.scheme == "smtps" else "none"
        self.tls = query.get("tls", default_tls)
        if self.tls not in self.TLS_MODES:
            raise ImproperlyConfigured(
                f"relay URL tls= must be one of {', '.join(self.TLS_MODES)}, got {self.tls!r}"
            )
        self.host = parts.hostname
        try:
            port = parts.port
        except ValueError:
            raise ImproperlyConfigured(f"relay URL has a bad port: {_redact(url)!r}") from None
        self.port = port or (465 if self.tls == "tls" else 25)
        self.username = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        self.url = url
        self.rate = _rate(query.get("rate"), url)  # messages per second, None: unlimited
        self.concurrency = _positive(query.get("concurrency"), "concurrency", url)
        self.daily = _positive(query.get("daily"), "daily", url)
        self.weight = _positive(query.get("weight"), "weight", url) or 1
        self.name = query.get("name") or f"{self.host}:{self.port}"

    @property
    def display(self) -> str:
        """The URL with the password hidden, safe to log and show."""
        return _redact(self.url)

    def __repr__(self) -> str:
        return f"RelayConfig({self.display!r})"


def _positive(raw: str | None, what: str, url: str) -> int | None:
    if raw is None or raw == "":
        return None
    if not raw.isdigit() or int(raw) < 1:
        raise ImproperlyConfigured(
            f"relay URL {what}= must be a whole number of 1 or more, got {raw!r}: {_redact(url)}"
        )
    return int(raw)


_PER = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "hour": 3600, "d": 86400, "day": 86400}


def _rate(raw: str | None, url: str) -> float | None:
    """rate=50/s, 1000/m, 20000/h (or a bare number: per second)."""
    if raw is None or raw == "":
        return None
    count, _, unit = raw.partition("/")
    unit = unit or "s"
    try:
        value = float(count)
    except ValueError:
        value = -1
    if value <= 0 or unit not in _PER:
        raise ImproperlyConfigured(
            f"relay URL rate= must look like 50/s, 1000/m or 20000/h, got {raw!r}: {_redact(url)}"
        )
    return value / _PER[unit]


def _redact(url: str) -> str:
    """Hide the password, whatever the URL's shape: everything between the first ':' after
    '//' and the last '@' (over-hiding is safe; leaking is not)."""
    scheme, sep, rest = url.partition("://")
    if not sep or "@" not in rest:
        return url
    userinfo, _, host = rest.rpartition("@")
    user, colon, _password = userinfo.partition(":")
    return f"{scheme}://{user}{':***' if colon else ''}@{host}"
