"""Settings, read from the environment (django-environ).

Development defaults are safe: DEBUG is off unless asked for, and production mode (DEBUG off)
refuses to start without a SECRET_KEY and ALLOWED_HOSTS.
"""

import hashlib
import os
from pathlib import Path

import django_stubs_ext
import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

# Lets the type annotations subscript Django's generic classes (ModelAdmin[User], ModelForm[Case]).
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent


class _SecretFiles(environ.FileAwareMapping):  # type: ignore[misc]  # environ has no types
    """The environment, where `NAME_FILE=/path` gives NAME the file's content (systemd's
    LoadCredential, Docker and Kubernetes secrets) without its trailing newline."""

    def __getitem__(self, key: str) -> str:
        try:
            value: str = super().__getitem__(key)
        except OSError as error:
            raise ImproperlyConfigured(f"{key}_FILE cannot be read: {error}") from error
        return value.rstrip("\r\n") if self.env.get(key + "_FILE") else value


class _Env(environ.FileAwareEnv):  # type: ignore[misc]  # environ has no types
    ENVIRON = _SecretFiles()


env = _Env()

# A development `.env` (KEY=value lines; `make run` writes one with DEBUG=1 when there is none;
# never committed) fills in what the environment leaves unset: the environment always wins.
# ENV_FILE names another file; ENV_FILE= (empty, as `make test` sets) reads none.
ENV_FILE = os.environ.get("ENV_FILE", str(BASE_DIR / ".env"))
if ENV_FILE and Path(ENV_FILE).is_file():
    env.read_env(ENV_FILE)

DEBUG = env.bool("DEBUG", default=False)

# Production settings that are missing. The app refuses to serve (config/wsgi.py, asgi.py) and
# every management command that runs the system checks refuses to run (core.checks) while this
# list is not empty; commands that only read the models (makemigrations) still work, so a
# fresh checkout can be checked without inventing a secret.
CONFIG_ERRORS: list[str] = []

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        CONFIG_ERRORS.append(
            "SECRET_KEY is not set. In production (DEBUG off) set SECRET_KEY to a long random "
            "value, e.g. `python -c 'import secrets; print(secrets.token_urlsafe(50))'`."
        )
    else:
        SECRET_KEY = "development-only-secret-key-do-not-use-in-production-0123456789"  # noqa: S105
# Old keys after a rotation (comma-separated): signed values and ledger tokens still verify.
SECRET_KEY_FALLBACKS = env.list("SECRET_KEY_FALLBACKS", default=[])

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[])
if not ALLOWED_HOSTS:
    if not DEBUG:
        CONFIG_ERRORS.append(
            "ALLOWED_HOSTS is not set. In production (DEBUG off) set ALLOWED_HOSTS to the "
            "comma-separated host names the site is served on, e.g. `soudan.example.lg.jp`."
        )
    else:
        ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    # The admin site sends its login to the app's own login (lockout, TOTP): accounts.admin_site.
    "accounts.admin_apps.SecureAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",  # the widget templates, for FORM_RENDERER below
    "django_filters",
    "django_tasks_db",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "core",
    "accounts",
    "audit",
    "cases",
    "platforms",
    "referrals",
    "kpi",
    "exports",
    "programme",
    "casework",
    # The demo data and its commands (seed_demo, demo_totp): imports the apps, imported by none.
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "core.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    # A NUL byte in the path or query string: a 400 page with a message, not a 500.
    "core.middleware.RejectNulMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.is_verified(): whether this session passed the second factor (django-otp).
    "django_otp.middleware.OTPMiddleware",
    # request.user as the user itself: read hundreds of times a page through two lazy proxies.
    "accounts.middleware.ResolvedUserMiddleware",
    "core.dates.DateStyleMiddleware",  # dates shown as the user chose (和暦 or Western)
    # The scope's municipality ids read once per request, however many lists ask (accounts.scope).
    "accounts.middleware.ScopeMemoMiddleware",
    # After authentication: end sessions past their absolute lifetime, then hold back users
    # who still owe their second factor; mark every authenticated response no-store.
    # A form sent after the session ended is carried through the login (accounts/resume.py).
    "accounts.middleware.ExpiredSessionMiddleware",
    "accounts.middleware.SessionLifetimeMiddleware",
    "accounts.middleware.OTPRequiredMiddleware",
    "core.middleware.NoStoreForAuthenticatedMiddleware",
    "core.middleware.DatabaseUnavailableMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.csp",
                "accounts.context_processors.navigation",
            ],
        },
    },
]

# Every form field group renders with templates/includes/field.html (core.forms).
FORM_RENDERER = "core.forms.FormRenderer"

