"""Settings for Architecture Sandbox, read from the environment.

Every variable is optional on a developer machine; bad values raise ImproperlyConfigured
with the variable's name, so a typo never silently changes behaviour.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r}: expected one of 1/0, true/false, yes/no, on/off")


def env_int(name: str, default: int, minimum: int = 0) -> int:
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        value = int(raw.strip().replace("_", ""))
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r}: expected an integer") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name}={raw!r}: must be at least {minimum}")
    return value


def env_float(name: str, default: float, minimum: float = 0.0) -> float:
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        value = float(raw.strip())
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r}: expected a number") from None
    if not value >= minimum:
        raise ImproperlyConfigured(f"{name}={raw!r}: must be at least {minimum:g}")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    items = [item.strip() for item in raw.split(",")]
    if any(not item for item in items):
        raise ImproperlyConfigured(
            f"{name}={raw!r}: expected a comma-separated list without blanks"
        )
    return items


DEBUG = env_bool("DEBUG", True)

_DEV_SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
    SECRET_KEY = _DEV_SECRET_KEY

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    # Before channels: its `runworker` command (a worker that survives a Redis outage and
    # ends its runs on SIGTERM) takes the place of channels' own.
    "sandbox.live",
    "channels",
    "django_htmx",
    "sandbox",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "sandbox.api_errors.JsonErrorsForTheApi",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "sandbox.urls"
CSRF_FAILURE_VIEW = "sandbox.api_errors.csrf_failure"
ASGI_APPLICATION = "sandbox.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.csp",
            ],
        },
    },
]

# The test database is a FILE (never SQLite's in-memory database) so that a Daphne
# subprocess started by the browser-test fixture can share it; its name carries the
# process id so that two test runs in one work tree never clobber each other.
_TEST_DB_SUFFIX = f"sandbox_{os.getpid()}"
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Parallel saves on SQLite: a transaction takes the write lock when it begins
    # (IMMEDIATE), so none fails half-way with "database is locked"; a writer waits up to
    # `timeout` seconds for the one before it; WAL lets readers go on while one writes.
    # Then a save either wins or finds a newer revision (409).
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        **DATABASES["default"].get("OPTIONS", {}),
    }
    DATABASES["default"]["TEST"] = {
        "NAME": str(Path(tempfile.gettempdir()) / f"test_{_TEST_DB_SUFFIX}.sqlite3")
    }
else:
    DATABASES["default"]["TEST"] = {"NAME": f"test_{_TEST_DB_SUFFIX}"}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_str("REDIS_URL", "")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                # redis-py 8 reads with a 5 s socket timeout by default, which kills every
                # consumer idle for 5 s (channels-redis waits in a blocking BZPOPMIN).
                "hosts": [{"address": REDIS_URL, "socket_timeout": None}],
                "prefix": env_str("CHANNEL_LAYER_PREFIX", "sandbox"),
            },
        }
    }
else:
    # Channels' in-memory layer with a cheaper expiry sweep (sandbox/live/layers.py).
    CHANNEL_LAYERS = {"default": {"BACKEND": "sandbox.live.layers.InMemoryChannelLayer"}}

# The cache holds the request counts of the rate limits: in Redis every web process
# counts against the same total; in local memory each process counts on its own.
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "sandbox"),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Password-reset mail: SMTP in production (DEBUG=0), written to the log on a developer
# machine (Django logs a mail it could not send; the reset page answers the same).
_MAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
_MAIL_OPTIONS = (
    {
        "host": env_str("EMAIL_HOST", "localhost"),
        "port": env_int("EMAIL_PORT", 25, minimum=1),
        "username": env_str("EMAIL_HOST_USER", ""),
        "password": env_str("EMAIL_HOST_PASSWORD", ""),
        "use_tls": env_bool("EMAIL_USE_TLS", False),
    }
    if _MAIL_BACKEND.endswith("smtp.EmailBackend")
    else {}
)
MAILERS = {"default": {"BACKEND": _MAIL_BACKEND, "OPTIONS": _MAIL_OPTIONS}}
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "sandbox@localhost")

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "design_list"
LOGOUT_REDIRECT_URL = "home"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
# WhiteNoise serves static files straight from the finders, so the same build works under
# `runserver`, bare Daphne and DEBUG=0 without a collectstatic step; set STATIC_ROOT only
# to deploy with `collectstatic` behind another server.
STATIC_ROOT = os.environ.get("STATIC_ROOT") or None
WHITENOISE_USE_FINDERS = True

# Production (DEBUG=0) assumes the site is reached over HTTPS (a proxy passing
# X-Forwarded-Proto to `daphne --proxy-headers`, docs/deploy.md); HTTPS=0 serves plain
# HTTP, e.g. `make run DEBUG=0` on this machine. Each setting can also be set on its own.
HTTPS = env_bool("HTTPS", not DEBUG)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", HTTPS)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
# Only makes the domain eligible for browsers' preload lists; nothing is submitted.
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", HTTPS)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", HTTPS)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Scripts come only from this site (the bundle, django-htmx's files) or carry the
# request's nonce: no inline handlers, no eval. Styles may be inline: Cytoscape, uPlot
# and htmx set them, and a style cannot run code. 'self' in connect-src includes the
# page's own ws:/wss: origin (the run socket).
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:", "blob:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}

# Limits that keep one user from starving the others (the engine's validator enforces
# the document ones; the per-user design count is enforced here).
SANDBOX_MAX_COMPONENTS = env_int("SANDBOX_MAX_COMPONENTS", 2000, minimum=1)
SANDBOX_MAX_LINKS = env_int("SANDBOX_MAX_LINKS", 10000, minimum=1)
SANDBOX_MAX_DOCUMENT_BYTES = env_int("SANDBOX_MAX_DOCUMENT_BYTES", 2_000_000, minimum=1)
SANDBOX_MAX_DESIGNS_PER_USER = env_int("SANDBOX_MAX_DESIGNS_PER_USER", 200, minimum=1)
# Request bodies above this are refused by Django before a view sees them; leave
# room for the JSON envelope around a maximal document.
DATA_UPLOAD_MAX_MEMORY_SIZE = SANDBOX_MAX_DOCUMENT_BYTES + 64_000
FILE_UPLOAD_MAX_MEMORY_SIZE = SANDBOX_MAX_DOCUMENT_BYTES + 64_000

# Live runs (sandbox.live). "embedded": runners are tasks in the Daphne process;
# "workers": runs start on `manage.py runworker live-runner` processes through Redis.
SIMULATION_RUNNERS = env_str("SIMULATION_RUNNERS", "embedded")
if SIMULATION_RUNNERS not in ("embedded", "workers"):
    raise ImproperlyConfigured(
        f"SIMULATION_RUNNERS={SIMULATION_RUNNERS!r}: expected 'embedded' or 'workers'"
    )
if SIMULATION_RUNNERS == "workers" and not REDIS_URL:
    raise ImproperlyConfigured(
        "SIMULATION_RUNNERS=workers needs REDIS_URL (a shared channel layer)"
    )
LIVE_MAX_RUNS_PER_USER = env_int("LIVE_MAX_RUNS_PER_USER", 3, minimum=1)
LIVE_MAX_SPEED = env_int("LIVE_MAX_SPEED", 100, minimum=1)  # simulated s per real s
LIVE_ALLOW_UNPACED = env_bool("LIVE_ALLOW_UNPACED", True)  # speed "max": no pacing at all
LIVE_VIEWER_MAX_FPS = env_int("LIVE_VIEWER_MAX_FPS", 20, minimum=1)
LIVE_CONTROL_RATE = env_int("LIVE_CONTROL_RATE", 5, minimum=1)  # controls/s per viewer
LIVE_CONTROL_BURST = env_int("LIVE_CONTROL_BURST", 10, minimum=1)
LIVE_IDLE_PAUSE_S = env_int("LIVE_IDLE_PAUSE_S", 30, minimum=1)  # no viewers: pause after
LIVE_IDLE_STOP_S = env_int("LIVE_IDLE_STOP_S", 600, minimum=1)  # ... and stop after
LIVE_FLUSH_TICKS = env_int("LIVE_FLUSH_TICKS", 50, minimum=1)  # frames per saved chunk
LIVE_FLUSH_S = env_int("LIVE_FLUSH_S", 5, minimum=1)  # save frames at least this often
# A runner renews its run's lease this often, whatever the run does; a run whose lease
# is older than LIVE_STALE_S has lost its runner and is marked failed (sandbox/live/lease.py).
LIVE_HEARTBEAT_S = env_int("LIVE_HEARTBEAT_S", 2, minimum=1)
LIVE_STALE_S = env_int("LIVE_STALE_S", 6, minimum=3)
if LIVE_STALE_S < 2 * LIVE_HEARTBEAT_S + 1:
    raise ImproperlyConfigured(
        f"LIVE_STALE_S={LIVE_STALE_S}: must be at least 2 x LIVE_HEARTBEAT_S + 1 "
        f"({2 * LIVE_HEARTBEAT_S + 1}), or a slow heartbeat would fail a healthy run"
    )
LIVE_SYNC_TIMEOUT_S = env_int("LIVE_SYNC_TIMEOUT_S", 2, minimum=1)
# What one run may grow to, and what the engines may use (docs/live.md, "Limits").
LIVE_MAX_TICKS = env_int("LIVE_MAX_TICKS", 100_000, minimum=1)
LIVE_MAX_EVENTS = env_int("LIVE_MAX_EVENTS", 5_000, minimum=1)  # events kept per run
LIVE_MAX_RECORDING_MB = env_int("LIVE_MAX_RECORDING_MB", 100, minimum=1)  # stored, compressed
# A frame is recorded every few ticks when frames are big: about this many bytes per tick.
LIVE_RECORD_BYTES_PER_TICK = env_int("LIVE_RECORD_BYTES_PER_TICK", 8_000, minimum=100)
LIVE_MAX_MESSAGE_BYTES = env_int("LIVE_MAX_MESSAGE_BYTES", 256 * 1024, minimum=16_384)
# Engine processes per server (0: ticks run on the event loop, for tests only), and how
# far below the server's priority they run (the server's pages and frames come first).
LIVE_ENGINE_PROCESSES = env_int("LIVE_ENGINE_PROCESSES", max(2, (os.cpu_count() or 2) - 1))
LIVE_ENGINE_NICE = env_int("LIVE_ENGINE_NICE", 10, minimum=0)
LIVE_CPU_SHARE = env_float("LIVE_CPU_SHARE", 0.5, minimum=0.05)  # CPU s per s, per user

# Requests per user (per IP address when signed out, and always for logins and sign-ups)
# in a fixed window; one more answers 429 and changes nothing (sandbox/ratelimit.py).
RATE_LIMIT_WRITES_PER_MINUTE = env_int("RATE_LIMIT_WRITES_PER_MINUTE", 60, minimum=1)
RATE_LIMIT_READS_PER_MINUTE = env_int("RATE_LIMIT_READS_PER_MINUTE", 600, minimum=1)
RATE_LIMIT_LOGINS_PER_MINUTE = env_int("RATE_LIMIT_LOGINS_PER_MINUTE", 20, minimum=1)
RATE_LIMIT_SIGNUPS_PER_HOUR = env_int("RATE_LIMIT_SIGNUPS_PER_HOUR", 10, minimum=1)
