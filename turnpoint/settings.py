"""Turnpoint settings: one module, configured from the environment.

Jurisdiction policy never lives here: it lives in programme definition files (programmes/).
`TURNPOINT_ENV=production` turns on the strict, secure configuration and refuses to start without
a real SECRET_KEY, TURNPOINT_AUDIT_KEY and ALLOWED_HOSTS (shared/reference/security.md SEC-29,
SEC-21).
"""

import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str | None = None) -> str:
    value = os.environ.get(name, default)
    if value is None:
        raise ImproperlyConfigured(f"environment variable {name} is required")
    return value


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    if raw.lower() in {"1", "true", "yes", "on"}:
        return True
    if raw.lower() in {"0", "false", "no", "off", ""}:
        return False
    raise ImproperlyConfigured(f"environment variable {name}={raw!r} is not a boolean")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"environment variable {name}={raw!r} is not a number") from exc


def _key_list(name: str) -> list[str]:
    """Keys from a comma-separated environment variable, newest first; empty when unset."""
    return [k.strip() for k in os.environ.get(name, "").split(",") if k.strip()]


def _development_secret_key() -> str:
    """A random key kept in .secret_key beside the checkout, so no secret is ever committed."""
    path = BASE_DIR / ".secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


PRODUCTION = env_str("TURNPOINT_ENV", "development") == "production"
DEBUG = env_bool("DEBUG", False)

if PRODUCTION:
    SECRET_KEY = env_str("SECRET_KEY")
    if len(SECRET_KEY) < 50 or SECRET_KEY.startswith("django-insecure"):
        raise ImproperlyConfigured("SECRET_KEY must be a random value of at least 50 characters")
    if DEBUG:
        raise ImproperlyConfigured("DEBUG must be off in production")
    ALLOWED_HOSTS = [h for h in env_str("ALLOWED_HOSTS").split(",") if h.strip()]
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("ALLOWED_HOSTS must name the host names this service answers to")
    # Keys the audit checkpoints (docs/sharing.md); never stored in the database.
    TURNPOINT_AUDIT_KEY = env_str("TURNPOINT_AUDIT_KEY")
    if len(TURNPOINT_AUDIT_KEY) < 32 or TURNPOINT_AUDIT_KEY == SECRET_KEY:
        raise ImproperlyConfigured(
            "TURNPOINT_AUDIT_KEY must be a random value of at least 32 characters, "
            "different from SECRET_KEY"
        )
    # Earlier audit keys, after a rotation: their checkpoints still verify; new ones use
    # TURNPOINT_AUDIT_KEY only (docs/sharing.md, "Rotating the audit key").
    TURNPOINT_AUDIT_KEY_FALLBACKS = _key_list("TURNPOINT_AUDIT_KEY_FALLBACKS")
    for _n, _key in enumerate(TURNPOINT_AUDIT_KEY_FALLBACKS, start=1):
        if len(_key) < 32 or _key in (SECRET_KEY, TURNPOINT_AUDIT_KEY):
            raise ImproperlyConfigured(
                f"TURNPOINT_AUDIT_KEY_FALLBACKS key {_n} must be a random value of at least 32 "
                "characters, different from SECRET_KEY and from TURNPOINT_AUDIT_KEY"
            )
else:
    SECRET_KEY = os.environ.get("SECRET_KEY") or _development_secret_key()
    # A fixed, public key: development and test checkpoints prove nothing, and need no set-up.
    TURNPOINT_AUDIT_KEY = os.environ.get("TURNPOINT_AUDIT_KEY") or (
        "turnpoint-development-audit-key-not-secret"
    )
    TURNPOINT_AUDIT_KEY_FALLBACKS = _key_list("TURNPOINT_AUDIT_KEY_FALLBACKS")
    ALLOWED_HOSTS = env_str("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")

