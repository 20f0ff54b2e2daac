"""Settings, all from the environment (README, "Configuration").

RELANCE_DATABASE_URL   sqlite:////abs/path.sqlite3 or postgresql://user@host:port/db
                       (default: ./var/relance.sqlite3)
RELANCE_SECRET_KEY     on a server; a laptop install keeps a generated one in ./var/secret_key.
                       At least 32 characters, not a known placeholder: refused at start
                       otherwise
RELANCE_DEBUG          1/true/yes to turn debug on (default: off)
RELANCE_EMAIL_URL      smtp://host:port, smtp+starttls://user:pass@host:587, smtps://..., file:///DIR
RELANCE_SMTP_CONNECT_TIMEOUT  seconds to connect and read the greeting (default: 10)
RELANCE_SMTP_COMMAND_TIMEOUT  seconds for any one SMTP reply (default: 30)
RELANCE_SMTP_RUN_DEADLINE     seconds a run may spend sending e-mail; what is not tried by
                       then stays queued for the next run (default: 600)
RELANCE_SMTP_BREAKER   consecutive connection failures or timeouts after which a run stops
                       trying the server (default: 3)
RELANCE_SMTP_RETRIES   times a message refused with a 4xx reply is tried again in the run
                       (default: 2), after RELANCE_SMTP_RETRY_WAIT seconds (default: 30),
                       then twice that
RELANCE_ALLOWED_HOSTS  comma-separated (default: localhost,127.0.0.1)
RELANCE_HOME           the folder holding ./var (default: the current folder)
RELANCE_CACHE_URL      where the workspace keeps its figures, shared by every server process:
                       file:///DIR (default: ./var/cache), redis://host:6379/1, or locmem://
RELANCE_PUBLIC_URL     the address debtors reach the install at, e.g. https://relance.example.fr;
                       unset, no message carries a debtor portal link (README, "Debtor portal")
RELANCE_PORTAL_DAYS    how many days a portal link stays valid (default: 120)
RELANCE_UPLOAD_MAX_MB  the largest file the workspace or the API takes, in MB (default: 100)
RELANCE_AUDIT_KEY      the audit trail's HMAC key, 32 characters or more (default: a random key
                       made once into ./var/audit_key, mode 0600; see relance.apps.audit.seal)
RELANCE_AUDIT_CHECKPOINTS  the append-only file of the audit chain's checkpoints
                       (default: ./var/audit_checkpoints)

The task queue (README, "Workers"), off unless RELANCE_BROKER_URL is set:
RELANCE_BROKER_URL     redis://host:6379/0; unset, everything runs in-process
RELANCE_BROKER_PREFIX  a prefix for every Redis key, for installs sharing one Redis (default: none)
RELANCE_BROKER_VISIBILITY_TIMEOUT  seconds before a task a lost worker had taken is handed to
                       another worker (default: 3600; must exceed RELANCE_TASK_TIME_LIMIT)
RELANCE_TASK_TIME_LIMIT  seconds after which a task's process is killed (default: 3000)
RELANCE_DAILY_PASS_AT  HH:MM, Europe/Paris, business days, for `relance beat` (default: 07:30;
                       `off` for none)
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

import dj_database_url
import django_stubs_ext

from relance.domain.errors import ConfigurationError

# Lets admin and querysets be written with type parameters (ModelAdmin[Invoice]) at run time.
django_stubs_ext.monkeypatch()


def _flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _seconds(name: str, default: int) -> int:
    text = os.environ.get(name, "").strip() or str(default)
    if not text.isdigit() or int(text) < 1:
        raise ConfigurationError(f"{name} must be a whole number of seconds, not {text!r}")
    return int(text)


def database_from_url(url: str) -> dict[str, Any]:
    """Django's DATABASES entry for a RELANCE_DATABASE_URL."""
    if not url.startswith(("sqlite:", "postgres:", "postgresql:")):
        raise ConfigurationError(
            f"RELANCE_DATABASE_URL must start with sqlite:/// or postgresql://, not {url!r}"
        )
    config: dict[str, Any] = dict(dj_database_url.parse(url, conn_max_age=0))
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # WAL lets the web app read while the daily pass writes; IMMEDIATE transactions take
        # the write lock up front, so two writers queue instead of failing half-way. FULL: a
        # commit is on disk when it returns, so an e-mail recorded as handed over before its
        # final dot stays recorded through a power cut, and is never sent twice (NORMAL would
        # lose the last commits of WAL mode on power loss, not on a process crash).
        config["OPTIONS"] = {
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"
                " PRAGMA cache_size=-65536; PRAGMA temp_store=MEMORY;"
            ),
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
        }
    else:
        # The pages and the pass run short queries over large tables: PostgreSQL's JIT compiles
        # them for a second or more before a cold aggregate, and never wins it back here.
        options = config.setdefault("OPTIONS", {})
        options["options"] = f"{options.get('options', '')} -c jit=off".strip()
    return config