# Database: a SQLite file in the project folder unless DATABASE_URL says otherwise.
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # Every database call waits a bounded time (README, "Faults"): connecting, any statement,
    # any lock. A request that hits a limit gets the 503 page; workers set their own
    # statement limit (DB_WORKER_STATEMENT_TIMEOUT_MS, exports.worker).
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].setdefault(
        "connect_timeout", env.int("DB_CONNECT_TIMEOUT", default=5)
    )
    DATABASES["default"]["OPTIONS"].setdefault(
        "options",
        " ".join(
            [
                f"-c statement_timeout={env.int('DB_STATEMENT_TIMEOUT_MS', default=15000)}",
                f"-c lock_timeout={env.int('DB_LOCK_TIMEOUT_MS', default=5000)}",
                "-c idle_in_transaction_session_timeout="
                f"{env.int('DB_IDLE_IN_TRANSACTION_TIMEOUT_MS', default=60000)}",
            ]
        ),
    )
    # A server that stops answering on an open connection: give up on unacknowledged data.
    DATABASES["default"]["OPTIONS"].setdefault(
        "tcp_user_timeout", env.int("DB_TCP_USER_TIMEOUT_MS", default=10000)
    )
else:
    DATABASES["default"].setdefault("OPTIONS", {})
    # WAL and a busy timeout let the development server and a task worker share the file.
    DATABASES["default"]["OPTIONS"].setdefault("timeout", 20)
    DATABASES["default"]["OPTIONS"].setdefault("transaction_mode", "IMMEDIATE")
    DATABASES["default"]["OPTIONS"].setdefault(
        "init_command", "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
    )
DATABASES["default"]["ATOMIC_REQUESTS"] = False

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://")}
# Keys are prefixed with the database they describe, so two installations that share a cache
# server never read each other's figures.
CACHES["default"].setdefault(
    "KEY_PREFIX",
    env.str(
        "CACHE_KEY_PREFIX",
        default=hashlib.sha256(
            "{HOST}:{PORT}:{NAME}".format(**DATABASES["default"]).encode()
        ).hexdigest()[:12],
    ),
)

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Internationalisation: Japanese first, English available.
LANGUAGE_CODE = "ja"
LANGUAGES = [("ja", "日本語"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="Asia/Tokyo")
USE_I18N = True
USE_TZ = True

# Static files are served by the app itself (whitenoise): municipal networks are closed.
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG and env.bool("STATIC_MANIFEST", default=True)
        else "django.contrib.staticfiles.storage.StaticFilesStorage",
    },
}
WHITENOISE_USE_FINDERS = DEBUG or not env.bool("STATIC_MANIFEST", default=True)

# Private files (exports) live outside any public path.
PRIVATE_ROOT = Path(env.str("PRIVATE_ROOT", default=str(BASE_DIR / "var" / "private")))

# Record exports above this many rows run in the background; their files expire.
EXPORT_BACKGROUND_THRESHOLD = env.int("EXPORT_BACKGROUND_THRESHOLD", default=5000)
EXPORT_FILE_TTL_HOURS = env.int("EXPORT_FILE_TTL_HOURS", default=24)
# Uploaded ledgers not confirmed are deleted after this many hours (confirmed: at once).
LEDGER_UPLOAD_TTL_HOURS = env.int("LEDGER_UPLOAD_TTL_HOURS", default=2)

# Published KPI workbooks (公表用) show counts below this as "<5" (kpi.suppression).
KPI_PUBLIC_SUPPRESS_BELOW = env.int("KPI_PUBLIC_SUPPRESS_BELOW", default=5)