# Keys the pseudonyms of de-identified research extracts (docs/analytics.md): at least 32
# characters, not SECRET_KEY. Unset in production, no extract can be made; it is checked when
# one is. Development and tests use a fixed, public key: their pseudonyms protect nothing.
TURNPOINT_PSEUDONYM_KEY = os.environ.get("TURNPOINT_PSEUDONYM_KEY", "") or (
    "" if PRODUCTION else "turnpoint-development-pseudonym-key-not-secret"
)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "ninja",
    "django_tasks",
    "django_tasks_db",
    "turnpoint.accounts",
    "turnpoint.sharing",
    "turnpoint.people",
    "turnpoint.programmes",
    "turnpoint.journeys",
    "turnpoint.outcomes",
    "turnpoint.assessments",
    "turnpoint.plans",
    "turnpoint.supervision",
    "turnpoint.analytics",
    "turnpoint.web",
    "turnpoint.portal",
    "turnpoint.api",
    "turnpoint.simulator",
    "turnpoint.tasks",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "turnpoint.accounts.sessions.SessionLifetimeMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "turnpoint.sharing.middleware.RequestContextMiddleware",
    "turnpoint.sharing.middleware.DenialAuditMiddleware",
    "turnpoint.sharing.middleware.SecureHeadersMiddleware",
    # Too large a body: 413; a write to the API that is not JSON: 415 (security.md SEC-45).
    "turnpoint.request_limits.RequestLimitsMiddleware",
    # Signed in but no security code yet: only the security-code pages (security.md SEC-25).
    # Last, so its redirects carry the request id and secure headers, and an expired session
    # has already been signed out.
    "turnpoint.accounts.middleware.MfaRequiredMiddleware",
    # A participant's session reaches the portal only (docs/portal.md).
    "turnpoint.portal.middleware.PortalBoundaryMiddleware",
]

ROOT_URLCONF = "turnpoint.urls"
WSGI_APPLICATION = "turnpoint.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "turnpoint" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "turnpoint.web.context.service",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # WAL lets the demo server read while a bulk job writes; IMMEDIATE avoids upgrade deadlocks.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
elif DATABASES["default"]["ENGINE"].endswith("postgresql") and env_bool(
    "DB_PREPARED_STATEMENTS", True
):
    # Statements prepared once per connection: the server no longer parses them, and keeps
    # their plan where one plan suits any parameters. psycopg prepares a statement once its text
    # has been sent five times, which needs the parameters bound on the server rather than
    # written into the text. Django leaves both off because a pooler in transaction mode
    # (PgBouncer before 1.21) hands each transaction a different server connection; set
    # DB_PREPARED_STATEMENTS=off behind one. README.md (Databases); docs/benchmarks.md.
    DATABASES["default"]["OPTIONS"] = {"server_side_binding": True, "prepare_threshold": 5}
if DATABASES["default"]["ENGINE"].endswith("postgresql") and not env_bool("DB_JIT", False):
    # PostgreSQL compiles a query whose estimated cost passes `jit_above_cost`; the caseload's
    # attention order crosses it and spent about 500 of its 978 ms compiling, on every request
    # (docs/benchmarks.md, "The caseload's attention order"). Short interactive queries gain
    # nothing from it, so each connection turns it off; DB_JIT=on leaves the server's setting.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Background work (docs/tasks.md): the queue is a table in the same database, so the embedded
# default needs no other server; `turnpoint worker` runs what is queued.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "web:caseload"
LOGOUT_REDIRECT_URL = "login"

AUTHENTICATION_BACKENDS = ["turnpoint.accounts.backends.LockoutBackend"]
# After this many failed sign-ins within the window an account waits a minute from its last
# failure, each further failure doubling the wait up to 15 minutes; an address gets the same
# after its own allowance (security.md SEC-26 and SEC-46; turnpoint/accounts/backends.py).
SIGN_IN_MAX_FAILURES = env_int("SIGN_IN_MAX_FAILURES", 5)
SIGN_IN_ADDRESS_MAX_FAILURES = env_int("SIGN_IN_ADDRESS_MAX_FAILURES", 20)
SIGN_IN_WINDOW_SECONDS = env_int("SIGN_IN_WINDOW_SECONDS", 15 * 60)
SIGN_IN_FIRST_WAIT_SECONDS = env_int("SIGN_IN_FIRST_WAIT_SECONDS", 60)
SIGN_IN_MAX_WAIT_SECONDS = env_int("SIGN_IN_MAX_WAIT_SECONDS", 15 * 60)

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
]

# Staff sessions end after 30 idle minutes (security.md SEC-27 default).
SESSION_COOKIE_AGE = env_int("SESSION_IDLE_SECONDS", 30 * 60)
SESSION_SAVE_EVERY_REQUEST = True
# However active, a staff session ends 12 hours after sign-in (SEC-27; accounts/sessions.py).
SESSION_ABSOLUTE_SECONDS = env_int("SESSION_ABSOLUTE_SECONDS", 12 * 60 * 60)
SESSION_COOKIE_HTTPONLY = True
# The longest request body accepted (bytes); a longer one is refused with 413 (SEC-45). Django's
# default, 2.5 MB: a scenario on the simulator page is a few kilobytes, an API body less.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("REQUEST_MAX_BYTES", 2_621_440)
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = 31_536_000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = env_str("TIME_ZONE", "Europe/London")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [
    ("govuk", BASE_DIR / "node_modules" / "govuk-frontend" / "dist" / "govuk"),
    ("moj", BASE_DIR / "node_modules" / "@ministryofjustice" / "frontend" / "moj"),
    ("htmx", BASE_DIR / "node_modules" / "htmx.org" / "dist"),
    BASE_DIR / "turnpoint" / "static",  # the project's own CSS and module scripts
]
# Outside production, WhiteNoise serves straight from the installed packages (no collectstatic).
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = DEBUG

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Control characters in messages are escaped: one event, one line (SEC-22; turnpoint/logs.py).
    "formatters": {
        "safe": {
            "()": "turnpoint.logs.SafeFormatter",
            "format": "%(levelname)s %(name)s %(message)s",
        }
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "safe"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "WARNING")},
}