# Keys seen in examples, tests and tutorials: whoever knows one can sign sessions and portal
# links for an install that uses it.
_PLACEHOLDER_KEYS = {
    "test-only-secret-key", "secret", "secret-key", "secretkey", "changeme", "change-me",
    "please-change-me", "your-secret-key", "your-secret-key-here", "insecure", "dev", "x",
}


def _secret_key_check(key: str, where: str) -> str:
    """Refuse a key anyone could guess: short (under 32 characters), a known placeholder,
    Django's generated development key, or nearly one character repeated."""
    reasons = []
    if len(key) < 32:
        reasons.append("it is shorter than 32 characters")
    if key.lower() in _PLACEHOLDER_KEYS or key.startswith("django-insecure-"):
        reasons.append("it is a known placeholder")
    if len(set(key)) < 8:
        reasons.append("it has fewer than 8 different characters")
    if reasons:
        raise ConfigurationError(
            f"{where} is refused: {'; '.join(reasons)}. Give a long random value, e.g. "
            "python3 -c 'import secrets; print(secrets.token_urlsafe(50))'"
        )
    return key


def _secret_key(var_dir: Path) -> str:
    key = os.environ.get("RELANCE_SECRET_KEY", "")
    if key:
        return _secret_key_check(key, "RELANCE_SECRET_KEY")
    # A laptop install should not need a setting to start: keep a random key beside the data,
    # made once, readable by its owner only. Servers set RELANCE_SECRET_KEY.
    key_file = var_dir / "secret_key"
    if key_file.exists():
        return _secret_key_check(key_file.read_text().strip(), str(key_file))
    var_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


WORKDIR = Path(os.environ.get("RELANCE_HOME") or Path.cwd()).resolve()
VAR_DIR = WORKDIR / "var"

DEBUG = _flag("RELANCE_DEBUG")
SECRET_KEY = _secret_key(VAR_DIR)
ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("RELANCE_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]").split(",")
    if h.strip()
]

DATABASE_URL = os.environ.get("RELANCE_DATABASE_URL") or f"sqlite:///{VAR_DIR / 'relance.sqlite3'}"
DATABASES = {"default": database_from_url(DATABASE_URL)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "ninja",  # Swagger UI's assets, served by the install rather than from a CDN
    "relance.apps.audit",
    "relance.apps.creditors",
    "relance.apps.ledger",
    "relance.apps.legal",
    "relance.apps.banking",
    "relance.apps.collection",
    "relance.apps.workspace",
    "relance.apps.editors",
    "relance.apps.api_tokens",
    "relance.apps.portal",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "relance.config.headers.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "relance.config.uploads.UploadCapMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "relance.config.urls"
WSGI_APPLICATION = "relance.config.wsgi.application"

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
                "django.template.context_processors.i18n",
            ],
        },
    },
]

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.ScryptPasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    # 12 characters at least (issue #19: "Relance2026" was accepted), and not a common one.
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", "Français"), ("en", "English")]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
# WhiteNoise serves from the app folders (WHITENOISE_USE_FINDERS) and only needs this folder
# to exist; `collectstatic` fills it for a server that wants compressed copies.
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
MEDIA_ROOT = VAR_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

# The audit trail's checkpoints, outside the database (relance.apps.audit.seal); its key comes
# from RELANCE_AUDIT_KEY or var/audit_key, read when first needed.
AUDIT_CHECKPOINTS = Path(
    os.environ.get("RELANCE_AUDIT_CHECKPOINTS", "").strip() or VAR_DIR / "audit_checkpoints"
)

EMAIL_URL = os.environ.get("RELANCE_EMAIL_URL", f"file://{VAR_DIR / 'outbox'}")


def _number(name: str, default: float, *, whole: bool = False) -> float:
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    try:
        value = int(text) if whole else float(text)
    except ValueError:
        value = -1
    if not value > 0 or value != value or value == float("inf"):
        kind = "a whole number" if whole else "a number of seconds"
        raise ConfigurationError(f"{name}={text!r}: give {kind}, more than 0")
    return value