# Background tasks: the database backend, so more workers on more machines need no broker.
TASKS = {
    "default": {
        "BACKEND": env.str("TASKS_BACKEND", default="django_tasks_db.DatabaseBackend"),
    }
}
# Workers (`manage.py run_worker`) beat this often; one silent for the lease is dead and its
# jobs are retried, each at most TASK_MAX_ATTEMPTS times in all, then failed (exports.jobs).
TASK_HEARTBEAT_SECONDS = env.float("TASK_HEARTBEAT_SECONDS", default=10.0)
TASK_WORKER_LEASE_SECONDS = env.int("TASK_WORKER_LEASE_SECONDS", default=60)
TASK_MAX_ATTEMPTS = env.int("TASK_MAX_ATTEMPTS", default=3)
DB_WORKER_STATEMENT_TIMEOUT_MS = env.int("DB_WORKER_STATEMENT_TIMEOUT_MS", default=600_000)
# PostgreSQL's parallel query processes for a worker's statements (exports.worker): 0, so that
# an export's query runs in the one backend whose priority the worker lowers.
DB_WORKER_PARALLEL_WORKERS = env.int("DB_WORKER_PARALLEL_WORKERS", default=0)
# Workers yield to people (exports.priority): their CPU nice (0: leave it), I/O priority
# (best-effort:0-7, idle, none) and, when PostgreSQL runs on the same host and may be
# changed by this user, the same for their own database backends.
WORKER_NICE = env.int("WORKER_NICE", default=10)
WORKER_IO_PRIORITY = env.str("WORKER_IO_PRIORITY", default="best-effort:7")
WORKER_RENICE_DATABASE = env.bool("WORKER_RENICE_DATABASE", default=True)
# ... and rest between batches while people wait for the CPU (exports.priority.pace): when
# tasks waited for a CPU at least WORKER_YIELD_PRESSURE percent of a slice of work, sleep
# WORKER_YIELD_RATIO × that slice (0: never rest).
WORKER_YIELD_RATIO = env.float("WORKER_YIELD_RATIO", default=1.0)
WORKER_YIELD_PRESSURE = env.float("WORKER_YIELD_PRESSURE", default=10.0)
WORKER_YIELD_SLICE_SECONDS = env.float("WORKER_YIELD_SLICE_SECONDS", default=0.25)

# core.baked: also compile each baked query afresh and raise if its SQL differs (the test suite
# turns it on; it costs what baking saves, so production leaves it off).
BAKED_QUERIES_CHECK = env.bool("BAKED_QUERIES_CHECK", default=False)

# Security. Production values are the defaults; development relaxes what HTTP on localhost needs.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if env.bool("BEHIND_TLS_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
CSRF_FAILURE_VIEW = "core.errors.csrf_failure"
# Correcting records (cases/voiding.py): the recorder may void (取消) their own consultation,
# case or employment outcome, or undo a referral step, this many hours after saving it; the
# centre and admins at any time. A second identical submission within the window below is
# answered 「同じ内容の記録がすでにあります」 (core/resubmission.py).
VOID_WINDOW_HOURS = env.int("VOID_WINDOW_HOURS", default=72)
DUPLICATE_SUBMISSION_WINDOW_SECONDS = env.int(
    "DUPLICATE_SUBMISSION_WINDOW_SECONDS", default=30 * 60
)
SESSION_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "object-src": [CSP.NONE],
}

# Sessions: an inactivity timeout, renewed by activity (at most once a minute), and an absolute
# lifetime after which the user logs in again however active they were (accounts.middleware).
SESSION_COOKIE_AGE = env.int("SESSION_IDLE_SECONDS", default=30 * 60)
SESSION_SAVE_EVERY_REQUEST = False
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_ABSOLUTE_SECONDS = env.int("SESSION_ABSOLUTE_SECONDS", default=12 * 60 * 60)

# Login lockout, by username (a whole town hall shares one IP address): after
# LOGIN_FAILURE_LIMIT failures within LOGIN_FAILURE_WINDOW_SECONDS the username is refused
# for LOGIN_LOCKOUT_SECONDS. Counts live in the database so every app process shares them.
LOGIN_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
LOGIN_FAILURE_WINDOW_SECONDS = env.int("LOGIN_FAILURE_WINDOW_SECONDS", default=15 * 60)
LOGIN_LOCKOUT_SECONDS = env.int("LOGIN_LOCKOUT_SECONDS", default=15 * 60)

# Second factor (TOTP, RFC 6238, django-otp): required for admins, offered to everyone.
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="ひきこもり支援ケース管理")
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

# Error reports never carry request data or local variables (they may hold case notes).
DEFAULT_EXCEPTION_REPORTER_FILTER = "core.logging.NoRequestDataExceptionReporterFilter"
DEFAULT_EXCEPTION_REPORTER = "core.logging.NoRequestDataExceptionReporter"

# Audit trail retention (days); `manage.py purge_audit` removes older rows.
AUDIT_RETENTION_DAYS = env.int("AUDIT_RETENTION_DAYS", default=365 * 5)
# The audit export refuses more rows than this (narrow the filter instead).
AUDIT_EXPORT_MAX_ROWS = env.int("AUDIT_EXPORT_MAX_ROWS", default=200_000)

# The prefecture this installation serves by default (JIS code; 39 = Kochi).
DEFAULT_PREFECTURE_CODE = env.str("DEFAULT_PREFECTURE_CODE", default="39")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        # Escapes CR, LF and other control characters: user input cannot forge log lines.
        "plain": {
            "()": "core.logging.SafeFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
        },
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain"},
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
    },
}