# Turnpoint's own settings.
TURNPOINT_SERVICE_NAME = env_str("TURNPOINT_SERVICE_NAME", "Turnpoint")
TURNPOINT_PROGRAMMES_DIR = BASE_DIR / "programmes"
# Instruments (docs/assessments.md, "Instruments"): the shipped files, a deployment's own
# directories of licensed instrument files (":"-separated; loaded with the same checks, an id
# clashing with a shipped one refused) and the ids a deployment switches off (comma-separated;
# an unknown id is refused at start).
TURNPOINT_INSTRUMENTS_DIR = BASE_DIR / "instruments"
TURNPOINT_INSTRUMENT_DIRS = [
    p for p in os.environ.get("TURNPOINT_INSTRUMENT_DIRS", "").split(os.pathsep) if p.strip()
]
TURNPOINT_INSTRUMENTS_OFF = _key_list("TURNPOINT_INSTRUMENTS_OFF")
IDEMPOTENCY_KEY_TTL_SECONDS = env_int("IDEMPOTENCY_KEY_TTL_SECONDS", 24 * 3600)
# The simulator page: the most runs times simulated years one request may ask for (the shipped
# scenarios at 300 runs, about 30 s), and the simulations a user may start an hour (SEC-46).
SIMULATOR_WEB_MAX_RUN_YEARS = env_int("SIMULATOR_WEB_MAX_RUN_YEARS", 18_000)
SIMULATOR_WEB_RUNS_PER_HOUR = env_int("SIMULATOR_WEB_RUNS_PER_HOUR", 20)
# Audit checkpoints (docs/sharing.md, security.md SEC-21, SEC-42): one every N entries (0: only
# `turnpoint audit checkpoint`, which cron runs every minute), a copy appended to a file outside
# the database (empty: none; production refuses to start without it), and the longest stretch
# without a checkpoint that `turnpoint audit verify` accepts (0: no limit; in production two
# minutes: one run of the minutely cron may be late).
TURNPOINT_AUDIT_CHECKPOINT_EVERY = env_int("TURNPOINT_AUDIT_CHECKPOINT_EVERY", 1000)
TURNPOINT_AUDIT_CHECKPOINT_FILE = env_str("TURNPOINT_AUDIT_CHECKPOINT_FILE", "")
TURNPOINT_AUDIT_CHECKPOINT_MAX_AGE = env_int(
    "TURNPOINT_AUDIT_CHECKPOINT_MAX_AGE", 120 if PRODUCTION else 0
)
if PRODUCTION and not os.path.isabs(TURNPOINT_AUDIT_CHECKPOINT_FILE):
    raise ImproperlyConfigured(
        "TURNPOINT_AUDIT_CHECKPOINT_FILE must be the absolute path of a file outside the "
        "database (ideally append-only or shipped to another host) where audit checkpoints "
        "are also written; production does not start without it"
    )
# Background jobs (docs/tasks.md, "Retried and reported"): the attempts a job gets by default, the
# wait after its first failed attempt (doubled after each further one), and how long a job may
# run before `turnpoint tasks failed` lists it as stalled.
TURNPOINT_TASK_ATTEMPTS = env_int("TURNPOINT_TASK_ATTEMPTS", 3)
TURNPOINT_TASK_BACKOFF_SECONDS = env_int("TURNPOINT_TASK_BACKOFF_SECONDS", 60)
TURNPOINT_TASK_STALLED_AFTER_SECONDS = env_int("TURNPOINT_TASK_STALLED_AFTER_SECONDS", 3600)
if TURNPOINT_TASK_ATTEMPTS < 1 or TURNPOINT_TASK_BACKOFF_SECONDS < 0:
    raise ImproperlyConfigured(
        "TURNPOINT_TASK_ATTEMPTS must be 1 or more and TURNPOINT_TASK_BACKOFF_SECONDS 0 or more"
    )