# Uploads (relance.config.uploads): a file over the cap is refused with a clear message and
# never kept; files up to 2.5 MB stay in memory, larger ones go to a temporary file as they
# arrive; other fields of a request, at most 2.5 MB.
UPLOAD_MAX_BYTES = int(_number("RELANCE_UPLOAD_MAX_MB", 100, whole=True)) * 2**20
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_HANDLERS = [
    "relance.config.uploads.CappedUploadHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

SMTP_CONNECT_TIMEOUT = _number("RELANCE_SMTP_CONNECT_TIMEOUT", 10.0)
SMTP_COMMAND_TIMEOUT = _number("RELANCE_SMTP_COMMAND_TIMEOUT", 30.0)
SMTP_RUN_DEADLINE = _number("RELANCE_SMTP_RUN_DEADLINE", 600.0)
SMTP_BREAKER = int(_number("RELANCE_SMTP_BREAKER", 3, whole=True))
# 0 turns the in-run retries off: a 4xx then waits for the next run, as before.
SMTP_RETRIES = (
    0
    if os.environ.get("RELANCE_SMTP_RETRIES", "").strip() == "0"
    else int(_number("RELANCE_SMTP_RETRIES", 2, whole=True))
)
SMTP_RETRY_WAIT = _number("RELANCE_SMTP_RETRY_WAIT", 30.0)


def _cache(url: str) -> dict[str, Any]:
    """Where the workspace keeps its figures (workspace/figures.py), shared by every process
    of the install: files under var/cache by default, Redis with redis://, or one process's
    memory with locmem:// (figures then computed once per server process)."""
    if url.startswith(("redis://", "rediss://")):
        return {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}
    if url.startswith("locmem://"):
        return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    if url.startswith("file://"):
        folder = url.removeprefix("file://")
        return {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": folder,
            "OPTIONS": {"MAX_ENTRIES": 2000},
        }
    raise ConfigurationError(
        f"RELANCE_CACHE_URL {url!r}: use file:///DIR, redis://host:port/db or locmem://"
    )


CACHES = {
    "default": _cache(
        os.environ.get("RELANCE_CACHE_URL", "").strip() or f"file://{VAR_DIR / 'cache'}"
    )
}

# The task queue: relance.config.celery builds Celery's configuration from these.
BROKER_URL = os.environ.get("RELANCE_BROKER_URL", "").strip()
BROKER_PREFIX = os.environ.get("RELANCE_BROKER_PREFIX", "").strip()
TASK_TIME_LIMIT = _seconds("RELANCE_TASK_TIME_LIMIT", 3000)
BROKER_VISIBILITY_TIMEOUT = _seconds("RELANCE_BROKER_VISIBILITY_TIMEOUT", 3600)
DAILY_PASS_AT = os.environ.get("RELANCE_DAILY_PASS_AT", "07:30").strip()

# The debtor portal (relance.apps.portal): its links are absolute, so they need the public
# address; without one, no message carries a link.
PUBLIC_URL = os.environ.get("RELANCE_PUBLIC_URL", "").strip().rstrip("/")
_PORTAL_DAYS = os.environ.get("RELANCE_PORTAL_DAYS", "").strip() or "120"
if not _PORTAL_DAYS.isdigit() or int(_PORTAL_DAYS) < 1:
    raise ConfigurationError(f"RELANCE_PORTAL_DAYS must be a whole number of days, not {_PORTAL_DAYS!r}")
PORTAL_DAYS = int(_PORTAL_DAYS)

LOGIN_URL = "workspace:login"
LOGIN_REDIRECT_URL = "workspace:home"

if not DEBUG:
    # Behind a TLS proxy set RELANCE_SECURE_COOKIES=1: secure cookies, HTTPS redirect and HSTS.
    # A laptop serving plain http on loopback keeps them off.
    _SECURE = _flag("RELANCE_SECURE_COOKIES", False)
    SESSION_COOKIE_SECURE = _SECURE
    CSRF_COOKIE_SECURE = _SECURE
    SECURE_SSL_REDIRECT = _flag("RELANCE_SSL_REDIRECT", _SECURE)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(
        os.environ.get("RELANCE_HSTS_SECONDS", "31536000" if _SECURE else "0")
    )
    SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
    SECURE_HSTS_PRELOAD = _flag("RELANCE_HSTS_PRELOAD", SECURE_HSTS_SECONDS > 0)
    SECURE_CONTENT_TYPE_NOSNIFF = True
    X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("RELANCE_LOG_LEVEL", "WARNING")},
}
