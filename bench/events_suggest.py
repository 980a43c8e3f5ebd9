"""Benchmark of 'Suggested for you' at a large event (indexes built by the background task).

    python bench/events_suggest.py                 # 5,000 participants, SQLite
    python bench/events_suggest.py --size 1000     # a quick run

Loads the event of bench/events.py (with a "looks for" text per participant), then prints: the
participants page while no index exists (the cheap ranking, answered by the database), the
background build (`tasks.suggest_index_build`: a first one without the "looks for" vectors, then one that
embeds every text once and HS-guesses it and each offer text, as these participants have no
products), a build again once the texts are embedded, loading
the built file in a process that has none in memory, and the page with the engine's ranking
(first view of each participant, then a repeat from the cache). The worker is not running:
builds are run here, as the worker would. Wall clock on a shared machine: other processes add
noise.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOOKS_FOR = [
    "green coffee beans for roasting",
    "hand-woven silk scarves",
    "Kampot pepper, organic",
    "jasmine rice in 25 kg bags",
    "bamboo baskets and home decor",
    "ceramic tableware for hotels",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=5000, help="participants")
    parser.add_argument("--viewers", type=int, default=20)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "src"))
    sys.path.insert(0, str(ROOT / "bench"))
    data_dir = tempfile.mkdtemp(prefix="corridor-suggest-bench-")
    os.environ["DJANGO_SETTINGS_MODULE"] = "corridor.settings"
    os.environ["CORRIDOR_DATA_DIR"] = data_dir
    os.environ["DATABASE_URL"] = f"sqlite:///{data_dir}/bench.sqlite3"
    os.environ["ALLOWED_HOSTS"] = "testserver,localhost"
    os.environ.setdefault("SECRET_KEY", "bench-only")
    os.environ["HUEY_IMMEDIATE"] = "0"  # builds are queued, as with a worker
    import django

    django.setup()
    from django.core.cache import cache
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from corridor.events import suggest, tasks
    from corridor.events.models import Registration

    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    import events as events_bench

    t0 = time.perf_counter()
    event, _staff, people = events_bench._load(args.size, seed=1)  # noqa: SLF001
    regs = list(Registration.objects.filter(event=event).only("pk"))
    for i, reg in enumerate(regs):
        reg.looks_for = LOOKS_FOR[i % len(LOOKS_FOR)] + f" (lot {i % 97})"
    Registration.objects.bulk_update(regs, ["looks_for"], batch_size=1000)
    print(f"== {args.size:,} participants; load {time.perf_counter() - t0:.1f} s")
    print(f"embedder: {suggest.adapters.get_embedder().name}")
    client = Client()
    url = reverse("events:participants", args=[event.slug])
    viewers = people[: args.viewers]

    def pages(label: str, expect: str) -> None:
        walls, queries = [], 0
        for user, _reg in viewers:
            client.force_login(user)
            with CaptureQueriesContext(connection) as ctx:
                t = time.perf_counter()
                body = client.get(url).content.decode()
                walls.append(time.perf_counter() - t)
            queries = max(queries, len(ctx.captured_queries))
            assert expect in body or expect == "", label
        print(
            f"{label}: p50 {statistics.median(walls) * 1000:.0f} ms, "
            f"max {max(walls) * 1000:.0f} ms ({queries} queries)"
        )

    pages("participants page, no index yet (cheap ranking)", "are being prepared")
    cache.delete(suggest._queued_key(event.pk))  # noqa: SLF001
    t = time.perf_counter()
    tasks.suggest_index_build.call_local(event.pk)  # queues the second one (for the worker)
    first = time.perf_counter() - t
    files = list((Path(data_dir) / "events" / "suggest").glob("*.pickle"))
    size_mb = sum(f.stat().st_size for f in files) / 1e6
    print(f"task: first build {first:.1f} s (no 'looks for' embedded yet), file {size_mb:.1f} MB")
    pages("participants page, first index (loads the file once)", "")
    cache.delete(suggest._queued_key(event.pk))  # noqa: SLF001
    t = time.perf_counter()
    tasks.suggest_index_build.call_local(event.pk)
    print(
        f"task: second build {time.perf_counter() - t:.1f} s "
        f"(embeds and HS-guesses {len(regs):,} 'looks for' texts, guesses the offer texts)"
    )
    Registration.objects.filter(pk=regs[0].pk).update(offers="changed")
    Registration.objects.get(pk=regs[0].pk).save()
    t = time.perf_counter()
    tasks.suggest_index_build.call_local(event.pk)
    print(f"task: build after one change {time.perf_counter() - t:.1f} s (texts embedded already)")
    suggest.forget()
    t = time.perf_counter()
    suggest.event_index(event)
    print(f"another process loads the built file: {(time.perf_counter() - t) * 1000:.0f} ms")
    suggest.forget()
    pages("participants page, engine ranking, first view (loads the file once)", "")
    pages("participants page, engine ranking, repeat (cached ranking)", "")


if __name__ == "__main__":
    main()
