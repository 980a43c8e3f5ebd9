"""Django settings for Corridor, driven by environment variables (see .env.example)."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import django.conf.locale
import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

# django-environ parses every variable (booleans, lists, DATABASE_URL, EMAIL_URL, CACHE_URL).
env = environ.Env()
# The test run (pytest in this process) may use the default key and ignores .env; subprocesses of
# tests get a SECRET_KEY from tests/conftest.py.
TESTING = "pytest" in sys.modules
# A .env file in the working folder (see .env.example) fills in what the environment lacks.
if not TESTING and (Path.cwd() / ".env").is_file():
    environ.Env.read_env(Path.cwd() / ".env")

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(env.str("CORRIDOR_DATA_DIR", default=str(Path.cwd() / "data"))).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name: str, default: bool = False) -> bool:
    return env.bool(name, default=default)


PRODUCTION = env.bool("CORRIDOR_PRODUCTION", default=False)
# Production forces DEBUG off: a DEBUG=1 left in a production environment would show tracebacks
# (settings, SQL) to anyone.
DEBUG = env.bool("DEBUG", default=False) and not PRODUCTION
_DEFAULT_SECRET = "insecure-dev-key-change-me"  # noqa: S105 - refused below outside DEBUG/tests
SECRET_KEY = env.str("SECRET_KEY", default="") or _DEFAULT_SECRET
if SECRET_KEY == _DEFAULT_SECRET and not (DEBUG or TESTING):
    raise ImproperlyConfigured(
        "Set SECRET_KEY: the default secret key is refused outside DEBUG=1 (local development)."
    )
ALLOWED_HOSTS = [h for h in env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"]) if h]
CSRF_TRUSTED_ORIGINS = [o for o in env.list("CSRF_TRUSTED_ORIGINS", default=[]) if o]
# Production hands private downloads to the web server: deploy/nginx.conf maps this internal
# location to the private files folder. Empty: the download view sends the file itself.
CORRIDOR_ACCEL_REDIRECT_PREFIX = env.str(
    "CORRIDOR_ACCEL_REDIRECT_PREFIX", default="/protected/" if PRODUCTION else ""
)
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL and importlib.util.find_spec("redis") is None:
    raise ImproperlyConfigured(
        "REDIS_URL is set but the redis package is missing: pip install 'corridor[redis]'."
    )

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "auditlog",
    "huey.contrib.djhuey",
    # Listed so that /api/v1/docs renders ninja's template with its bundled swagger-ui files,
    # not the CDN variant ninja falls back to otherwise.
    "ninja",
    "corridor.core",
    "corridor.accounts",
    "corridor.directory",
    "corridor.connections",
    "corridor.matching",
    "corridor.events",
    "corridor.notifications",
    "corridor.followup",
    "corridor.reporting",
    "corridor.reporting.timeline",  # order timelines, keyed to followup.Order
    "corridor.training",
    "corridor.start",  # last: it collects the other apps' start-page cards
]

MIDDLEWARE = [
    # First: a database that is down or restarting answers 503 (retry shortly), not a 500.
    "corridor.core.middleware.DatabaseUnavailableMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "corridor.core.timezones.TimezoneMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.gzip.GZipMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "corridor.core.middleware.ScriptFontsMiddleware",
    "auditlog.middleware.AuditlogMiddleware",
]

ROOT_URLCONF = "corridor.urls"
WSGI_APPLICATION = "corridor.wsgi.application"

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
                "corridor.core.context_processors.site",
                "corridor.notifications.context_processors.unread",
                "corridor.start.context_processors.waiting",
            ],
        },
    }
]

# An empty DATABASE_URL means the embedded default, like an unset one.
DATABASES = {
    "default": env.db_url_config(
        env.str("DATABASE_URL", default="") or f"sqlite:///{DATA_DIR / 'corridor.sqlite3'}"
    )
}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
# A persistent connection is tested before each request reuses it: after a database restart the
# first request reconnects instead of failing on a dead socket.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers work while a writer commits; IMMEDIATE avoids lock upgrades deadlocking.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
# Django's ModelBackend, reading the header's count of what waits along with the user.
AUTHENTICATION_BACKENDS = ["corridor.accounts.backends.AccountBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "start:page"
LOGOUT_REDIRECT_URL = "home"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", _("English")),
    ("vi", _("Vietnamese")),
    ("th", _("Thai")),
    ("km", _("Khmer")),
    ("lo", _("Lao")),
    ("my", _("Burmese")),
]
# Django ships no Lao locale information; add it so the switcher can name it.
django.conf.locale.LANG_INFO.setdefault(
    "lo", {"bidi": False, "code": "lo", "name": "Lao", "name_local": "ພາສາລາວ"}
)
# Django names Khmer "Khmer" in its own switcher; a Khmer reader looks for ភាសាខ្មែរ.
django.conf.locale.LANG_INFO["km"] = {
    **django.conf.locale.LANG_INFO["km"],
    "name_local": "ភាសាខ្មែរ",
}
LOCALE_PATHS = [BASE_DIR / "locale"]
# Date and number formats of the languages Django has none for (Lao, Burmese).
FORMAT_MODULE_PATH = ["corridor.core.formats"]
USE_I18N = True
# Numbers in templates are formatted on purpose with {% load corridor_format %} (money, number,
# quantity): a global thousand separator would also turn ids in URLs into "1.234" under vi.
USE_THOUSAND_SEPARATOR = False
USE_TZ = True
TIME_ZONE = "Asia/Bangkok"

STATIC_URL = "/static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default="") or DATA_DIR / "static")
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns about a missing root
# corridor/static is not inside an installed app (corridor.core, ...): list it explicitly.
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default="") or DATA_DIR / "media")
# Uploads waiting for a staff member to confirm an import: private, never under MEDIA_ROOT.
IMPORT_STASH_DIR = Path(env.str("IMPORT_STASH_DIR", default="") or DATA_DIR / "imports")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024


# Email: console by default. EMAIL_URL: smtp://user:pass@host:587?tls=1 (STARTTLS; also
# submission:// and smtp+tls://), smtps:// or smtp+ssl:// (SMTP over SSL, port 465 by default),
# file:///path (one file per message), console: or memory: (tests).
def _email_config(url: str) -> dict:
    if not url or url.startswith("console"):
        return {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}
    if url.startswith("memory"):
        return {"EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend"}
    if url.startswith("file://"):
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": url.removeprefix("file://"),
        }
    scheme, sep, rest = url.partition("://")
    if not sep or scheme not in {"smtp", "submission", "smtp+tls", "smtps", "smtp+ssl"}:
        raise ImproperlyConfigured(f"EMAIL_URL: unknown scheme {scheme!r} (smtp, smtps, file...)")
    # django-environ reads smtps:// as STARTTLS; here smtps means SMTP over SSL (port 465).
    ssl = scheme in {"smtps", "smtp+ssl"}
    rest, _sep, query = rest.partition("?")
    config = environ.Env.email_url_config(f"smtp://{rest}")
    flags = {k.lower(): v for k, v in (p.partition("=")[::2] for p in query.split("&") if p)}
    tls = scheme in {"submission", "smtp+tls"} or flags.get("tls", "0").lower() in {"1", "true"}
    ssl = ssl or flags.get("ssl", "0").lower() in {"1", "true"}
    config.update(EMAIL_USE_SSL=ssl, EMAIL_USE_TLS=tls and not ssl)
    config["EMAIL_HOST"] = config["EMAIL_HOST"] or "localhost"
    config["EMAIL_HOST_USER"] = config["EMAIL_HOST_USER"] or ""
    config["EMAIL_HOST_PASSWORD"] = config["EMAIL_HOST_PASSWORD"] or ""
    config["EMAIL_PORT"] = config["EMAIL_PORT"] or (465 if ssl else 587 if tls else 25)
    if "timeout" in flags:
        config["EMAIL_TIMEOUT"] = int(flags["timeout"])
    config.pop("EMAIL_FILE_PATH", None)
    return config


globals().update(_email_config(env.str("EMAIL_URL", default="")))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Corridor <noreply@corridor.local>")
# The programme team's address on the contact page.
SUPPORT_EMAIL = env.str("SUPPORT_EMAIL", default="support@corridor.local")

# Background tasks: huey on SQLite by default (no broker to run), Redis when REDIS_URL is set.
# HUEY_IMMEDIATE runs tasks in-process, which tests and `make demo` use.
HUEY = {
    "name": "corridor",
    "immediate": env.bool("HUEY_IMMEDIATE", default=not REDIS_URL and DEBUG),
    "results": True,
}
if REDIS_URL:
    HUEY.update({"huey_class": "huey.RedisHuey", "url": REDIS_URL})
else:
    HUEY.update({"huey_class": "huey.SqliteHuey", "filename": str(DATA_DIR / "tasks.sqlite3")})

# The cache is shared by all workers (abuse-limit counters live there): a database table by
# default (created by `corridor migrate`), Redis when REDIS_URL is set, or any CACHE_URL.
if env.str("CACHE_URL", default=""):
    CACHES = {"default": env.cache_url("CACHE_URL")}
elif REDIS_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "corridor_cache",
        }
    }

# LOG_FORMAT=json writes one JSON object per line (for a log collector), kv writes key=value
# pairs; both keep the fields passed with `extra=` (security events use them).
LOG_FORMAT = env.str("LOG_FORMAT", default="text")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "corridor.core.logs.JsonFormatter"},
        "kv": {"()": "corridor.core.logs.KeyValueFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT if LOG_FORMAT in {"json", "kv"} else "text",
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # Configured here, `corridor run_huey` adds no second handler of its own (duplicate lines).
    "loggers": {"huey": {"handlers": ["console"], "level": "INFO", "propagate": False}},
}

# Security: strict in production, relaxed for local http.
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if env_bool("CORRIDOR_PRODUCTION"):
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# Product rules kept as settings so an institute can tune them without code changes.
CORRIDOR = {
    "CONNECTION_REQUESTS_PER_DAY": int(os.environ.get("CONNECTION_REQUESTS_PER_DAY", "20")),
    "PAGE_SIZE": 20,
    "INVITATION_DAYS": 14,
    # Absolute address of the site, for links in emails sent outside a request (notifications).
    "SITE_URL": os.environ.get("SITE_URL", "http://localhost:8000").rstrip("/"),
    # Matching: "e5" (the multilingual model) or "hash" (model-free, for tests and tiny servers).
    "EMBEDDER": os.environ.get("CORRIDOR_EMBEDDER", "e5"),
}

# --- Security (helper "sec", issue #8): proxies, abuse limits, CSP, two-factor, logs ----------
# Kept in one block so that the environment parsing above can change without touching it.
# (Production forcing DEBUG off and the refusal of the default secret key are in the
# environment parsing above: helper "ops".)

# Client addresses: X-Forwarded-For is trusted only as far as this many proxies in front of us
# (0: none, REMOTE_ADDR is the client). One setting for the API (django-ninja) and the pages.
NINJA_NUM_PROXIES = env.int("NUM_PROXIES", default=0)
# Abuse limits (corridor.core.ratelimit) count in the shared cache; refuse when it fails.
RATELIMIT_USE_CACHE = "default"
RATELIMIT_FAIL_OPEN = False
# Requests larger than this answer 413 (API) instead of being read.
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# Private uploads (certificate documents, ...): outside MEDIA_ROOT, served only through
# corridor.core.uploads' permission-checking view. In production that view hands the file to
# the web server (X-Accel-Redirect to CORRIDOR_ACCEL_REDIRECT_PREFIX, an `internal` location).
PRIVATE_MEDIA_ROOT = Path(env.str("PRIVATE_MEDIA_ROOT", default=str(DATA_DIR / "private")))
if "CORRIDOR_ACCEL_REDIRECT_PREFIX" not in globals():  # set by the environment parsing above
    CORRIDOR_ACCEL_REDIRECT_PREFIX = env.str(
        "CORRIDOR_ACCEL_REDIRECT_PREFIX",
        default="/protected/" if env.bool("CORRIDOR_PRODUCTION", default=False) else "",
    )
DOCUMENT_MAX_BYTES = env.int("DOCUMENT_MAX_BYTES", default=10 * 1024 * 1024)

# Content-Security-Policy (django-csp): no inline script anywhere (page behaviour lives in
# static/corridor/site.js); the one inline <style> (web fonts per script) is allowed by its hash
# (core.middleware); user files are downloads under their own stricter policy (core.uploads).
MIDDLEWARE = [*MIDDLEWARE, "csp.middleware.CSPMiddleware"]  # innermost: set before the fonts
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# Two-factor sign-in (django-otp, TOTP) that staff accounts can turn on: accounts.two_factor.
INSTALLED_APPS = [*INSTALLED_APPS, "django_otp", "django_otp.plugins.otp_totp"]
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
    "django_otp.middleware.OTPMiddleware",
)
OTP_TOTP_ISSUER = "Corridor"

LOGGING["loggers"] = {
    **LOGGING.get("loggers", {}),
    "corridor.security": {"handlers": ["console"], "level": "INFO", "propagate": False},
}
# --- end of the security block ----------------------------------------------------------------
