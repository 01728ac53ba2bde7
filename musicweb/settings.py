"""Settings for musicweb: every deploy-time choice comes from the environment.

The defaults run the embedded setup (SQLite, local media, SQLite channel layer,
database task queue) so that `make run` needs no external server. Production
sets SECRET_KEY, DATABASE_URL, REDIS_URL and ALLOWED_HOSTS; docs/deploy.md
lists every variable.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured
from django.core.management.utils import get_random_secret_key

from generator.engine.catalog import MODE_INFO
from musicweb.addresses import parse_networks
from musicweb.uploadtemp import upload_folder

BASE_DIR = Path(__file__).resolve().parent.parent

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), not {raw!r}")


def env_int(name: str, default: int, minimum: int = 0) -> int:
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {value}")
    return value


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


def _secret_key(var_dir: Path, debug: bool) -> str:
    """Return SECRET_KEY from the environment, or a key generated once and kept in var/.

    A generated key lets `make run` start with no setup while never using a
    well-known key; deployments set SECRET_KEY explicitly.
    """
    key = env_str("SECRET_KEY")
    if key:
        return key
    if debug:
        return "django-insecure-local-development-only"
    key_file = var_dir / "secret_key"
    if not key_file.exists():
        key_file.parent.mkdir(parents=True, exist_ok=True)
        key_file.write_text(get_random_secret_key())
        key_file.chmod(0o600)
    return key_file.read_text().strip()


DEBUG = env_bool("DEBUG", False)
VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var")))
SECRET_KEY = _secret_key(VAR_DIR, DEBUG)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

# HTTPS hardening is on by default whenever DEBUG is off; a local plain-HTTP
# run (`make run` on loopback) turns it off with HTTPS=0.
HTTPS = env_bool("HTTPS", not DEBUG)
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if HTTPS else None
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

# What pages may load and run (django-csp): only the site's own files; no inline script or
# <style>. Progress bars carry their width in a style attribute, the one inline style allowed.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "style-src-attr": [UNSAFE_INLINE],
        "img-src": [SELF],
        # blob: lets the library page read a chosen file's length before uploading it.
        "media-src": [SELF, "blob:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
# Browser features no page uses are switched off (django-permissions-policy).
PERMISSIONS_POLICY = {
    feature: []
    for feature in (
        "accelerometer",
        "browsing-topics",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "payment",
        "usb",
    )
}

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "channels_lite",
    "django_tasks",
    "django_tasks_db",
    "axes",
    "csp",
    "musicweb.accounts",
    "musicweb.library",
    "musicweb.gallery",
    "musicweb.recommend",
    "musicweb.practice",
    "generator",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "musicweb.middleware.RefuseNulMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "musicweb.middleware.PrivateCacheMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    # Last, so that it sees the log-in views' answers and turns a refused try into a 429.
    "musicweb.accounts.throttle.LockoutMiddleware",
]
# axes.W002 asks for axes' own middleware by name; LockoutMiddleware is a subclass of it.
SILENCED_SYSTEM_CHECKS = ["axes.W002"]

ROOT_URLCONF = "musicweb.urls"
ASGI_APPLICATION = "musicweb.asgi.application"
WSGI_APPLICATION = None

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
                "musicweb.context_processors.limits",
            ],
        },
    },
]


def _database(url: str) -> dict:
    """Parse DATABASE_URL; SQLite gets WAL mode and immediate transactions for concurrency."""
    try:
        config = dj_database_url.parse(url, conn_max_age=env_int("DB_CONN_MAX_AGE", 0))
    except ValueError as exc:
        raise ImproperlyConfigured(f"DATABASE_URL is not a database URL: {exc}") from None
    if config["ENGINE"] == "django.db.backends.sqlite3":
        Path(config["NAME"]).parent.mkdir(parents=True, exist_ok=True)
        config["OPTIONS"] = {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    return config


DATABASES = {"default": _database(env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}"))}

# The channel layer pushes job progress from workers to sockets. Redis at scale;
# otherwise a SQLite layer on its own WAL file, so the embedded setup needs no server.
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            # A consumer waits on a blocking read (BZPOPMIN, 5 s): redis-py 8's default
            # 5 s socket timeout would end it, so reads wait as long as Redis holds them.
            "CONFIG": {
                "hosts": [{"address": REDIS_URL, "socket_timeout": None}],
                "capacity": 1000,
                "expiry": 30,
            },
        }
    }
else:
    DATABASES["channels"] = _database(f"sqlite:///{VAR_DIR / 'channels.sqlite3'}")
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_lite.layers.core.SQLiteChannelLayer",
            "CONFIG": {"database": "channels", "capacity": 5000, "expiry": 30},
        }
    }
DATABASE_ROUTERS = ["musicweb.routers.ChannelLayerRouter"]

# The cache holds visitor copies of gallery pages and the API's request rates: shared
# through Redis at scale, per process otherwise.
if REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Proxies whose X-Forwarded-For is believed (addresses or CIDR ranges); nobody's by default.
# Log-in throttling and play counts key visitors by address (musicweb/addresses.py).
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES", "")
try:
    parse_networks(TRUSTED_PROXIES)
except ValueError as exc:
    raise ImproperlyConfigured(f"TRUSTED_PROXIES: {exc}") from None

# Log-in throttling (musicweb/accounts/throttle.py explains the rules): failed log-ins are
# counted by django-axes in the database, on the log-in page, the API token and the admin.
LOGIN_ATTEMPTS = env_int("LOGIN_ATTEMPTS", 5, minimum=1)
LOGIN_LOCKOUT_SECONDS = env_int("LOGIN_LOCKOUT_SECONDS", 900, minimum=1)
LOGIN_ACCOUNT_DELAY_SECONDS = env_int("LOGIN_ACCOUNT_DELAY_SECONDS", 30, minimum=1)
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_HANDLER = "musicweb.accounts.throttle.LoginThrottle"
AXES_FAILURE_LIMIT = "musicweb.accounts.throttle.failure_limit"
AXES_COOLOFF_TIME = "musicweb.accounts.throttle.cool_off"
AXES_LOCKOUT_PARAMETERS = ["ip_address"]
AXES_LOCKOUT_CALLABLE = "musicweb.accounts.throttle.lockout_response"
AXES_CLIENT_IP_CALLABLE = "musicweb.addresses.client_address"
AXES_RESET_ON_SUCCESS = False
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_VERBOSE = False

TASKS = {
    "default": {
        "BACKEND": env_str("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default", "training"],
    }
}

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "library:list"
LOGOUT_REDIRECT_URL = "home"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "musicweb <noreply@localhost>")

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "static"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
# No MEDIA_URL is served: every file goes through a view that checks who may see it.
MEDIA_URL = "/files/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Upload limits, shown to users on the upload page.
MAX_UPLOAD_MB = env_int("MAX_UPLOAD_MB", 50, minimum=1)
MAX_CLIP_SECONDS = env_int("MAX_CLIP_SECONDS", 600, minimum=1)
USER_QUOTA_MB = env_int("USER_QUOTA_MB", 500, minimum=1)
# Bodies are bounded before they are read (musicweb/bodylimit.py): uploads (multipart) to
# MAX_UPLOAD_MB and a little for the form around the file, any other body to MAX_BODY_MB.
MAX_BODY_MB = env_int("MAX_BODY_MB", 2, minimum=1)
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_BODY_MB * 1024 * 1024
# Upload files over this size spool to disk, in a folder of this process's own that the next
# web process to start removes once this process is gone (musicweb/uploadtemp.py).
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
FILE_UPLOAD_TEMP_DIR = str(upload_folder(VAR_DIR / "uploads"))

# Plays of one track counted from one address in an hour (one per listener), so that
# scripted plays cannot inflate counts; see Track.count_play.
MAX_PLAYS_PER_ADDRESS = env_int("MAX_PLAYS_PER_ADDRESS", 10, minimum=1)

# Generation jobs: per-user limits, the longest output per mode, and the worker lease.
MAX_ACTIVE_JOBS = env_int("MAX_ACTIVE_JOBS", 3, minimum=1)
JOBS_PER_HOUR = env_int("JOBS_PER_HOUR", 60, minimum=1)


def _max_seconds() -> dict[str, int]:
    """Each mode's longest output: the engine's limit, lowered with MAX_SECONDS_<MODE>."""
    limits = {}
    for name, info in MODE_INFO.items():
        variable = f"MAX_SECONDS_{name.upper()}"
        limits[name] = env_int(variable, int(info.max_seconds), minimum=1)
        if limits[name] > info.max_seconds:
            raise ImproperlyConfigured(
                f"{variable} may be at most {info.max_seconds:g}, the engine's limit for {name}."
            )
    return limits


MAX_SECONDS = _max_seconds()
CORPUS_DIR = Path(env_str("CORPUS_DIR", str(VAR_DIR / "corpus")))
JOB_LEASE_SECONDS = env_int("JOB_LEASE_SECONDS", 30, minimum=5)
# A generation job's time limit: this many times its measured work, plus a fixed allowance.
JOB_TIME_LIMIT_FACTOR = env_int("JOB_TIME_LIMIT_FACTOR", 5, minimum=1)
JOB_TIME_LIMIT_BASE_SECONDS = env_int("JOB_TIME_LIMIT_BASE_SECONDS", 60, minimum=1)
# Progress events per job per second, at most (the SQLite channel layer's comfort zone).
PROGRESS_EVENTS_PER_SECOND = env_int("PROGRESS_EVENTS_PER_SECOND", 10, minimum=1)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 24,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "musicweb.rest.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env_str("API_ANON_RATE", "120/min"),
        "user": env_str("API_USER_RATE", "600/min"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "musicweb API",
    "DESCRIPTION": "Upload clips, generate music with CNNs, publish and rate tracks.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Redoc's script is served by this site (drf-spectacular-sidecar), so the docs work offline.
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "musicweb.rest.add_error_responses",
    ],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}, "axes": {"level": "WARNING"}},
}
