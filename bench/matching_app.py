"""The supplier page at scale, over real HTTP: gunicorn workers reading the saved catalog.

    python bench/matching_app.py --size 1000000 [--workers 3] [--requests 100]
    python bench/matching_app.py --size 100000 --graph ''   # build the graph as production does

1. A SQLite database under /tmp/corridor-app-<size>/ (kept: a second run reuses it) with <size>
   active supplier products over size/20 SMEs and clusters of the five countries, inserted in
   bulk. Texts are the realistic offers of bench/matching.py (10,000 distinct ones, repeated
   as its tiled catalogs repeat them); vectors are stored as production stores them (float16
   bytes): the E5 vectors of those 10,000 offers tiled with noise, exactly as
   bench/matching.py's tiled_matcher makes them. One buyer with a signed-in member and
   distinct open sourcing requests (no stored vector: the page embeds and HS-guesses the
   query; with --stored, the vectors and guesses are stored first, as the task worker does).
2. The saved catalog published as the task worker does it (services.index_publish: the product
   rows read from the database, BM25, the vector index, saved and made current), timed. Two
   costs that do not depend on the database are skipped unless --production-build: the graph
   (the one bench/matching.py cached for the same tiled vectors is loaded; --graph names
   another) and the analysis of each text (memoised: the texts repeat). At 1,000,000 offers
   they would take, on two shared cores, about 20 minutes (graph) and half an hour (analysis).
3. gunicorn (corridor.wsgi, production's --threads 2) with --workers processes on loopback;
   the buyer signs in and opens /matching/requests/<pk>/ over HTTP: the first request of each
   worker (3 at once, one per worker: each opens the saved catalog), then --requests distinct
   requests one at a time (p50, p95) and memory per worker (RSS and PSS, smaps_rollup).
4. A product changes and a new version is published (as the task worker would, 30 s after
   the change); the first request of each worker after it, then p95 again.
"""

from __future__ import annotations

import argparse
import hashlib
import http.cookiejar
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

PASSWORD = "bench-password-1"  # noqa: S105 - a throwaway account in a throwaway database
BASE = 10_000  # distinct offers, as in bench/matching.py
PER_ORG = 20  # products per supplier organisation
SEED = 3  # the noise of bench/matching.py's tiled_matcher


def uptime() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f}, {five:.2f}, {fifteen:.2f}"


# --- The data ---------------------------------------------------------------------------------


def base_vectors(offers) -> np.ndarray:
    """E5 vectors of the 10,000 realistic offers (cached: the embedding takes a minute or two)."""
    from corridor.matching.embedding import E5Embedder
    from corridor.matching.engine import embed_offers

    cache = Path(tempfile.gettempdir()) / "corridor-bench" / f"base-vectors-{len(offers)}.npy"
    if cache.exists():
        return np.load(cache)
    vectors = embed_offers(offers, E5Embedder())
    cache.parent.mkdir(parents=True, exist_ok=True)
    np.save(cache, vectors)
    return vectors


def tiled_vectors(base: np.ndarray, copies: int):
    """The vectors of bench/matching.py's tiled_matcher, one copy of the base at a time."""
    rng = np.random.default_rng(SEED)
    for _ in range(copies):
        noise = rng.normal(scale=0.02, size=base.shape).astype(np.float32)
        vectors = base + noise
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        yield vectors


