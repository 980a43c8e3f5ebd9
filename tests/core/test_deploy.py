"""deploy/: the compose file follows the Compose specification and fits the settings."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

from ruamel.yaml import YAML  # comes with check-jsonschema

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def _check_jsonschema() -> str:
    found = Path(sys.executable).with_name("check-jsonschema")
    return str(found) if found.exists() else (shutil.which("check-jsonschema") or "")


def test_compose_file_is_valid_against_the_compose_spec():
    done = subprocess.run(
        [
            _check_jsonschema(),
            "--builtin-schema",
            "vendor.compose-spec",
            str(DEPLOY / "docker-compose.yml"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_compose_runs_postgres_web_worker_and_nginx():
    compose = YAML(typ="safe").load(DEPLOY / "docker-compose.yml")
    services = compose["services"]
    assert set(services) == {"db", "redis", "web", "worker", "nginx"}
    assert "gunicorn corridor.wsgi" in " ".join(services["web"]["command"])
    assert services["worker"]["command"][:2] == ["corridor", "run_huey"]
    for name in ("web", "worker"):
        env = services[name]["environment"]
        assert env["CORRIDOR_PRODUCTION"] == "1"
        assert env["DATABASE_URL"].startswith("postgres://")
        assert env["CORRIDOR_ACCEL_REDIRECT_PREFIX"] == "/protected/"
    # nginx reads the same data volume (media, private files) and the collected static files.
    mounts = services["nginx"]["volumes"]
    assert "data:/srv/corridor/data:ro" in mounts
    assert "static:/srv/corridor/static:ro" in mounts


def test_nginx_protected_location_is_internal_and_points_at_private_files():
    conf = (DEPLOY / "nginx.conf").read_text()
    block = re.search(r"location /protected/ \{([^}]*)\}", conf).group(1)
    assert "internal;" in block
    assert "alias /srv/corridor/data/private/;" in block
    assert "alias /srv/corridor/static/;" in conf


def test_accel_redirect_prefix_on_in_production_only(settings):
    from corridor import settings as module

    assert module.CORRIDOR_ACCEL_REDIRECT_PREFIX == ("/protected/" if module.PRODUCTION else "")


def test_dockerfile_installs_the_redis_extra_and_runs_gunicorn():
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    assert 'pip install ".[redis]"' in dockerfile
    assert "collectstatic" in dockerfile
    assert '"gunicorn", "corridor.wsgi"' in dockerfile
