"""Django settings, read from the environment (see the README's configuration table)."""

from __future__ import annotations

from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from mailwright.conf import (
    RelayConfig,
    data_dir,
    env_addr,
    env_bool,
    env_choice,
    env_float,
    env_hosts,
    env_int,
    env_str,
    secret_key,
)

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = data_dir()

SECRET_KEY = secret_key(DATA_DIR)
DEBUG = env_bool("MW_DEBUG", False)

HTTP_HOST, HTTP_PORT = env_addr("MW_HTTP_ADDR", "127.0.0.1:8000")
CAPTURE_HOST, CAPTURE_PORT = env_addr("MW_CAPTURE_ADDR", "127.0.0.1:2525")
INBOUND_HOST, INBOUND_PORT = env_addr("MW_INBOUND_ADDR", "127.0.0.1:2526")
BASE_URL = env_str("MW_BASE_URL", f"http://{HTTP_HOST}:{HTTP_PORT}").rstrip("/")

ALLOWED_HOSTS = [h.strip() for h in env_str("MW_ALLOWED_HOSTS", "").split(",") if h.strip()] or [
    "127.0.0.1",
    "localhost",
    "[::1]",
]
_base_host = BASE_URL.split("://", 1)[-1].split("/", 1)[0].rsplit(":", 1)[0]
if _base_host and _base_host not in ALLOWED_HOSTS:
    ALLOWED_HOSTS.append(_base_host)
CSRF_TRUSTED_ORIGINS = [BASE_URL] if BASE_URL.startswith(("http://", "https://")) else []

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_tasks",
    "django_tasks_db",
    "anymail",
    "mailwright.audit",
    "mailwright.contacts",
    "mailwright.consent",
    "mailwright.imports",
    "mailwright.campaigns",
    "mailwright.delivery",
    "mailwright.feedback",
    "mailwright.transactional",
    "mailwright.surveys",
    "mailwright.api",
    "mailwright.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "mailwright.api.body_limit.MessageBodyLimit",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "mailwright.urls"
ASGI_APPLICATION = "mailwright.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "mailwright.web.shell.context.navigation",
            ],
        },
    },
]

# SQLite under MW_DATA_DIR unless DATABASE_URL says otherwise.
_database_url = env_str("DATABASE_URL", "")
if _database_url:
    try:
        DATABASES = {"default": dj_database_url.parse(_database_url, conn_max_age=60)}
    except ValueError as exc:
        raise ImproperlyConfigured(f"DATABASE_URL is not a database URL: {exc}") from None
else:
    DATABASES = {
        "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": DATA_DIR / "mailwright.sqlite3"}
    }

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers run beside the one writer; IMMEDIATE transactions take the write
    # lock up front, so concurrent claimers queue on the busy timeout instead of failing.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": env_int("MW_SQLITE_BUSY_TIMEOUT", 30),
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # Kept open like PostgreSQL's: a worker's database thread claims a batch every few
    # milliseconds, and reopening the file (with its PRAGMAs) each time cost ~3 ms a batch.
    DATABASES["default"]["CONN_MAX_AGE"] = 60
DATABASES["default"].setdefault("TEST", {})

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default", "webhooks", "imports"],
    }
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:dashboard"
LOGOUT_REDIRECT_URL = "web:login"

LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", "English"),
    ("pl", "Polski"),
    ("tr", "Türkçe"),
    ("es", "Español"),
    ("vi", "Tiếng Việt"),
    ("bg", "Български"),
]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = BASE_URL.startswith("https://")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("MW_MAX_REQUEST_BYTES", 5 * 1024 * 1024)
# POST /api/v1/messages[/batch] only: room for 10 MB of attachments in base64 (api/body_limit.py).
MAX_MESSAGE_REQUEST_BYTES = env_int("MW_MAX_MESSAGE_REQUEST_BYTES", 15 * 1024 * 1024)

# --- Mailwright ---------------------------------------------------------------------------
ORGANISATION_NAME = env_str("MW_ORG_NAME", "Mailwright")
ORGANISATION_ADDRESS = env_str("MW_ORG_ADDRESS", "")
DEFAULT_FROM_EMAIL = env_str("MW_FROM_EMAIL", "news@example.com")
DEFAULT_FROM_NAME = env_str("MW_FROM_NAME", ORGANISATION_NAME)
# Envelope sender (Return-Path) domain; empty: bounces go to the From address.
BOUNCE_DOMAIN = env_str("MW_BOUNCE_DOMAIN", "")

RELAYS = [
    RelayConfig(url)
    for url in (env_str("MW_RELAY_URL", "") or f"smtp://{CAPTURE_HOST}:{CAPTURE_PORT}").split()
]
RELAY = RELAYS[0]
RELAY_TIMEOUT = env_int("MW_RELAY_TIMEOUT", 30)
# Non-ASCII text parts go unencoded (8bit) to relays that offer 8BITMIME, instead of as
# quoted-printable; 0 keeps quoted-printable everywhere.
SMTP_8BITMIME = env_bool("MW_SMTP_8BITMIME", True)
# The most one message's render (subject, HTML, text) may take, in the web process and in the
# worker; a template that takes longer fails (campaigns/sandbox.py holds the size limits).
TEMPLATE_RENDER_SECONDS = env_float("MW_TEMPLATE_RENDER_SECONDS", 1.0)