def create_data(size: int, n_requests: int) -> None:
    """The organisations, products, buyer and requests, in bulk."""
    import matching as bench_matching
    from django.db import connection, transaction
    from django.utils import timezone

    from corridor.accounts.models import Membership, User
    from corridor.directory.models import Organisation, SourcingRequest
    from corridor.matching.adapters import vector_to_bytes

    offers = bench_matching.realistic_offers(BASE)
    base = base_vectors(offers)
    copies = size // BASE
    n_orgs = max(1, size // PER_ORG)
    countries = ["VN", "TH", "KH", "LA", "MM"]
    started = time.perf_counter()
    with transaction.atomic():
        orgs = [
            Organisation(
                kind="cluster" if i % 50 == 0 else "sme",
                name=f"Supplier {i}",
                slug=f"supplier-{i}",
                country_id=countries[i % len(countries)],
                is_published=True,
            )
            for i in range(n_orgs)
        ]
        Organisation.objects.bulk_create(orgs, batch_size=2000)
        org_ids = list(Organisation.objects.order_by("id").values_list("id", flat=True))
        buyer = Organisation.objects.create(
            kind="buyer", name="Bench Buyer", slug="bench-buyer", country_id="VN"
        )
    now = timezone.now().strftime("%Y-%m-%d %H:%M:%S.%f")  # UTC, as Django stores it
    # Raw executemany: a million model instances would cost minutes for nothing measured.
    columns = (
        "organisation_id, name, local_name, description, hs_code_id, capacity_unit, "
        "capacity_period, min_order_unit, currency, price_unit, markets, is_active, "
        "created_at, updated_at, embedding, embedded_at"
    )
    sql = (
        f"INSERT INTO directory_product ({columns}) "
        f"VALUES ({', '.join(['%s'] * len(columns.split(',')))})"
    )
    number = 0
    for vectors in tiled_vectors(base, copies):
        rows = []
        for offer, vector in zip(offers, vectors, strict=True):
            rows.append(
                (
                    org_ids[number // PER_ORG % len(org_ids)],
                    offer.title,
                    "",
                    offer.description,
                    offer.hs_code or None,
                    "",
                    "month",
                    "",
                    "USD",
                    "",
                    "[]",
                    True,
                    now,
                    now,
                    vector_to_bytes(vector),
                    now,
                )
            )
            number += 1
        with transaction.atomic(), connection.cursor() as cur:
            cur.executemany(sql, rows)
        print(f"\r  {number:,} products", end="", flush=True)
    print()
    user = User.objects.create_user("bench-buyer", email="buyer@example.org", password=PASSWORD)
    Membership.objects.create(user=user, organisation=buyer, role="owner")
    texts = bench_matching.query_texts(n_requests)
    SourcingRequest.objects.bulk_create(
        [SourcingRequest(buyer=buyer, title=text, status="open") for text in texts]
    )
    print(
        f"  {n_orgs:,} supplier organisations, {number:,} products and {n_requests} requests "
        f"in {time.perf_counter() - started:.0f} s"
    )


def shortcuts(graph: str, memo: bool) -> None:
    """Let the catalog build skip the two costs that do not depend on the database: with
    `graph`, take the vector index from a prebuilt graph of the same vectors (same keys:
    product positions) instead of building one; with `memo`, analyse each distinct product
    text once (the catalog repeats 10,000 texts). Everything else is production's code."""
    import functools

    from corridor.matching import selectors
    from corridor.matching.engine import Matcher
    from corridor.matching.index import VectorIndex

    class BenchMatcher(Matcher):
        def build(self, offers, vectors=None, *, bm25=None, index=None, guesses=None):
            if memo:
                self.analyse = functools.lru_cache(maxsize=4 * BASE)(self.analyse)
            if graph:
                index = VectorIndex.load(graph)
                if len(index) != len(offers):
                    raise SystemExit(f"{graph} holds {len(index):,} vectors, not {len(offers):,}")
                if vectors is not None:  # it must be a graph of these vectors: check a sample
                    keys = np.arange(0, len(offers), max(1, len(offers) // 1000))
                    stored = index.vectors_of(keys)  # int8: scaled, so compare cosines
                    stored /= np.linalg.norm(stored, axis=1, keepdims=True)
                    if np.sum(stored * vectors[keys], axis=1).min() < 0.95:
                        raise SystemExit(f"{graph} is not a graph of the stored vectors")
            built = super().build(offers, vectors, bm25=bm25, index=index, guesses=guesses)
            if memo:
                built.analyse = self.analyse.__wrapped__  # queries are analysed as usual
            return built

    selectors.Matcher = BenchMatcher


def default_graph(size: int) -> str:
    """The graph bench/matching.py caches for the same tiled vectors (int8, expansion_add 128)."""
    from corridor.matching import index as index_module

    offers_digest = hashlib.sha1(base_vectors_cached().tobytes()).hexdigest()[:12]
    name = f"hnsw-{index_module.HNSW_DTYPE}-128-{size}-{SEED}-{offers_digest}.usearch"
    path = Path(tempfile.gettempdir()) / "corridor-bench" / name
    return str(path) if path.exists() else ""


def base_vectors_cached() -> np.ndarray:
    import matching as bench_matching

    return base_vectors(bench_matching.realistic_offers(BASE))


# --- HTTP -------------------------------------------------------------------------------------


class Browser:
    """A signed-in buyer (cookies kept), timing each page."""

    def __init__(self, host: str) -> None:
        self.host = host
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def login(self, username: str) -> None:
        page = self.opener.open(self.host + "/accounts/login/", timeout=60).read().decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        data = urllib.parse.urlencode(
            {"csrfmiddlewaretoken": token, "username": username, "password": PASSWORD}
        ).encode()
        request = urllib.request.Request(
            self.host + "/accounts/login/", data=data, headers={"Referer": self.host + "/"}
        )
        self.opener.open(request, timeout=60).read()
        if not any(c.name == "sessionid" for c in self.jar):
            raise SystemExit("signing in failed")

    def get(self, path: str) -> tuple[float, bytes]:
        started = time.perf_counter()
        with self.opener.open(self.host + path, timeout=600) as response:
            body = response.read()
            if response.status != 200:
                raise SystemExit(f"{path}: HTTP {response.status}")
        return (time.perf_counter() - started) * 1000, body


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def worker_pids(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return [int(pid) for pid in children]


def memory(pid: int) -> tuple[float, float, float]:
    """(RSS, PSS, anonymous) of a process in MB: PSS counts a shared page once over its
    sharers; anonymous memory (the heap) is the process's own."""
    out = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        parts = line.split()
        if parts[0] in ("Rss:", "Pss:", "Anonymous:"):
            out[parts[0][:-1]] = int(parts[1]) / 1024
    return out["Rss"], out["Pss"], out["Anonymous"]


def firsts(browser: Browser, paths: list[str]) -> list[float]:
    """The pages fetched at once (one per worker: a sync slot each), their times in ms."""
    times: list[float] = [0.0] * len(paths)

    def one(i: int) -> None:
        other = Browser(browser.host)
        other.jar = browser.jar
        other.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(browser.jar))
        times[i] = other.get(paths[i])[0]

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(paths))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return times


def p50_p95(times: list[float]) -> tuple[float, float]:
    times = sorted(times)
    return statistics.median(times), times[int(0.95 * (len(times) - 1))]


# --- The run ----------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=1_000_000, help="supplier products")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers")
    parser.add_argument("--requests", type=int, default=100, help="timed page views")
    parser.add_argument(
        "--graph",
        default=None,
        help="prebuilt graph file of the same vectors ('' builds one; default: "
        "bench/matching.py's cached graph when there is one)",
    )
    parser.add_argument(
        "--production-build",
        action="store_true",
        help="publish exactly as production (build the graph, analyse every text)",
    )
    parser.add_argument(
        "--stored",
        action="store_true",
        help="the requests saved as the task worker leaves them (query vector and HS guess "
        "stored): pages embed and guess nothing; without it they do both",
    )
    parser.add_argument("--setup-only", action="store_true", help="create the database, then stop")
    parser.add_argument("--data", default="", help="data folder (default /tmp/corridor-app-SIZE)")
    args = parser.parse_args(argv)
    data_dir = Path(args.data or Path(tempfile.gettempdir()) / f"corridor-app-{args.size}")
    data_dir.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "REDIS_URL", "CACHE_URL"}}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "corridor.settings",
            "CORRIDOR_DATA_DIR": str(data_dir),
            "DATABASE_URL": f"sqlite:///{data_dir}/corridor.sqlite3",
            "SECRET_KEY": "bench-only-" + hashlib.sha1(str(data_dir).encode()).hexdigest(),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "HUEY_IMMEDIATE": "0",  # no task worker runs: this script publishes, as it would
            "EMAIL_URL": "memory:",
            "LOG_LEVEL": "WARNING",
            "PYTHONPATH": str(ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", ""),
        }
    )
    os.environ.update(env)
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    from corridor.directory.models import Product, SourcingRequest
    from corridor.matching import selectors, services

    print(f"## The supplier page at {args.size:,} offers, {args.workers} gunicorn workers")
    print(f"data: {data_dir} ({os.cpu_count()} cores; {uptime()})")
    call_command("migrate", verbosity=0)
    n_requests = 2 * (args.requests + args.workers)
    if not Product.objects.exists():
        call_command("load_reference", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115
        create_data(args.size, n_requests)
    else:
        print(f"  reusing {Product.objects.count():,} products")
    if args.setup_only:
        return 0
    if args.stored:
        started = time.perf_counter()
        ids = list(SourcingRequest.objects.values_list("id", flat=True))
        services.requests_embed(request_ids=ids)
        print(
            f"  {len(ids)} requests' vectors and HS guesses stored in {time.perf_counter() - started:.0f} s"
        )
    else:
        SourcingRequest.objects.update(embedding=None, hs_guess=None)
    graph = default_graph(args.size) if args.graph is None else args.graph
    if args.production_build:
        print("  publish: exactly as production (graph built, every text analysed)")
    else:
        shortcuts(graph, memo=True)
        print(
            "  publish: texts analysed once each (memoised); vector index: "
            + (f"the prebuilt graph {graph}" if graph else "built (expansion_add 128)")
        )
    started = time.perf_counter()
    name = services.index_publish(force=True)
    folder = selectors.saved_root() / name
    on_disk = sum(f.stat().st_size for f in folder.iterdir()) / 1e6
    print(
        f"published {name} in {time.perf_counter() - started:.0f} s ({on_disk:,.0f} MB on "
        f"disk; {uptime()})"
    )
    request_ids = list(SourcingRequest.objects.order_by("id").values_list("id", flat=True))
    pages = [f"/matching/requests/{pk}/" for pk in request_ids]

    port = free_port()
    gunicorn = Path(sys.executable).parent / "gunicorn"
    log = open(data_dir / "gunicorn.log", "w")  # noqa: SIM115
    server = subprocess.Popen(
        [
            str(gunicorn),
            "corridor.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(args.workers),
            "--threads",
            "2",
            "--worker-class",
            "gthread",
            "--timeout",
            "600",
            "--log-level",
            "warning",
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    host = f"http://127.0.0.1:{port}"
    try:
        for _ in range(240):
            try:
                urllib.request.urlopen(host + "/healthz", timeout=5)
                break
            except OSError:
                time.sleep(0.5)
        browser = Browser(host)
        browser.login("bench-buyer")
        workers = worker_pids(server.pid)
        print(f"gunicorn: {len(workers)} workers x 2 threads on {host}")
        report_memory("before any supplier page", workers)
        used = iter(pages)

        def round_of_pages(first: str, after: str) -> None:
            """The first page of each worker, then `args.requests` pages, then memory."""
            shown = firsts(browser, [next(used) for _ in range(args.workers)])
            times = ", ".join(f"{t:,.0f} ms" for t in sorted(shown))
            print(f"first page of each worker {first}: {times} ({uptime()})")
            steady(browser, [next(used) for _ in range(args.requests)])
            report_memory(after, workers)

        round_of_pages("(opens the saved catalog)", "after the pages")

        # A product changes; the task worker publishes the new version (here, this process).
        product = Product.objects.order_by("id").first()
        Product.objects.filter(pk=product.pk).update(
            name=product.name + " (new)", updated_at=timezone.now()
        )
        started = time.perf_counter()
        name = services.index_publish()
        print(f"\na product changed: published {name} in {time.perf_counter() - started:.0f} s")
        round_of_pages("after the rebuild", "after the rebuild")
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:  # a worker still busy with a page
            for pid in worker_pids(server.pid):
                os.kill(pid, 9)
            server.kill()
            server.wait()
        log.close()
    return 0


def steady(browser: Browser, paths: list[str]) -> None:
    times = []
    for path in paths:
        elapsed, body = browser.get(path)
        times.append(elapsed)
        if b"Supplier " not in body:
            raise SystemExit(f"{path} lists no supplier")
    p50, p95 = p50_p95(times)
    print(
        f"{len(paths)} distinct requests one at a time: p50 {p50:.0f} ms, p95 {p95:.0f} ms, "
        f"max {max(times):.0f} ms ({uptime()})"
    )


def report_memory(when: str, workers: list[int]) -> None:
    rows = [memory(pid) for pid in workers]
    print(
        f"memory per worker {when}: "
        + "; ".join(
            f"RSS {rss:,.0f} MB, PSS {pss:,.0f} MB, own heap {anon:,.0f} MB"
            for rss, pss, anon in rows
        )
    )


if __name__ == "__main__":
    sys.exit(main())
