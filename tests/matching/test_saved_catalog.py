"""The supplier catalog saved once on disk and memory-mapped by every web process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from django.core.cache import cache
from django.core.management import call_command

from corridor.matching import adapters, selectors, services, snapshot
from corridor.matching.embedding import HashEmbedder
from corridor.matching.engine import Matcher
from corridor.matching.records import Offer, Query
from corridor.matching.stored import StoredPositions, StoredRecords, StoredRows, write_records
from tests import factories


@pytest.fixture(autouse=True)
def _own_data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path
    cache.delete("matching:index-publish")
    cache.delete(services.PUBLISHING_KEY)
    selectors.forget_catalog()
    yield
    selectors.forget_catalog()
    cache.delete("matching:index-publish")


@pytest.fixture
def catalog_world(db):
    rice = factories.HSCodeFactory(code="100630", description="Rice")
    silk = factories.HSCodeFactory(code="500200", description="Raw silk")
    mill = factories.OrganisationFactory(name="Mekong Rice Mill")
    factories.ProductFactory(
        organisation=mill, name="Jasmine rice", description="Milled jasmine rice", hs_code=rice
    )
    weavers = factories.OrganisationFactory(name="Silk Weavers")
    factories.ProductFactory(organisation=weavers, name="Raw silk yarn", hs_code=silk)
    return {"mill": mill, "weavers": weavers, "silk": silk}


def _names(catalog) -> set[str]:
    return {p["name"] for p in catalog.products.values()}


_READER = textwrap.dedent(
    """
    import sys
    from corridor.matching import snapshot
    from corridor.matching.embedding import HashEmbedder
    from corridor.matching.engine import Matcher
    from corridor.matching.records import Query

    root, loaded, matcher = sys.argv[1], None, None
    for line in sys.stdin:
        name = snapshot.current(root)
        if name != loaded:
            matcher = Matcher.open(f"{root}/{name}", embedder=HashEmbedder())
            loaded = name
        found = matcher.rank(Query(id=1, text=line.strip()), top=3)
        titles = [matcher.offers[int(m.offer_id)].title for m in found]
        print(name, "|".join(titles), flush=True)
    """
)


def _publish_offers(root: Path, titles: list[str]) -> str:
    offers = [Offer(id=i, title=t) for i, t in enumerate(titles)]
    matcher = Matcher(embedder=HashEmbedder()).build(offers)
    return snapshot.publish(root, matcher.save)


def test_a_catalog_published_by_one_process_is_read_by_another(tmp_path):
    root = tmp_path / "index"
    first = _publish_offers(root, ["Jasmine rice", "Raw silk yarn"])
    reader = subprocess.Popen(
        [sys.executable, "-c", _READER, str(root)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    try:
        reader.stdin.write("silk scarf\n")
        reader.stdin.flush()
        before = reader.stdout.readline().split()
        second = _publish_offers(root, ["Jasmine rice", "Raw silk yarn", "Silk scarf"])
        reader.stdin.write("silk scarf\n")
        reader.stdin.flush()
        after = reader.stdout.readline().split(maxsplit=1)
    finally:
        reader.stdin.close()
        reader.wait(timeout=60)
        reader.stdout.close()
    assert before[0] == first
    assert "Silk scarf" not in " ".join(before)
    assert after[0] == second
    assert after[1].split("|")[0] == "Silk scarf"


def test_saved_matcher_ranks_as_the_built_one(tmp_path):
    offers = [
        Offer(id=i, title=t, hs_code=c)
        for i, (t, c) in enumerate(
            [("Jasmine rice", "100630"), ("Raw silk", "500200"), ("Rice noodles", "190230")]
        )
    ]
    for kind in ("exact", "hnsw"):
        built = Matcher(embedder=HashEmbedder(), index_kind=kind).build(offers)
        (tmp_path / kind).mkdir()
        built.save(tmp_path / kind)
        opened = Matcher.open(tmp_path / kind, embedder=HashEmbedder())
        query = Query(id=1, text="jasmine rice", hs_code="1006")
        assert [m.as_dict() for m in opened.rank(query)] == [m.as_dict() for m in built.rank(query)]
        assert opened.index.is_hnsw is (kind == "hnsw")
        assert isinstance(opened.bm25.doc_ids, np.memmap)
        # Offers stay in the file, unpickled one at a time when read.
        assert isinstance(opened.offers, StoredRecords)
        assert list(opened.offers) == offers
        assert opened.offers[-1] == offers[-1]


def test_stored_records_are_read_one_at_a_time(tmp_path):
    rows = [{"id": i, "name": f"Product {i}"} for i in (3, 7, 42)]
    write_records(tmp_path, "rows", rows)
    stored = StoredRecords(tmp_path, "rows")
    assert len(stored) == 3
    assert stored[1] == rows[1]
    assert stored[-1] == rows[-1]
    assert stored[0:2] == rows[:2]
    with pytest.raises(IndexError):
        stored[3]
    positions = StoredPositions(np.array([3, 7, 42]))
    by_id = StoredRows(positions, stored, fill=lambda r: r["name"])
    assert positions[42] == 2
    assert by_id[7] == "Product 7"
    assert by_id.get(8) is None
    assert list(by_id) == [3, 7, 42]
    assert dict(by_id.items()) == {3: "Product 3", 7: "Product 7", 42: "Product 42"}


def test_an_opened_catalog_reads_its_product_rows_from_the_file(catalog_world, monkeypatch):
    monkeypatch.setattr(selectors, "LIVE_BUILD_LIMIT", 1)
    services.index_publish()
    built = selectors.build_catalog(selectors.catalog_version())
    opened = selectors.supplier_catalog()
    assert opened.saved_as
    assert isinstance(opened.products, StoredRows)
    assert dict(opened.products.items()) == built.products
    assert dict(opened.positions.items()) == built.positions
    mill = catalog_world["mill"]
    rice = next(p for p in opened.products.values() if p["name"] == "Jasmine rice")
    assert rice["org"].id == mill.pk and rice["org"].slug == mill.slug


def test_management_command_publishes_and_web_processes_use_it(catalog_world, monkeypatch):
    monkeypatch.setattr(selectors, "LIVE_BUILD_LIMIT", 1)
    call_command("matching_index")
    name = snapshot.current(selectors.saved_root())
    catalog = selectors.supplier_catalog()
    assert catalog.saved_as == name
    assert _names(catalog) == {"Jasmine rice", "Raw silk yarn"}
    assert services.index_publish() is None  # already current: nothing rebuilt


def test_a_stale_saved_catalog_is_replaced_after_a_change(catalog_world, monkeypatch):
    monkeypatch.setattr(selectors, "LIVE_BUILD_LIMIT", 1)
    monkeypatch.setattr(selectors, "VERSION_CHECK", 0)  # every page compares with the database
    first = services.index_publish()
    assert selectors.supplier_catalog().saved_as == first
    factories.ProductFactory(
        organisation=catalog_world["weavers"], name="Silk scarf", hs_code=catalog_world["silk"]
    )
    selectors.supplier_catalog()  # sees the change: asks the task worker (here in-process)
    second = snapshot.current(selectors.saved_root())
    assert second != first
    catalog = selectors.supplier_catalog()
    assert catalog.saved_as == second
    assert "Silk scarf" in _names(catalog)


def test_a_large_saved_catalog_follows_publications_without_counting_products(
    catalog_world, monkeypatch, django_assert_num_queries
):
    monkeypatch.setattr(selectors, "LIVE_BUILD_LIMIT", 1)
    first = services.index_publish()
    assert selectors.supplier_catalog().saved_as == first  # compared with the database once
    factories.ProductFactory(organisation=catalog_world["weavers"], name="Silk scarf")
    with django_assert_num_queries(0):  # no count over every product on each page
        assert selectors.supplier_catalog().saved_as == first
    second = services.index_publish()  # the task worker saw the change
    with django_assert_num_queries(0):
        catalog = selectors.supplier_catalog()
    assert catalog.saved_as == second
    assert "Silk scarf" in _names(catalog)

    monkeypatch.setattr(selectors, "VERSION_CHECK", 0)  # the next comparison is due
    factories.ProductFactory(organisation=catalog_world["mill"], name="Broken rice")
    selectors.supplier_catalog()  # compares, sees the change, asks for (here: runs) a publish
    assert "Broken rice" in _names(selectors.supplier_catalog())


def test_a_small_catalog_is_built_fresh_rather_than_read_stale(catalog_world):
    first = services.index_publish()
    cache.add("matching:index-publish", 1, timeout=60)  # a rebuild is pending, not yet done
    factories.ProductFactory(organisation=catalog_world["weavers"], name="Silk scarf")
    catalog = selectors.supplier_catalog()
    assert snapshot.current(selectors.saved_root()) == first
    assert catalog.saved_as == ""
    assert "Silk scarf" in _names(catalog)


def test_a_missing_or_broken_saved_catalog_falls_back_to_the_database(catalog_world, monkeypatch):
    monkeypatch.setattr(selectors, "LIVE_BUILD_LIMIT", 1)
    cache.add("matching:index-publish", 1, timeout=60)  # no publication during this test
    name = services.index_publish()
    (selectors.saved_root() / name / "catalog.pkl").write_bytes(b"not a pickle")
    catalog = selectors.supplier_catalog()
    assert catalog.saved_as == ""
    assert _names(catalog) == {"Jasmine rice", "Raw silk yarn"}

    selectors.forget_catalog()
    (selectors.saved_root() / snapshot.POINTER).write_text("v0-gone", encoding="ascii")
    catalog = selectors.supplier_catalog()
    assert catalog.saved_as == ""
    assert _names(catalog) == {"Jasmine rice", "Raw silk yarn"}


def test_a_large_catalog_without_a_saved_one_asks_for_it(catalog_world, monkeypatch):
    monkeypatch.setattr(selectors, "LIVE_BUILD_LIMIT", 1)
    catalog = selectors.supplier_catalog()
    assert catalog.saved_as == ""  # built here this once
    name = snapshot.current(selectors.saved_root())
    assert name is not None
    saved = json.dumps(sorted(_names(selectors.catalog_open(name))))
    assert saved == json.dumps(["Jasmine rice", "Raw silk yarn"])


def test_one_publication_at_a_time(catalog_world):
    cache.add(services.PUBLISHING_KEY, 1, timeout=60)  # another worker is building one
    try:
        assert services.index_publish(force=True) is None
        assert snapshot.current(selectors.saved_root()) is None
    finally:
        cache.delete(services.PUBLISHING_KEY)
    assert services.index_publish(force=True) is not None  # the key is released after it
    assert services.index_publish(force=True) is not None


def test_publishing_keeps_two_versions(tmp_path):
    root = tmp_path / "index"
    names = [_publish_offers(root, ["Jasmine rice", f"Offer {i}"]) for i in range(4)]
    kept = sorted(p.name for p in root.iterdir() if p.is_dir())
    assert kept == names[-2:]
    assert snapshot.current(root) == names[-1]


def test_the_saved_version_is_read_without_the_catalog(catalog_world):
    name = services.index_publish()
    version = selectors.catalog_version() + (adapters.get_embedder().name,)
    (selectors.saved_root() / name / "catalog.pkl").write_bytes(b"not a pickle")

    assert selectors.saved_catalog_version() == version
    assert services.index_publish() is None


def test_a_process_asks_for_a_publication_once_per_debounce(monkeypatch):
    asked = []
    monkeypatch.setattr("corridor.matching.tasks.index_publish_later", asked.append)

    selectors.publish_later()
    cache.delete("matching:index-publish")  # another process's request expired, or a new cache
    selectors.publish_later()

    assert asked == [selectors.PUBLISH_DEBOUNCE]
