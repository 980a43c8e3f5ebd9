"""Benchmark of the directory search: import and index N enterprises, then time the search page.

    python bench/directory.py                 # 100,000 enterprises, 300,000 products, SQLite
    python bench/directory.py --size 5000     # a quick run
    python bench/directory.py --postgres postgres://user:pw@host:5432/db   # also PostgreSQL
    python bench/directory.py --keep /tmp/corridor-bench   # keep the data, reuse it next time
    (TEST_POSTGRES_URL in the environment has the same effect as --postgres)

Each database runs in its own process (Django is configured once per process). On PostgreSQL a
database `<db>_bench` is created next to the one in the URL and dropped afterwards (kept and
reused with --keep). Latency is the whole search page through Django's test Client against the
real view: query, facet counts and rendering, 20 rows per page.

"cold": the Django cache is cleared before every request, as for the first visitor after any
profile changed (cached facet counts are keyed by the index generation, which every edit bumps).
This is what the aim is judged on. "warm": the same search again within the cache lifetime,
pages 1-3. Timings are wall clock on a shared machine: other processes add noise.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode, urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent

COUNTRIES = {
    "VN": ("Viet Nam", "Việt Nam"),
    "TH": ("Thailand", "ประเทศไทย"),
    "KH": ("Cambodia", "កម្ពុជា"),
    "LA": ("Lao PDR", "ລາວ"),
    "MM": ("Myanmar", "မြန်မာ"),
}
PROVINCES = {
    "VN": ["Hà Nội", "Đồng Tháp", "Cần Thơ", "Bến Tre", "Lâm Đồng", "Đắk Lắk", "Bắc Ninh"],
    "TH": ["เชียงใหม่", "ขอนแก่น", "อุบลราชธานี", "สุรินทร์", "นครพนม"],
    "KH": ["កំពត", "សៀមរាប", "បាត់ដំបង", "ព្រៃវែង"],
    "LA": ["ຈຳປາສັກ", "ຫຼວງພະບາງ", "ສະຫວັນນະເຂດ"],
    "MM": ["မန္တလေး", "ရန်ကုန်", "ရှမ်း", "ပဲခူး"],
}
PRODUCTS = {  # (local name, English name, HS subheading)
    "VN": [
        ("Gốm sứ Bát Tràng", "Ceramic vase", "691200"),
        ("Gạo hữu cơ", "Organic rice", "100630"),
        ("Cà phê Robusta", "Robusta coffee", "090111"),
        ("Hạt điều", "Cashew nuts", "080132"),
        ("Hồ tiêu", "Black pepper", "090411"),
        ("Mây tre đan", "Rattan baskets", "460219"),
        ("Nước mắm", "Fish sauce", "210390"),
    ],
    "TH": [
        ("ข้าวหอมมะลิอินทรีย์", "Organic jasmine rice", "100630"),
        ("ผ้าไหมมัดหมี่", "Mudmee silk", "500720"),
        ("เครื่องปั้นดินเผา", "Pottery", "691200"),
        ("มะม่วงอบแห้ง", "Dried mango", "081340"),
        ("น้ำปลา", "Fish sauce", "210390"),
    ],
    "KH": [
        ("ម្រេចកំពត", "Kampot pepper", "090411"),
        ("អង្ករផ្កាម្លិះ", "Jasmine rice", "100630"),
        ("សូត្រ", "Silk scarf", "500720"),
        ("ស្ករត្នោត", "Palm sugar", "170290"),
        ("ស្វាយចន្ទី", "Cashew nuts", "080132"),
    ],
    "LA": [
        ("ກາເຟບໍລະເວນ", "Bolaven coffee", "090111"),
        ("ຜ້າໄໝລາວ", "Lao silk", "500720"),
        ("ເຂົ້າໜຽວ", "Sticky rice", "100630"),
        ("ຊາປ່າ", "Wild tea", "090230"),
    ],
    "MM": [
        ("ဆန်", "Rice", "100630"),
        ("လက်ဖက်", "Pickled tea", "090230"),
        ("ပဲတီစိမ်း", "Green gram", "071331"),
        ("ပိုးထည်", "Silk longyi", "500720"),
    ],
}
HS = {
    "07": "Edible vegetables",
    "0713": "Dried leguminous vegetables",
    "071331": "Beans",
    "08": "Edible fruit and nuts",
    "0801": "Coconuts, Brazil nuts and cashew nuts",
    "080132": "Cashew nuts, shelled",
    "0813": "Fruit, dried",
    "081340": "Other dried fruit",
    "09": "Coffee, tea, maté and spices",
    "0901": "Coffee",
    "090111": "Coffee, not roasted",
    "0902": "Tea",
    "090230": "Black tea",
    "0904": "Pepper",
    "090411": "Pepper, neither crushed nor ground",
    "10": "Cereals",
    "1006": "Rice",
    "100630": "Semi-milled or wholly milled rice",
    "17": "Sugars and sugar confectionery",
    "1702": "Other sugars",
    "170290": "Other sugars, including invert sugar",
    "21": "Miscellaneous edible preparations",
    "2103": "Sauces",
    "210390": "Other sauces",
    "46": "Manufactures of straw, of esparto or of other plaiting materials",
    "4602": "Basketwork",
    "460219": "Basketwork of other vegetable materials",
    "50": "Silk",
    "5007": "Woven fabrics of silk",
    "500720": "Other woven silk fabrics",
    "69": "Ceramic products",
    "6912": "Ceramic tableware",
    "691200": "Ceramic tableware, other than porcelain",
}
PREFIX = {
    "VN": ["Công ty", "Hợp tác xã", "Cơ sở"],
    "TH": ["บริษัท", "วิสาหกิจชุมชน", "สหกรณ์"],
    "KH": ["សហគ្រាស", "ក្រុមហ៊ុន"],
    "LA": ["ບໍລິສັດ", "ກຸ່ມ"],
    "MM": ["ကုမ္ပဏီ", "လုပ်ငန်း"],
}
CASES = [  # (label, query parameters)
    ("browse (no query)", {}),
    ("facet: country", {"country": "VN"}),
    ("facet: country+HS chapter", {"country": "TH", "hs": "10"}),
    ("facet: certification+type", {"cert": "organic", "kind": "sme"}),
    ("English", {"q": "cashew nuts"}),
    ("English prefix", {"q": "ceram"}),
    ("Vietnamese diacritics", {"q": "gốm sứ bát tràng"}),
    ("Vietnamese folded", {"q": "gom su bat trang"}),
    ("Vietnamese + facet", {"q": "dong thap", "hs": "10"}),
    ("Thai", {"q": "ข้าวอินทรีย์"}),
    ("Khmer", {"q": "ម្រេច"}),
    ("Lao", {"q": "ກາເຟ"}),
    ("Burmese Unicode", {"q": "လက်ဖက်"}),
    ("Burmese Zawgyi", {"q": "လက္ဖက္"}),
    ("Thai → every language", {"q": "ข้าว"}),
    ("Vietnamese → every language", {"q": "xoài"}),
    # Half the directory matches the word itself; only its 16,000 name matches are ranked for
    # the first page (the names tier, see docs/directory.md).
    ("English, broad word", {"q": "silk"}),
    ("English plural", {"q": "ceramics"}),
    ("Vietnamese exact word", {"q": "gốm"}),
    ("member: browse", {"as": "member"}),
    ("member: English + facet", {"as": "member", "q": "pepper", "country": "KH"}),
    ("staff: browse", {"as": "staff"}),
    ("staff: facet: country", {"as": "staff", "country": "VN"}),
]


# Quality: a query in each language and the English words that say what it should find. An
# organisation should be found when its name, description or a product name holds one of them.
QUALITY = [
    (("rice",), ["rice", "ข้าว", "gạo", "អង្ករ", "ເຂົ້າ", "ဆန်"]),
    (("mango",), ["mango", "mangoes", "มะม่วง", "xoài", "ស្វាយ", "ໝາກມ່ວງ"]),
    (("coffee",), ["coffee", "cà phê", "ca phe", "กาแฟ", "ກາເຟ", "ကော်ဖီ"]),
    (("tea",), ["tea", "chè", "trà", "ชา", "လက်ဖက်"]),
    (("silk",), ["silk", "lụa", "ไหม", "សូត្រ", "ໄໝ", "ပိုးထည်"]),
    (("ceramic", "pottery"), ["ceramic", "ceramics", "pottery", "gốm", "เครื่องปั้นดินเผา"]),
    (("pepper",), ["pepper", "hồ tiêu", "พริกไทย", "ម្រេច", "ငရုတ်ကောင်း"]),
    (("cashew",), ["cashew", "cashews", "hạt điều", "ស្វាយចន្ទី", "มะม่วงหิมพานต์"]),
]


def quality() -> None:
    """Print, per query, how many of the organisations it should find it found, and how many
    more it found (everything an anonymous visitor sees). The extra ones are mostly members of
    a cluster whose name names the product (a cluster's name is indexed for its members), and
    for ស្វាយ (mango) the cashew growers: ស្វាយចន្ទី (cashew) holds the word."""
    from django.contrib.auth.models import AnonymousUser
    from django.db.models import Q

    from corridor.accounts import permissions
    from corridor.directory.selectors import SearchFilters, organisation_queryset

    visible = permissions.visible_organisations(AnonymousUser())
    print(f"\n{'query':28} {'found':>7} / {'should':>7} {'recall':>7} {'extra':>6}")
    worst = 1.0
    for words, queries in QUALITY:
        about = Q()
        for word in words:
            about |= Q(name__icontains=word) | Q(description__icontains=word)
            about |= Q(products__name__icontains=word)
        should = set(visible.filter(about).values_list("id", flat=True))
        for q in queries:
            found = set(
                organisation_queryset(AnonymousUser(), SearchFilters(q=q)).values_list(
                    "id", flat=True
                )
            )
            hit = len(found & should)
            recall = hit / len(should) if should else 1.0
            worst = min(worst, recall)
            print(f"{q:28} {hit:>7} / {len(should):>7} {recall:>7.1%} {len(found - should):>6}")
    print(f"lowest recall: {worst:.1%}")


def run(size: int, database_url: str, label: str, repeats: int, keep: str, reindex: bool) -> None:
    """Import, index and time searches in this process (its environment picks the database)."""
    if keep:
        data_dir = os.path.join(keep, str(size))
        os.makedirs(data_dir, exist_ok=True)
    else:
        data_dir = tempfile.mkdtemp(prefix="corridor-bench-")
    os.environ["DJANGO_SETTINGS_MODULE"] = "corridor.settings"
    os.environ["CORRIDOR_DATA_DIR"] = data_dir
    os.environ["DATABASE_URL"] = database_url or f"sqlite:///{data_dir}/bench.sqlite3"
    os.environ["ALLOWED_HOSTS"] = "testserver,localhost"
    os.environ.setdefault("SECRET_KEY", "bench-only")
    import django

    django.setup()
    from django.contrib.auth.models import AnonymousUser
    from django.core.cache import cache
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from corridor.directory import models as m
    from corridor.directory.search import analyze, rebuild_index
    from corridor.directory.selectors import search_organisations

    call_command("migrate", verbosity=0)
    reuse = m.Organisation.objects.exists()
    if reuse:
        print(f"\n== {label}: reusing the data kept in {database_url or data_dir}")
        t_import = 0.0
    else:
        t_import = _load(size)
    t0 = time.perf_counter()
    indexed = rebuild_index() if (reindex or not reuse) else 0
    if not indexed:
        analyze()
    if connection.vendor == "postgresql":
        # What autovacuum does a few minutes after a bulk load: without the visibility map the
        # index-only scans of the facet index read the table too.
        t0 = time.perf_counter()
        with connection.cursor() as cur:
            cur.execute("VACUUM ANALYZE")
        print(f"VACUUM ANALYZE {time.perf_counter() - t0:.1f} s")
    t_index = time.perf_counter() - t0
    print(
        f"\n== {label}: {m.Organisation.objects.count():,} organisations, "
        f"{m.Product.objects.count():,} products, {m.Certification.objects.count():,} certificates"
    )
    print(f"import {t_import:.1f} s, index {t_index:.1f} s ({indexed:,} organisations)")
    users = _users()

    clients = {}
    for role in ("anonymous", "member", "staff"):
        clients[role] = Client()
        if role in users:
            clients[role].force_login(users[role])
    print(
        f"{'case':28} {'matches':>8} {'cold p50':>9} {'cold p95':>9} {'warm p50':>9} {'warm p95':>9}"
    )
    worst = 0.0
    for name, case in CASES:
        params = {k: v for k, v in case.items() if k != "as"}
        client = clients[case.get("as", "anonymous")]
        url = "/directory/?" + urlencode(params)
        response = client.get(url)
        assert response.status_code == 200, response.status_code
        user = users.get(case.get("as", ""), AnonymousUser())
        found = search_organisations(user, params.get("q", ""), params, facets=False)
        total = found.total
        # PostgreSQL estimates the total of a very broad search from probed ids.
        shown = f"≈{total}" if found.total_approximate else str(total)
        assert response.content.count(b'class="card"') == min(20, total), name
        timings = {}
        for mode in ("cold", "warm"):
            samples = []
            for r in range(repeats):
                if mode == "cold":
                    cache.clear()
                page = {"page": str(1 + r % 3)} if mode == "warm" else {}
                t = time.perf_counter()
                client.get("/directory/?" + urlencode({**params, **page}))
                samples.append((time.perf_counter() - t) * 1000)
            samples.sort()
            timings[mode] = (statistics.median(samples), samples[int(0.95 * (len(samples) - 1))])
        worst = max(worst, timings["cold"][1])
        print(
            f"{name:28} {shown:>8} {timings['cold'][0]:>7.1f}ms {timings['cold'][1]:>7.1f}ms "
            f"{timings['warm'][0]:>7.1f}ms {timings['warm'][1]:>7.1f}ms"
        )
    print(f"worst cold p95: {worst:.1f} ms (aim: under 150 ms)")
    quality()
    connection.close()
    if not keep:
        shutil.rmtree(data_dir, ignore_errors=True)


def _users() -> dict:
    """A staff user, and a member of an unpublished enterprise (and of a published one)."""
    from corridor.accounts.models import Membership, User
    from corridor.directory import models as m

    staff, _ = User.objects.get_or_create(
        username="bench-staff", defaults={"email": "staff@bench.test", "is_staff": True}
    )
    member, created = User.objects.get_or_create(
        username="bench-member", defaults={"email": "member@bench.test"}
    )
    if created:
        hidden = m.Organisation.objects.filter(is_published=False, kind="sme").order_by("id")
        shown = m.Organisation.objects.filter(is_published=True, kind="sme").order_by("id")
        for org in [*hidden[:2], shown[0]]:
            Membership.objects.create(user=member, organisation=org, role="owner")
    return {"staff": staff, "member": member}


def _load(size: int) -> float:
    """Create the organisations, products and certificates; returns the seconds it took."""
    from django.db import transaction

    from corridor.directory import models as m

    rng = random.Random(42)
    t0 = time.perf_counter()
    with transaction.atomic():
        m.Country.objects.bulk_create(
            [m.Country(code=c, name=n, local_name=ln) for c, (n, ln) in COUNTRIES.items()]
        )
        provinces = {
            c: [
                m.Province(code=f"{c}-{i}", country_id=c, name=name, local_name=name)
                for i, name in enumerate(names)
            ]
            for c, names in PROVINCES.items()
        }
        m.Province.objects.bulk_create([p for ps in provinces.values() for p in ps])
        m.HSCode.objects.bulk_create(
            [m.HSCode(code=c, description=d, level=len(c), parent_id=None) for c, d in HS.items()]
        )
        corridor = m.EconomicCorridor.objects.create(slug="ewec", name="East-West corridor")
        corridor.provinces.set([provinces["VN"][0], provinces["TH"][1], provinces["LA"][2]])
        n_clusters = max(1, size // 100)
        clusters, orgs = [], []
        for i in range(size):
            c = rng.choice(list(COUNTRIES))
            prov = rng.choice(provinces[c])
            local, english, _hs = rng.choice(PRODUCTS[c])
            kind = (
                "cluster"
                if i < n_clusters
                else rng.choices(["sme", "buyer", "support"], [90, 8, 2])[0]
            )
            org = m.Organisation(
                kind=kind,
                name=f"{english} {prov.name} {i}",
                local_name=f"{rng.choice(PREFIX[c])} {local} {prov.local_name}",
                slug=f"org-{i}",
                description=f"{english} from {prov.name}, {COUNTRIES[c][0]}.",
                country_id=c,
                province=prov,
                is_published=rng.random() < 0.9,
                email=f"org{i}@example.com",
            )
            (clusters if kind == "cluster" else orgs).append(org)
        m.Organisation.objects.bulk_create(clusters, batch_size=2000)
        for org in orgs:
            if org.kind == "sme" and rng.random() < 0.5:
                org.cluster = rng.choice(clusters)
        m.Organisation.objects.bulk_create(orgs, batch_size=2000)
        all_orgs = clusters + orgs
        products, certs = [], []
        for org in all_orgs:
            if org.kind == "buyer":
                continue
            for _ in range(3 * size // len(all_orgs) + (1 if rng.random() < 0.4 else 0)):
                local, english, hs = rng.choice(PRODUCTS[org.country_id])
                products.append(
                    m.Product(
                        organisation=org,
                        name=english,
                        local_name=local,
                        description=f"{english}, {local}",
                        hs_code_id=hs,
                        markets=["JP"],
                    )
                )
            if rng.random() < 0.3:
                certs.append(
                    m.Certification(organisation=org, kind=rng.choice(["organic", "gap", "haccp"]))
                )
        m.Product.objects.bulk_create(products, batch_size=5000)
        m.Certification.objects.bulk_create(certs, batch_size=5000)
    return time.perf_counter() - t0


def _pg_bench_url(url: str, size: int) -> tuple[str, str, str]:
    parts = urlparse(url)
    db = parts.path.lstrip("/") or "postgres"
    bench_db = f"{db}_bench_{size}" if size else f"{db}_bench"
    admin = urlunparse(parts._replace(path="/postgres"))
    return urlunparse(parts._replace(path=f"/{bench_db}")), bench_db, admin


def _pg_admin(url: str, sql: str, ok_if_exists: bool = False) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        try:
            conn.execute(sql)
        except psycopg.errors.DuplicateDatabase:
            if not ok_if_exists:
                raise


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000, help="number of enterprises")
    parser.add_argument("--postgres", default=os.environ.get("TEST_POSTGRES_URL", ""))
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument(
        "--keep", default="", help="folder (SQLite) / flag (PostgreSQL): keep the data and reuse it"
    )
    parser.add_argument("--reindex", action="store_true", help="rebuild the index of kept data")
    parser.add_argument("--only", choices=["sqlite", "postgres"], help=argparse.SUPPRESS)
    parser.add_argument("--url", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "src"))
    if args.only:
        run(args.size, args.url, args.only, args.repeats, args.keep, args.reindex)
        return
    base = [sys.executable, __file__, "--size", str(args.size), "--repeats", str(args.repeats)]
    if args.keep:
        base += ["--keep", os.path.abspath(args.keep)]
    if args.reindex:
        base.append("--reindex")
    subprocess.run([*base, "--only", "sqlite"], check=True)
    if not args.postgres:
        print("\nPostgreSQL skipped: pass --postgres URL or set TEST_POSTGRES_URL.")
        return
    url, bench_db, admin_url = _pg_bench_url(args.postgres, args.size if args.keep else 0)
    if not args.keep:
        _pg_admin(admin_url, f'DROP DATABASE IF EXISTS "{bench_db}"')
    _pg_admin(admin_url, f'CREATE DATABASE "{bench_db}"', ok_if_exists=True)
    try:
        subprocess.run([*base, "--only", "postgres", "--url", url], check=True)
    finally:
        if not args.keep:
            _pg_admin(admin_url, f'DROP DATABASE IF EXISTS "{bench_db}"')


if __name__ == "__main__":
    main()
