"""`corridor backup` and `corridor restore`: every record and file comes back in an empty database.

SQLite in the normal run (SQLite's backup API); PostgreSQL when DATABASE_URL is PostgreSQL
(pg_dump/pg_restore, restored into a new database).
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db import connection

from tests import factories


def _records() -> None:
    vn = factories.CountryFactory(code="VN", name="Viet Nam")
    cluster = factories.OrganisationFactory(kind="cluster", name="Bat Trang ceramics", country=vn)
    sme = factories.OrganisationFactory(kind="sme", name="Gốm Sứ Minh Long", cluster=cluster)
    owner = factories.UserFactory(username="owner")
    factories.MembershipFactory(user=owner, organisation=sme, role="owner")
    factories.ProductFactory(organisation=sme, name="ข้าวหอมมะลิ glazed bowl")
    factories.ConnectionFactory()


def _files(root: Path, private: Path) -> None:
    (root / "products" / "2026").mkdir(parents=True)
    (root / "products" / "2026" / "bowl.jpg").write_bytes(b"\xff\xd8\xff" + os.urandom(2048))
    (root / "ស្រូវ.png").write_bytes(b"\x89PNG" + os.urandom(512))
    (private / "certs").mkdir(parents=True)
    (private / "certs" / "haccp.pdf").write_bytes(b"%PDF-1.7 " + os.urandom(4096))


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def _tables() -> list[str]:
    existing = set(connection.introspection.table_names())
    return sorted({m._meta.db_table for m in apps.get_models() if not m._meta.proxy} & existing)


def _rows(cursor, table: str, quote) -> list[tuple]:
    if connection.vendor == "postgresql":
        # The server's text of each row: the same whatever types either client converts to.
        cursor.execute(f"SELECT t::text FROM {quote(table)} t")  # noqa: S608 - model tables
    else:
        cursor.execute(f"SELECT * FROM {quote(table)}")  # noqa: S608 - model table names
    return sorted(cursor.fetchall(), key=repr)


def _restore_in_new_process(archive: Path, database_url: str, data_dir: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "MEDIA_ROOT"}}
    env.update({"DATABASE_URL": database_url, "CORRIDOR_DATA_DIR": str(data_dir)})
    done = subprocess.run(
        [sys.executable, "-m", "corridor.cli", "restore", str(archive)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "restored" in done.stdout


@pytest.mark.django_db(transaction=True)
def test_backup_restored_into_an_empty_database_has_every_record_and_file(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "src" / "media"
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "src" / "private"
    _records()
    _files(settings.MEDIA_ROOT, settings.PRIVATE_MEDIA_ROOT)
    archive = tmp_path / "corridor.tar.gz"

    call_command("backup", output=str(archive))

    dest = tmp_path / "dest"
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        source = {t: _rows(cursor, t, quote) for t in _tables()}
    assert len(source["directory_organisation"]) == 4  # cluster, SME, the connection's two
    if connection.vendor == "sqlite":
        _restore_in_new_process(archive, f"sqlite:///{dest}/restored.sqlite3", dest)
        # Read with the converters Django's own SQLite connection uses (dates, decimals...).
        target = sqlite3.connect(
            dest / "restored.sqlite3", detect_types=sqlite3.PARSE_DECLTYPES | sqlite3.PARSE_COLNAMES
        )
        try:
            restored = {t: _rows(target.cursor(), t, quote) for t in source}
        finally:
            target.close()
    else:
        import psycopg

        db = connection.settings_dict
        name = f"{db['NAME']}_restored"
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
            cursor.execute(f'CREATE DATABASE "{name}"')
        url = f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{name}"
        try:
            _restore_in_new_process(archive, url, dest)
            with psycopg.connect(url.replace("postgres://", "postgresql://")) as target:
                restored = {t: _rows(target.cursor(), t, quote) for t in source}
        finally:
            with connection.cursor() as cursor:
                cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')

    assert restored == source
    assert _tree(dest / "media") == _tree(settings.MEDIA_ROOT)
    assert _tree(dest / "private") == _tree(settings.PRIVATE_MEDIA_ROOT)
    assert len(_tree(dest / "media")) == 2


@pytest.mark.django_db(transaction=True)
def test_restore_refuses_a_database_that_is_not_empty(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    factories.UserFactory(username="kept")
    archive = tmp_path / "corridor.tar.gz"
    call_command("backup", output=str(archive))

    with pytest.raises(CommandError, match="not empty"):
        call_command("restore", str(archive))
    assert list(apps.get_model("accounts", "User").objects.values_list("username", flat=True)) == [
        "kept"
    ]


def test_restore_refuses_a_file_that_is_not_a_backup(tmp_path, db):
    import tarfile

    bogus = tmp_path / "bogus.tar.gz"
    with tarfile.open(bogus, "w:gz") as archive:
        archive.add(__file__, arcname="notes.py")
    with pytest.raises(CommandError, match="manifest"):
        call_command("restore", str(bogus))
