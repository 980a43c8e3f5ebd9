"""Django settings for Corridor, driven by environment variables (see .env.example)."""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
import django.conf.locale
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(os.environ.get("CORRIDOR_DATA_DIR", Path.cwd() / "data")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


DEBUG = env_bool("DEBUG")
_DEFAULT_SECRET = "insecure-dev-key-change-me"  # noqa: S105 - refused below outside DEBUG/tests
SECRET_KEY = os.environ.get("SECRET_KEY") or _DEFAULT_SECRET
if SECRET_KEY == _DEFAULT_SECRET and env_bool("CORRIDOR_PRODUCTION"):
    raise ImproperlyConfigured("Set SECRET_KEY: production refuses the default secret key.")
ALLOWED_HOSTS = [h for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o]

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
]

MIDDLEWARE = [
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
            ],
        },
    }
]

DATABASES = {
    # An empty DATABASE_URL means the embedded default, like an unset one.
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{DATA_DIR / 'corridor.sqlite3'}",
        conn_max_age=60,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers work while a writer commits; IMMEDIATE avoids lock upgrades deadlocking.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
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
USE_I18N = True
# Numbers in templates are formatted on purpose with {% load corridor_format %} (money, number,
# quantity): a global thousand separator would also turn ids in URLs into "1.234" under vi.
USE_THOUSAND_SEPARATOR = False
USE_TZ = True
TIME_ZONE = "Asia/Bangkok"

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", DATA_DIR / "static"))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns about a missing root
# corridor/static is not inside an installed app (corridor.core, ...): list it explicitly.
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", DATA_DIR / "media"))
# Uploads waiting for a staff member to confirm an import: private, never under MEDIA_ROOT.
IMPORT_STASH_DIR = Path(os.environ.get("IMPORT_STASH_DIR", DATA_DIR / "imports"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env_bool("CORRIDOR_PRODUCTION")
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# Email: console by default; EMAIL_URL like smtp://user:pass@host:587?tls=1 in production.
_email_url = os.environ.get("EMAIL_URL", "")
if _email_url.startswith(("smtp://", "submission://")):
    from urllib.parse import parse_qs, unquote, urlparse

    _u = urlparse(_email_url)
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = _u.hostname or "localhost"
    EMAIL_PORT = _u.port or 25
    EMAIL_HOST_USER = unquote(_u.username or "")
    EMAIL_HOST_PASSWORD = unquote(_u.password or "")
    EMAIL_USE_TLS = parse_qs(_u.query).get("tls", ["0"])[0] in {"1", "true"}
elif _email_url.startswith("file://"):
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = _email_url.removeprefix("file://")
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Corridor <noreply@corridor.local>")

# Background tasks: huey on SQLite by default (no broker to run), Redis when REDIS_URL is set.
# HUEY_IMMEDIATE runs tasks in-process, which tests and `make demo` use.
_redis_url = os.environ.get("REDIS_URL")
HUEY = {
    "name": "corridor",
    "immediate": env_bool("HUEY_IMMEDIATE", default=not _redis_url and DEBUG),
    "results": True,
}
if _redis_url:
    HUEY.update({"huey_class": "huey.RedisHuey", "url": _redis_url})
else:
    HUEY.update({"huey_class": "huey.SqliteHuey", "filename": str(DATA_DIR / "tasks.sqlite3")})

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
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
NINJA_NUM_PROXIES = int(os.environ.get("NUM_PROXIES", "0"))
# Abuse limits (corridor.core.ratelimit) count in the shared cache; refuse when it fails.
RATELIMIT_USE_CACHE = "default"
RATELIMIT_FAIL_OPEN = False
# Requests larger than this answer 413 (API) instead of being read.
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# Private uploads (certificate documents, ...): outside MEDIA_ROOT, served only through
# corridor.core.uploads' permission-checking view. In production that view hands the file to
# the web server (X-Accel-Redirect to CORRIDOR_ACCEL_REDIRECT_PREFIX, an `internal` location).
PRIVATE_MEDIA_ROOT = Path(os.environ.get("PRIVATE_MEDIA_ROOT", DATA_DIR / "private"))
if "CORRIDOR_ACCEL_REDIRECT_PREFIX" not in globals():  # set by the environment parsing above
    CORRIDOR_ACCEL_REDIRECT_PREFIX = os.environ.get(
        "CORRIDOR_ACCEL_REDIRECT_PREFIX",
        "/protected/"
        if os.environ.get("CORRIDOR_PRODUCTION", "") in {"1", "true", "yes", "on"}
        else "",
    )
DOCUMENT_MAX_BYTES = int(os.environ.get("DOCUMENT_MAX_BYTES", str(10 * 1024 * 1024)))

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
