"""The production settings pass Django's deployment checks and refuse the default secret."""

from __future__ import annotations

import os
import subprocess
import sys


def _run(env_extra: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, **env_extra}
    for name in ("DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"):  # set by the test run, not production
        env.pop(name, None)
    return subprocess.run(
        [sys.executable, "-m", "corridor.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_passes_with_production_settings(tmp_path):
    result = _run(
        {
            "CORRIDOR_PRODUCTION": "1",
            "SECRET_KEY": "a-long-random-production-secret-key-0123456789-abcdefghijklmnop",
            "ALLOWED_HOSTS": "corridor.example.org",
            "CORRIDOR_DATA_DIR": str(tmp_path),
        },
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_default_secret_key(tmp_path):
    env = {"CORRIDOR_PRODUCTION": "1", "CORRIDOR_DATA_DIR": str(tmp_path), "SECRET_KEY": ""}
    result = _run(env, "check")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_web_processes_use_one_blas_thread(tmp_path):
    # gunicorn's entry point sets it before numpy loads (the HS guess of a request: p95 58 ms
    # with OpenBLAS's default threads on a busy machine, 10 ms with one).
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    env.update(CORRIDOR_DATA_DIR=str(tmp_path), DEBUG="1")
    code = (
        "import os, sys; import corridor.wsgi; import numpy; "
        "print(os.environ['OPENBLAS_NUM_THREADS'], 'numpy' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["1", "True"]
