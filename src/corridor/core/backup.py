"""Backups: the database with the engine's own tool plus the uploaded files, in one archive.

An archive (`.tar.gz`) holds `manifest.json` (engine, date, row counts), the database
(`database.pgdump` from pg_dump's custom format, or `database.sqlite3` from SQLite's online backup
API) and the folders of uploaded files (`files/media/...`, `files/private/...`).
"""

from __future__ import annotations

import glob
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.db import connections, transaction

FORMAT = 1


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why."""


def file_folders() -> dict[str, Path]:
    """The folders of uploaded files, by their name in the archive."""
    folders = {"media": Path(settings.MEDIA_ROOT)}
    private = getattr(settings, "PRIVATE_MEDIA_ROOT", None) or Path(settings.DATA_DIR) / "private"
    folders["private"] = Path(private)
    return folders


def pg_tool(name: str) -> str:
    """pg_dump/pg_restore: on PATH, else the newest /usr/lib/postgresql/*/bin (Debian)."""
    candidates = sorted(
        glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
        key=lambda p: [int(x) if x.isdigit() else 0 for x in p.split("/")[4].split(".")],
    )
    if candidates:  # the newest dumps every older server
        return candidates[-1]
    found = shutil.which(name)
    if found:
        return found
    raise BackupError(f"{name} not found: install postgresql-client.")


def _pg_env(db: dict) -> tuple[list[str], dict[str, str]]:
    args = ["--dbname", db["NAME"]]
    if db.get("HOST"):
        args += ["--host", str(db["HOST"])]
    if db.get("PORT"):
        args += ["--port", str(db["PORT"])]
    if db.get("USER"):
        args += ["--username", str(db["USER"])]
    env = {**os.environ}
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    if db.get("OPTIONS", {}).get("sslmode"):
        env["PGSSLMODE"] = db["OPTIONS"]["sslmode"]
    return args, env


def _engine(alias: str) -> str:
    vendor = connections[alias].vendor
    if vendor not in {"postgresql", "sqlite"}:
        raise BackupError(f"backups support PostgreSQL and SQLite, not {vendor}")
    return vendor


def _model_tables() -> list[str]:
    return sorted(
        {m._meta.db_table for m in apps.get_models() if not m._meta.proxy and m._meta.managed}
    )


def _dump_database(alias: str, directory: Path) -> tuple[Path, dict[str, int]]:
    """Dump the database; the row counts are read from the same snapshot as the dump."""
    connection = connections[alias]
    if _engine(alias) == "sqlite":
        target = directory / "database.sqlite3"
        connection.ensure_connection()
        dest = sqlite3.connect(target)
        try:
            connection.connection.backup(dest)  # a consistent copy while the site runs
            existing = {r[0] for r in dest.execute("SELECT name FROM sqlite_master")}
            counts = {
                t: dest.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0]  # noqa: S608
                for t in _model_tables()
                if t in existing
            }
        finally:
            dest.close()
        return target, counts
    target = directory / "database.pgdump"
    args, env = _pg_env(connection.settings_dict)
    # Count and dump in one snapshot: rows written meanwhile are in neither.
    with transaction.atomic(using=alias), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = cursor.fetchone()[0]
        existing = set(connection.introspection.table_names(cursor))
        counts = {}
        for table in _model_tables():
            if table in existing:
                cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")
                counts[table] = cursor.fetchone()[0]
        done = subprocess.run(
            [
                pg_tool("pg_dump"),
                "--format=custom",
                "--no-owner",
                f"--snapshot={snapshot}",
                "--file",
                str(target),
                *args,
            ],
            env=env,
            capture_output=True,
            text=True,
        )
    if done.returncode != 0:
        raise BackupError(f"pg_dump failed: {done.stderr.strip()}")
    return target, counts


def row_counts(alias: str = "default") -> dict[str, int]:
    """Rows per model table now, to check a restore against the backup's manifest."""
    existing = set(connections[alias].introspection.table_names())
    with connections[alias].cursor() as cursor:
        counts = {}
        for table in _model_tables():
            if table in existing:
                cursor.execute(f"SELECT COUNT(*) FROM {connections[alias].ops.quote_name(table)}")
                counts[table] = cursor.fetchone()[0]
    return counts


def backup_create(*, output: Path, alias: str = "default") -> dict:
    """Write the database and the uploaded files into one archive; returns the manifest."""
    engine = _engine(alias)
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    manifest = {
        "format": FORMAT,
        "engine": engine,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "rows": {},
        "files": {},
    }
    with tempfile.TemporaryDirectory(prefix="corridor-backup-") as tmp:
        dump, manifest["rows"] = _dump_database(alias, Path(tmp))
        partial = output.with_name(output.name + ".partial")
        with tarfile.open(partial, "w:gz") as archive:
            archive.add(dump, arcname=dump.name)
            for name, folder in file_folders().items():
                count = 0
                if folder.is_dir():
                    for path in sorted(folder.rglob("*")):
                        if path.is_file():
                            archive.add(path, arcname=f"files/{name}/{path.relative_to(folder)}")
                            count += 1
                manifest["files"][name] = count
            data = json.dumps(manifest, indent=2).encode()
            info = tarfile.TarInfo("manifest.json")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
        partial.replace(output)  # never leave a half-written archive under the final name
    return manifest


def read_manifest(archive_path: Path) -> dict:
    try:
        with tarfile.open(archive_path, "r:gz") as archive:
            member = archive.extractfile("manifest.json")
            if member is None:
                raise KeyError("manifest.json")
            return json.load(member)
    except (KeyError, tarfile.TarError, OSError, ValueError) as exc:
        raise BackupError(f"not a Corridor backup (manifest.json unreadable): {exc}") from exc


def database_is_empty(alias: str = "default") -> bool:
    """True when no table of this project exists yet (a new database)."""
    tables = set(connections[alias].introspection.table_names())
    return not tables


def backup_restore(*, archive_path: Path, alias: str = "default", force: bool = False) -> dict:
    """Restore an archive into this database and the file folders; returns its manifest.

    Refuses a database that already has tables unless `force` (then PostgreSQL objects are
    dropped and recreated, and a SQLite database is overwritten).
    """
    archive_path = Path(archive_path)
    manifest = read_manifest(archive_path)
    engine = _engine(alias)
    if manifest.get("format") != FORMAT:
        raise BackupError(f"unknown backup format {manifest.get('format')!r}")
    if manifest["engine"] != engine:
        raise BackupError(
            f"this backup is of a {manifest['engine']} database; DATABASE_URL is {engine}"
        )
    if not force and not database_is_empty(alias):
        raise BackupError("the database is not empty: restore into a new one, or use --force")
    connection = connections[alias]
    with (
        tempfile.TemporaryDirectory(prefix="corridor-restore-") as tmp,
        tarfile.open(archive_path, "r:gz") as archive,
    ):
        # The "data" filter refuses absolute paths, links out of the folder and device files.
        archive.extractall(tmp, filter="data")
        if engine == "sqlite":
            connection.ensure_connection()
            source = sqlite3.connect(Path(tmp) / "database.sqlite3")
            try:
                source.backup(connection.connection)
            finally:
                source.close()
        else:
            args, env = _pg_env(connection.settings_dict)
            connection.close()
            flags = ["--clean", "--if-exists"] if force else []
            done = subprocess.run(
                [
                    pg_tool("pg_restore"),
                    "--no-owner",
                    "--exit-on-error",
                    "--single-transaction",
                    *flags,
                    *args,
                    str(Path(tmp) / "database.pgdump"),
                ],
                env=env,
                capture_output=True,
                text=True,
            )
            if done.returncode != 0:
                raise BackupError(f"pg_restore failed: {done.stderr.strip()}")
        for name, folder in file_folders().items():
            source_dir = Path(tmp) / "files" / name
            if source_dir.is_dir():
                shutil.copytree(source_dir, folder, dirs_exist_ok=True)
    restored = row_counts(alias)
    missing = {t: n for t, n in manifest["rows"].items() if restored.get(t) != n}
    if missing:
        raise BackupError(f"restored row counts differ from the backup: {missing}")
    return manifest
