#!/usr/bin/env bash
# Production smoke test, natively (the processes of deploy/docker-compose.yml without a container
# daemon): a throwaway PostgreSQL cluster on a free loopback port, `corridor migrate` and
# `collectstatic` in production mode, gunicorn and the huey worker. Then requests through
# gunicorn: /healthz, a staff login, a POST that queues a task which the worker must run, and a
# PostgreSQL restart after which the app answers again by itself. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PY=${PY:-$ROOT/.venv/bin/python}
[ -x "$PY" ] || PY=$(command -v python3)
BIN=$(dirname "$PY")
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$PGBIN/initdb" ] || PGBIN=$(dirname "$(command -v initdb pg_ctl | head -1)")

tmp=$(mktemp -d /tmp/corridor-smoke.XXXXXX)
chmod 755 "$tmp"
free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
PGPORT=$(free_port)
WEBPORT=$(free_port)
# initdb refuses to run as root: the cluster belongs to the postgres user then.
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
mkdir -p "$tmp/pg"
[ "$(id -u)" = 0 ] && chown postgres "$tmp/pg"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  as_pg "$PGBIN/pg_ctl" -D "$tmp/pg" -m fast stop >/dev/null 2>&1 || true
  [ -n "${KEEP:-}" ] || rm -rf "$tmp"
}
trap cleanup EXIT

as_pg "$PGBIN/initdb" -D "$tmp/pg" -U corridor -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
pg() { as_pg "$PGBIN/pg_ctl" -D "$tmp/pg" -o "-c listen_addresses=127.0.0.1 -p $PGPORT -k $tmp/pg" -l "$tmp/pg/log" -w "$@" >/dev/null; }
pg start
"$PGBIN/createdb" -h 127.0.0.1 -p "$PGPORT" -U corridor corridor

export CORRIDOR_PRODUCTION=1 SECURE_SSL_REDIRECT=0 LOG_FORMAT=json CORRIDOR_EMBEDDER=hash
export SECRET_KEY="smoke-test-only-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
export DATABASE_URL="postgres://corridor@127.0.0.1:$PGPORT/corridor"
export ALLOWED_HOSTS=127.0.0.1,localhost CORRIDOR_DATA_DIR="$tmp/data" STATIC_ROOT="$tmp/static"
unset DEBUG HUEY_IMMEDIATE REDIS_URL CACHE_URL DJANGO_ALLOW_ASYNC_UNSAFE
CORRIDOR="$BIN/corridor"

"$CORRIDOR" migrate --noinput -v0
"$CORRIDOR" collectstatic --noinput -v0
"$CORRIDOR" shell -c "
from corridor.accounts.models import User
User.objects.create_user('smoke-staff', password='smoke-password-1', is_staff=True)"

"$BIN/gunicorn" corridor.wsgi --bind "127.0.0.1:$WEBPORT" --workers 2 --threads 2 \
  --log-level warning >"$tmp/gunicorn.log" 2>&1 &
pids+=($!)
"$CORRIDOR" run_huey --workers 1 >"$tmp/huey.log" 2>&1 &
pids+=($!)

export BASE="http://127.0.0.1:$WEBPORT"
restart_db() { pg restart -m fast; }
export -f restart_db pg as_pg
export PGBIN PGPORT tmp

if ! "$PY" - <<'PY'; then
import json, os, re, subprocess, sys, time, urllib.error, urllib.parse, urllib.request

BASE = os.environ["BASE"]
cookies: dict[str, str] = {}


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


opener = urllib.request.build_opener(NoRedirect)


def call(path, data=None):
    """One request; cookies kept by hand (production marks them Secure, this is plain http)."""
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    req = urllib.request.Request(BASE + path, data=body)
    if cookies:
        req.add_header("Cookie", "; ".join(f"{k}={v}" for k, v in cookies.items()))
    try:
        resp = opener.open(req, timeout=30)
    except urllib.error.HTTPError as exc:
        resp = exc
    for header in resp.headers.get_all("Set-Cookie") or []:
        name, _, rest = header.partition("=")
        cookies[name] = rest.split(";", 1)[0]
    return resp.status, resp.read().decode("utf-8", "replace")


def wait_healthy(limit=60.0):
    start, last = time.monotonic(), None
    while time.monotonic() - start < limit:
        try:
            status, body = call("/healthz")
            last = (status, body)
            if status == 200:
                return time.monotonic() - start
        except OSError as exc:
            last = exc
        time.sleep(0.5)
    sys.exit(f"not healthy after {limit}s: {last}")


wait_healthy()
status, body = call("/healthz")
assert json.loads(body)["checks"] == {"database": "ok", "cache": "ok", "tasks": "ok"}, body
print("healthz:", body)

status, page = call("/accounts/login/")
token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
status, _ = call(
    "/accounts/login/",
    {"csrfmiddlewaretoken": token, "username": "smoke-staff", "password": "smoke-password-1"},
)
assert status == 302, f"login answered {status}"
status, page = call("/matching/index/")
token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
status, _ = call("/matching/index/", {"csrfmiddlewaretoken": token})
assert status == 302, f"queueing the index rebuild answered {status}"

# The worker (a separate process) runs the queued job; the web side only queued it.
check = "from corridor.matching.models import IndexJob; print(IndexJob.objects.get().status)"
for _ in range(60):
    state = subprocess.run(
        [os.path.join(os.path.dirname(sys.executable), "corridor"), "shell", "-c", check],
        capture_output=True, text=True, check=True,
    ).stdout.strip().splitlines()[-1]
    if state == "done":
        break
    time.sleep(1)
assert state == "done", f"the worker did not run the task: {state}"
print("task run by the worker: index rebuild", state)

# PostgreSQL restarts under the running app: 503 (never 500) meanwhile, then back by itself.
restart = subprocess.Popen(["bash", "-c", "restart_db"])
statuses = set()
while restart.poll() is None:
    try:
        statuses.add(call("/")[0])
    except OSError:
        pass
    time.sleep(0.05)
assert restart.returncode == 0
took = wait_healthy()
statuses.add(call("/")[0])
assert statuses <= {200, 503}, f"statuses during the restart: {statuses}"
assert call("/")[0] == 200
print(f"PostgreSQL restarted: statuses seen {sorted(statuses)}, healthy again after {took:.1f}s")
PY
  echo "--- gunicorn log"; tail -30 "$tmp/gunicorn.log"; echo "--- huey log"; tail -30 "$tmp/huey.log"
  exit 1
fi
echo "production smoke test passed"
