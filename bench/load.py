"""Load and fault benchmark: Locust (headless) against gunicorn + PostgreSQL on loopback.

    python bench/load.py [--duration 180] [--users 50] [--phase both|normal|restart]

Starts its own PostgreSQL cluster in a temporary folder on a free loopback port (never the shared
one), migrates it, loads the demo directory and creates one account (with its own SME) per
simulated user. Then gunicorn and the huey worker, and Locust: each user signs in with its own
account and browses (home, directory, profiles), searches, and sends connection requests.
Prints the throughput, p95 per page and the errors. The "restart" phase runs the same load while
`pg_ctl restart` restarts PostgreSQL in the middle: it prints the statuses seen during the
restart, checks that every connection request written before it is still there, and how long the
app took to answer again by itself. Needs `pip install -e '.[bench]'` (Locust).

This file is also the locustfile: Locust imports it (not as __main__) for the user classes.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "bench-password-1"  # noqa: S105 - throwaway accounts in a throwaway database
SEARCHES = ["rice", "ceramic", "coffee", "silk", "cashew", "pepper", "gạo", "ข้าว", "bamboo", "fish"]


# --- The Locust side (imported by the locust process) -----------------------------------------

if __name__ != "__main__":
    import itertools
    import re

    from locust import HttpUser, between, events, task

    _accounts = json.loads(Path(os.environ["BENCH_ACCOUNTS"]).read_text())
    _slugs = _accounts["targets"]
    _next_user = itertools.count()
    _per_second: dict[int, Counter] = {}
    _csrf = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')

    @events.request.add_listener
    def _record(response=None, exception=None, **kwargs):
        status = getattr(response, "status_code", 0) if response is not None else 0
        _per_second.setdefault(int(time.time()), Counter())[str(status or "conn-error")] += 1

    @events.quitting.add_listener
    def _dump(environment, **kwargs):
        Path(os.environ["BENCH_TIMELINE"]).write_text(
            json.dumps({k: dict(v) for k, v in sorted(_per_second.items())})
        )

    class Member(HttpUser):
        """One signed-in member of an SME: reads a lot, searches, asks to connect now and then."""

        wait_time = between(0.5, 2.0)

        def on_start(self) -> None:
            me = _accounts["users"][next(_next_user) % len(_accounts["users"])]
            self.org_id = me["org_id"]
            page = self.client.get("/accounts/login/", name="login")
            token = _csrf.search(page.text)
            self.client.post(
                "/accounts/login/",
                {
                    "csrfmiddlewaretoken": token.group(1) if token else "",
                    "username": me["username"],
                    "password": PASSWORD,
                },
                name="login",
            )

        @task(3)
        def home(self) -> None:
            self.client.get("/", name="home")

        @task(4)
        def directory(self) -> None:
            self.client.get("/directory/", name="directory")

        @task(4)
        def search(self) -> None:
            self.client.get(f"/directory/?q={random.choice(SEARCHES)}", name="search")

        @task(4)
        def profile(self) -> None:
            self.client.get(f"/directory/o/{random.choice(_slugs)}/", name="profile")

        @task(1)
        def connect(self) -> None:
            slug = random.choice(_slugs)
            url = f"/connections/ask/{slug}/"
            form = self.client.get(url, name="connect form")
            token = self.client.cookies.get("csrftoken") or ""
            if form.status_code != 200:
                return
            self.client.post(
                url,
                {
                    "csrfmiddlewaretoken": token,
                    "from_org": self.org_id,
                    "message": "Bench: we would like to discuss an order.",
                },
                name="connect",
                headers={"Referer": self.host + url},
            )


# --- The orchestrator ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pg_bin(name: str) -> str:
    found = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), key=lambda p: int(p.parts[4]))
    if found:
        return str(found[-1])
    return shutil.which(name) or sys.exit(f"{name} not found: install postgresql")


class Cluster:
    """A throwaway PostgreSQL cluster (run as the postgres user when this runs as root)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder / "pg"
        self.port = free_port()
        self.folder.mkdir()
        self.as_pg = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_pg:
            shutil.chown(self.folder, "postgres")
        self.url = f"postgres://corridor@127.0.0.1:{self.port}/corridor"

    def _ctl(self, *args: str) -> None:
        options = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.folder} -c max_connections=200"
        )
        subprocess.run(
            [
                *self.as_pg,
                pg_bin("pg_ctl"),
                "-D",
                str(self.folder),
                "-o",
                options,
                "-w",
                "-l",
                str(self.folder / "log"),
                *args,
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )

    def start(self) -> None:
        subprocess.run(
            [
                *self.as_pg,
                pg_bin("initdb"),
                "-D",
                str(self.folder),
                "-U",
                "corridor",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        self._ctl("start")
        subprocess.run(
            [
                pg_bin("createdb"),
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                "corridor",
                "corridor",
            ],
            check=True,
        )

    def restart(self) -> None:
        self._ctl("restart", "-m", "fast")

    def stop(self) -> None:
        self._ctl("stop", "-m", "fast")

    def scalar(self, sql: str) -> int:
        out = subprocess.run(
            [
                pg_bin("psql"),
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                "corridor",
                "-tAc",
                sql,
                "corridor",
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        return int(out.strip())


SETUP = """
import json, sys
from django.utils.text import slugify
from corridor.accounts.models import Membership, User
from corridor.directory.models import Country, Organisation
vn = Country.objects.get(code="VN")
users = []
for i in range(int(sys.argv[1])):
    org, _ = Organisation.objects.get_or_create(
        slug=f"bench-sme-{i}",
        defaults={"kind": "sme", "name": f"Bench SME {i}", "country": vn, "is_published": True},
    )
    user = User.objects.filter(username=f"bench-{i}").first()
    if user is None:
        user = User.objects.create_user(
            f"bench-{i}", email=f"bench-{i}@example.org", password=sys.argv[2]
        )
    Membership.objects.get_or_create(user=user, organisation=org, defaults={"role": "owner"})
    users.append({"username": user.username, "org_id": org.pk})
targets = list(
    Organisation.objects.filter(is_published=True)
    .exclude(slug__startswith="bench-").values_list("slug", flat=True)
)
print(json.dumps({"users": users, "targets": targets}))
"""


def run_phase(args, env: dict, work: Path, cluster: Cluster, restart: bool) -> dict:
    bin_dir = Path(sys.executable).parent
    web_port = free_port()
    host = f"http://127.0.0.1:{web_port}"
    logs = work / ("restart" if restart else "normal")
    logs.mkdir()
    procs = [
        subprocess.Popen(
            [
                str(bin_dir / "gunicorn"),
                "corridor.wsgi",
                "--bind",
                f"127.0.0.1:{web_port}",
                "--workers",
                str(args.workers),
                "--threads",
                str(args.threads),
                "--worker-class",
                "gthread",
                "--timeout",
                "60",
                "--log-level",
                "warning",
                # Longer than a user's pause between requests: a connection that the server
                # closes just as the client reuses it is a reset, not a server error.
                "--keep-alive",
                "30",
            ],
            env=env,
            stdout=open(logs / "gunicorn.log", "w"),
            stderr=subprocess.STDOUT,  # noqa: SIM115
        ),
        subprocess.Popen(
            [str(bin_dir / "corridor"), "run_huey", "--workers", "1"],
            env=env,
            stdout=open(logs / "huey.log", "w"),
            stderr=subprocess.STDOUT,  # noqa: SIM115
        ),
    ]
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(host + "/healthz", timeout=5)
                break
            except OSError:
                time.sleep(0.5)
        before = cluster.scalar("SELECT count(*) FROM connections_connection")
        fault: dict = {}
        if restart:

            def restart_midway() -> None:
                time.sleep(args.duration / 2)
                fault["rows_before"] = cluster.scalar("SELECT count(*) FROM connections_connection")
                fault["max_id_before"] = cluster.scalar(
                    "SELECT coalesce(max(id), 0) FROM connections_connection"
                )
                fault["at"] = time.time()
                cluster.restart()
                fault["back"] = time.time()

            threading.Thread(target=restart_midway, daemon=True).start()
        locust_env = {
            **env,
            "BENCH_ACCOUNTS": str(work / "accounts.json"),
            "BENCH_TIMELINE": str(logs / "timeline.json"),
        }
        subprocess.run(
            [
                str(bin_dir / "locust"),
                "-f",
                __file__,
                "--headless",
                "--host",
                host,
                "-u",
                str(args.users),
                "-r",
                str(args.spawn_rate),
                "-t",
                f"{args.duration}s",
                "--csv",
                str(logs / "locust"),
                "--only-summary",
                "--loglevel",
                "WARNING",
                "--stop-timeout",
                "10",
            ],
            env=locust_env,
            cwd=work,
            check=False,
        )
        after = cluster.scalar("SELECT count(*) FROM connections_connection")
        if restart:
            fault["kept"] = cluster.scalar(
                f"SELECT count(*) FROM connections_connection WHERE id <= {fault['max_id_before']}"
            )
        return {"before": before, "after": after, "fault": fault, "logs": logs}
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=30)


def report(title: str, result: dict, duration: int) -> None:
    logs = result["logs"]
    rows = list(csv.DictReader(open(logs / "locust_stats.csv")))  # noqa: SIM115
    total = next(r for r in rows if r["Name"] == "Aggregated")
    timeline = {
        int(k): Counter(v) for k, v in json.loads((logs / "timeline.json").read_text()).items()
    }
    statuses: Counter = Counter()
    for counts in timeline.values():
        statuses.update(counts)
    errors = {k: v for k, v in statuses.items() if not k.startswith(("2", "3"))}
    print(f"\n== {title}: {duration} s")
    print(
        f"requests {total['Request Count']}, throughput {float(total['Requests/s']):.1f} req/s, "
        f"errors {sum(errors.values())} {dict(errors) or ''}"
    )
    print(f"{'page':<19}{'requests':>9}{'failures':>9}{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}")
    for r in rows:
        name = f"{r['Type']} {r['Name']}".strip()
        print(
            f"{name:<19}{r['Request Count']:>9}{r['Failure Count']:>9}"
            f"{r['50%']:>8}{r['95%']:>8}{r['99%']:>8}"
        )
    print(f"connection requests written: {result['after'] - result['before']}")
    fault = result["fault"]
    if fault:
        window = Counter()
        bad_after = 0
        last_bad = None
        for second, counts in timeline.items():
            bad = sum(v for k, v in counts.items() if not k.startswith(("2", "3")))
            if fault["at"] - 1 <= second <= fault["back"] + 1:
                window.update(counts)
            if bad:
                last_bad = second
                if second > fault["back"] + 10:
                    bad_after += bad
        print(
            f"PostgreSQL restart took {fault['back'] - fault['at']:.1f} s; statuses during it: "
            f"{dict(window)}"
        )
        print(
            f"rows written before the restart: {fault['rows_before']}, still there after: "
            f"{fault['kept']} ({'none lost' if fault['kept'] == fault['rows_before'] else 'LOST'})"
        )
        recovered = (last_bad - fault["back"]) if last_bad and last_bad >= fault["back"] else 0
        print(
            f"last failed request {max(recovered, 0):.1f} s after PostgreSQL was back; "
            f"failures later than 10 s after: {bad_after}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=180, help="seconds per phase (180)")
    parser.add_argument("--users", type=int, default=50)
    # Sign-ins hash a password (about 0.5 s of CPU each): 2 a second spreads them out.
    parser.add_argument("--spawn-rate", type=float, default=2)
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker")
    parser.add_argument("--phase", choices=["both", "normal", "restart"], default="both")
    args = parser.parse_args(argv)
    if shutil.which("locust", path=str(Path(sys.executable).parent)) is None:
        sys.exit("Locust is missing: pip install -e '.[bench]'")

    work = Path(tempfile.mkdtemp(prefix="corridor-load-"))
    os.chmod(work, 0o755)
    cluster = Cluster(work)
    try:
        cluster.start()
        env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "REDIS_URL", "CACHE_URL"}}
        env.update(
            {
                "DATABASE_URL": cluster.url,
                "CORRIDOR_DATA_DIR": str(work / "data"),
                "SECRET_KEY": os.urandom(24).hex(),
                "ALLOWED_HOSTS": "127.0.0.1,localhost",
                "CORRIDOR_EMBEDDER": "hash",
                "EMAIL_URL": "memory:",
                "CONNECTION_REQUESTS_PER_DAY": "100000",
                "HUEY_IMMEDIATE": "0",
                "LOG_LEVEL": "WARNING",
                "PYTHONPATH": str(ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", ""),
            }
        )
        corridor = str(Path(sys.executable).parent / "corridor")
        started = time.time()
        subprocess.run([corridor, "migrate", "--noinput", "-v0"], env=env, check=True)
        subprocess.run([corridor, "load_demo"], env=env, check=True, stdout=subprocess.DEVNULL)
        accounts = subprocess.run(
            [
                sys.executable,
                "-c",
                "import django; django.setup()\n" + SETUP,
                str(args.users),
                PASSWORD,
            ],
            env={**env, "DJANGO_SETTINGS_MODULE": "corridor.settings"},
            capture_output=True,
            text=True,
        )
        if accounts.returncode != 0:
            sys.exit(f"creating the accounts failed:\n{accounts.stderr}")
        (work / "accounts.json").write_text(accounts.stdout.strip().splitlines()[-1])
        print(
            f"setup: PostgreSQL on 127.0.0.1:{cluster.port}, demo data and {args.users} "
            f"accounts in {time.time() - started:.0f} s; gunicorn {args.workers} workers x "
            f"{args.threads} threads; {os.cpu_count()} cores shared with Locust"
        )
        if args.phase in {"both", "normal"}:
            result = run_phase(args, env, work, cluster, restart=False)
            report("steady load", result, args.duration)
        if args.phase in {"both", "restart"}:
            result = run_phase(args, env, work, cluster, restart=True)
            report("PostgreSQL restarted midway", result, args.duration)
    finally:
        try:
            cluster.stop()
        except subprocess.CalledProcessError:
            pass
        if not os.environ.get("BENCH_KEEP"):
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
