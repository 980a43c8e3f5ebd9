"""Settings parsed from the environment with django-environ: every documented variable works."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

_DUMP = """
import json, corridor.settings as s
print(json.dumps({k: getattr(s, k, None) for k in %r}, default=str))
"""
_CLEAN = (
    "DEBUG",
    "CORRIDOR_PRODUCTION",
    "DATABASE_URL",
    "EMAIL_URL",
    "REDIS_URL",
    "CACHE_URL",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
)


def settings_with(env_extra: dict[str, str], *names: str, tmp_path) -> dict:
    """Import corridor.settings in a fresh process with these variables and read some names."""
    env = {k: v for k, v in os.environ.items() if k not in _CLEAN}
    env.update({"CORRIDOR_DATA_DIR": str(tmp_path), "SECRET_KEY": "k" * 50, **env_extra})
    done = subprocess.run(
        [sys.executable, "-c", _DUMP % (names,)],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def refused(env_extra: dict[str, str], tmp_path) -> str:
    env = {k: v for k, v in os.environ.items() if k not in (*_CLEAN, "SECRET_KEY")}
    env.update({"CORRIDOR_DATA_DIR": str(tmp_path), **env_extra})
    done = subprocess.run(
        [sys.executable, "-c", "import corridor.settings"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    return done.stderr


def test_production_forces_debug_off(tmp_path):
    got = settings_with({"DEBUG": "1", "CORRIDOR_PRODUCTION": "1"}, "DEBUG", tmp_path=tmp_path)
    assert got == {"DEBUG": False}


def test_debug_on_outside_production(tmp_path):
    assert settings_with({"DEBUG": "true"}, "DEBUG", tmp_path=tmp_path) == {"DEBUG": True}


def test_default_secret_key_refused_without_debug(tmp_path):
    assert "SECRET_KEY" in refused({}, tmp_path)


def test_default_secret_key_refused_in_production_even_with_debug(tmp_path):
    assert "SECRET_KEY" in refused({"DEBUG": "1", "CORRIDOR_PRODUCTION": "1"}, tmp_path)


def test_default_secret_key_accepted_for_local_debug(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in (*_CLEAN, "SECRET_KEY")}
    env.update({"CORRIDOR_DATA_DIR": str(tmp_path), "DEBUG": "1"})
    done = subprocess.run(
        [sys.executable, "-c", "import corridor.settings as s; print(s.SECRET_KEY)"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.stdout.strip() == "insecure-dev-key-change-me"


def test_database_url_postgres_with_health_checks(tmp_path):
    got = settings_with(
        {"DATABASE_URL": "postgres://u:p%40ss@db.example:6543/corridor"},
        "DATABASES",
        tmp_path=tmp_path,
    )
    db = got["DATABASES"]["default"]
    assert (db["ENGINE"], db["HOST"], db["PORT"], db["NAME"], db["USER"], db["PASSWORD"]) == (
        "django.db.backends.postgresql",
        "db.example",
        6543,
        "corridor",
        "u",
        "p@ss",
    )
    assert (db["CONN_HEALTH_CHECKS"], db["CONN_MAX_AGE"]) == (True, 60)


def test_empty_database_url_means_sqlite_in_data_dir(tmp_path):
    db = settings_with({"DATABASE_URL": ""}, "DATABASES", tmp_path=tmp_path)["DATABASES"]["default"]
    assert db["ENGINE"] == "django.db.backends.sqlite3"
    assert db["NAME"] == str(tmp_path / "corridor.sqlite3")
    assert db["CONN_HEALTH_CHECKS"] is True


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "smtp://user:pa%2Fss@smtp.example.org:587?tls=1",
            ("smtp.example.org", 587, "user", "pa/ss", True, False),
        ),
        ("submission://smtp.example.org", ("smtp.example.org", 587, "", "", True, False)),
        ("smtps://u:p@mail.example.org", ("mail.example.org", 465, "u", "p", False, True)),
        ("smtp+ssl://u:p@mail.example.org:2465", ("mail.example.org", 2465, "u", "p", False, True)),
        ("smtp://relay.local", ("relay.local", 25, "", "", False, False)),
    ],
)
def test_email_url_smtp_variants(tmp_path, url, expected):
    names = ("EMAIL_BACKEND", "EMAIL_HOST", "EMAIL_PORT", "EMAIL_HOST_USER")
    got = settings_with(
        {"EMAIL_URL": url},
        *names,
        "EMAIL_HOST_PASSWORD",
        "EMAIL_USE_TLS",
        "EMAIL_USE_SSL",
        tmp_path=tmp_path,
    )
    assert got.pop("EMAIL_BACKEND") == "django.core.mail.backends.smtp.EmailBackend"
    assert tuple(got.values()) == expected


def test_email_url_file_and_default_console(tmp_path):
    got = settings_with(
        {"EMAIL_URL": f"file://{tmp_path}/mail"},
        "EMAIL_BACKEND",
        "EMAIL_FILE_PATH",
        tmp_path=tmp_path,
    )
    assert got == {
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": f"{tmp_path}/mail",
    }
    got = settings_with({}, "EMAIL_BACKEND", tmp_path=tmp_path)
    assert got == {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}


def test_email_url_unknown_scheme_refused(tmp_path):
    assert "EMAIL_URL" in refused({"SECRET_KEY": "k" * 50, "EMAIL_URL": "smtpx://host"}, tmp_path)


def test_lists_and_booleans(tmp_path):
    got = settings_with(
        {"ALLOWED_HOSTS": "a.example,b.example,", "CSRF_TRUSTED_ORIGINS": "https://a.example"},
        "ALLOWED_HOSTS",
        "CSRF_TRUSTED_ORIGINS",
        tmp_path=tmp_path,
    )
    assert got == {
        "ALLOWED_HOSTS": ["a.example", "b.example"],
        "CSRF_TRUSTED_ORIGINS": ["https://a.example"],
    }


def test_cache_is_the_database_by_default_and_redis_with_redis_url(tmp_path):
    got = settings_with({}, "CACHES", "HUEY", tmp_path=tmp_path)
    assert got["CACHES"]["default"] == {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "corridor_cache",
    }
    assert got["HUEY"]["huey_class"] == "huey.SqliteHuey"
    url = "redis://127.0.0.1:6399/2"
    got = settings_with({"REDIS_URL": url}, "CACHES", "HUEY", tmp_path=tmp_path)
    assert got["CACHES"]["default"] == {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": url,
    }
    assert (got["HUEY"]["huey_class"], got["HUEY"]["url"]) == ("huey.RedisHuey", url)


def test_production_with_redis_starts(tmp_path):
    """The redis extra is installed: `check --deploy` passes with REDIS_URL in production."""
    env = {k: v for k, v in os.environ.items() if k not in _CLEAN}
    env.update(
        {
            "CORRIDOR_PRODUCTION": "1",
            "SECRET_KEY": "a-long-random-production-secret-key-0123456789-abcdefghijklmnop",
            "ALLOWED_HOSTS": "corridor.example.org",
            "CORRIDOR_DATA_DIR": str(tmp_path),
            "REDIS_URL": "redis://127.0.0.1:6399/0",
        }
    )
    done = subprocess.run(
        [sys.executable, "-m", "corridor.cli", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr


def test_log_format_json(tmp_path):
    got = settings_with({"LOG_FORMAT": "json"}, "LOGGING", tmp_path=tmp_path)
    assert got["LOGGING"]["handlers"]["console"]["formatter"] == "json"


def test_dot_env_file_fills_in_but_the_environment_wins(tmp_path):
    (tmp_path / ".env").write_text("LOG_FORMAT=kv\nALLOWED_HOSTS=from-file.example\n")
    got = settings_with(
        {"ALLOWED_HOSTS": "from-env.example"}, "LOG_FORMAT", "ALLOWED_HOSTS", tmp_path=tmp_path
    )
    assert got == {"LOG_FORMAT": "kv", "ALLOWED_HOSTS": ["from-env.example"]}