WORKER_BATCH_SIZE = env_int("MW_WORKER_BATCH_SIZE", 100)
WORKER_CONNECTIONS = env_int("MW_WORKER_CONNECTIONS", 4)
WORKER_LEASE_SECONDS = env_int("MW_LEASE_SECONDS", 300)
WORKER_IDLE_SECONDS = env_float("MW_WORKER_IDLE_SECONDS", 1.0)
RETRY_BASE_SECONDS = env_int("MW_RETRY_BASE_SECONDS", 60)
RETRY_MAX_SECONDS = env_int("MW_RETRY_MAX_SECONDS", 6 * 3600)
RETRY_MAX_AGE_SECONDS = env_int("MW_RETRY_MAX_AGE", 3 * 24 * 3600)
WORKER_PROCESSES = env_int("MW_WORKER_PROCESSES", 0)  # 0: one per CPU core

# Reputation guards: a campaign pauses itself past these rates (after a minimum volume).
GUARD_MIN_DELIVERIES = env_int("MW_GUARD_MIN_DELIVERIES", 200)
GUARD_BOUNCE_RATE = env_float("MW_GUARD_BOUNCE_RATE", 0.05)
GUARD_COMPLAINT_RATE = env_float("MW_GUARD_COMPLAINT_RATE", 0.003)
FEEDBACK_ID_SENDER = env_str("MW_FEEDBACK_ID_SENDER", "mailwright")

# Address hygiene (docs/hygiene.md): an import or audience with a larger share of invalid
# (or mail-less domain) addresses, or of role/disposable ones, looks bought or scraped.
HYGIENE_HOLD_INVALID = env_float("MW_HYGIENE_HOLD_INVALID", 0.10)
HYGIENE_HOLD_ROLE_DISPOSABLE = env_float("MW_HYGIENE_HOLD_ROLE_DISPOSABLE", 0.30)
# Contact imports (docs/importing.md): the largest upload, opt-in emails an import may send
# per hour, and the share of rows with consent evidence below which an import is held.
IMPORT_MAX_BYTES = env_int("MW_IMPORT_MAX_BYTES", 512 * 1024 * 1024)
IMPORT_OPTIN_PER_HOUR = env_int("MW_IMPORT_OPTIN_PER_HOUR", 1000)
IMPORT_HOLD_CONSENT_SHARE = env_float("MW_IMPORT_HOLD_CONSENT_SHARE", 0.5)
IMPORT_BATCH_SIZE = env_int("MW_IMPORT_BATCH_SIZE", 10000)  # records per transaction
IMPORT_STALE_SECONDS = env_int("MW_IMPORT_STALE_SECONDS", 60)  # no heartbeat: process gone

# /metrics: open to loopback clients; others must send "Authorization: Bearer <token>".
METRICS_TOKEN = env_str("MW_METRICS_TOKEN", "")

CAPTURE_MAX_BYTES = env_int("MW_CAPTURE_MAX_BYTES", 25 * 1024 * 1024)

# Relay webhooks (django-anymail): basic-auth credentials "user:password" the relay uses.
ANYMAIL = {"WEBHOOK_SECRET": env_str("MW_WEBHOOK_SECRET", "") or None}
# Outgoing webhooks: hosts allowed although they are (or resolve to) loopback or private
# addresses, which are otherwise refused (SSRF).
WEBHOOK_ALLOW_HOSTS = env_hosts("MW_WEBHOOK_ALLOW_HOSTS")
# Amazon SES through SNS: the topic ARNs whose signed notifications are accepted.
SES_TOPIC_ARNS = [a.strip() for a in env_str("MW_SES_TOPIC_ARNS", "").split(",") if a.strip()]

# Inbound mail (bounces, complaints, replies) and how soft bounces add up.
INBOUND_MAX_BYTES = env_int("MW_INBOUND_MAX_BYTES", 10 * 1024 * 1024)
SOFT_BOUNCE_LIMIT = env_int("MW_SOFT_BOUNCE_LIMIT", 3)  # soft bounces, from different sends…
SOFT_BOUNCE_DAYS = env_int("MW_SOFT_BOUNCE_DAYS", 14)  # …within this many days: suppressed

# Public subscription forms: sites allowed to embed the form (CORS), and rate limits.
FORM_ORIGINS = [
    o.strip().rstrip("/") for o in env_str("MW_FORM_ORIGINS", "").split(",") if o.strip()
]
FORM_LIMIT_PER_IP = env_int("MW_FORM_LIMIT_PER_IP", 10)  # submissions per IP per 10 minutes
FORM_LIMIT_PER_ADDRESS = env_int(
    "MW_FORM_LIMIT_PER_ADDRESS", 3
)  # opt-in emails per address per hour
LOCALE_PATHS = [BASE_DIR / "locale"]

# Logs go to stderr: "text" lines, or "json" (one object a line: time, level, logger, pid,
# message, exception) for log collectors.
LOG_FORMAT = env_choice("MW_LOG_FORMAT", "text", ("text", "json"))
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "mailwright.conf.JsonLogFormatter"},
    },
    "handlers": {
        "stderr": {
            "class": "logging.StreamHandler",
            "formatter": "json" if LOG_FORMAT == "json" else "plain",
        }
    },
    "root": {"handlers": ["stderr"], "level": env_str("MW_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "mail.log": {"level": "WARNING"},
    },
}
