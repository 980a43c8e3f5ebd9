"""SQLite: the visibility of each organisation in its full-text row too (column `vis`).

A text search without facets tested each match against the facet index for its visibility:
about 0.6 µs a match, 35 ms of a search matching 57,000 of 100,000 organisations, more than the
match itself (5 ms). With a token "v0", "v1" or "v2" in the row's `vis` column the audience is
one more term of the MATCH, merged inside FTS5. The trigger that follows publishing and merging
(migration 0003) keeps it in step. PostgreSQL has the same on its search row (migration 0005).
"""

from django.db import migrations

VIS_CASE = "CASE WHEN new.merged_into_id IS NOT NULL THEN 0 WHEN new.is_published THEN 2 ELSE 1 END"
TRIGGER = """CREATE TRIGGER directory_org_search_vis
    AFTER UPDATE OF is_published, merged_into_id ON directory_organisation
    WHEN old.is_published IS NOT new.is_published OR old.merged_into_id IS NOT new.merged_into_id
    BEGIN
        UPDATE directory_org_facet SET vis = {case} WHERE org_id = new.id;{fts}
        UPDATE directory_search_meta SET value = value + 1 WHERE key = 'generation';
    END"""
FTS = "fts5({columns}, tokenize='ascii', prefix='3')"


def _rebuild(columns: str, select: str, trigger_fts: str):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "sqlite":
            return
        for sql in (
            "CREATE TEMP TABLE directory_org_fts_copy AS SELECT rowid AS id, name, body "
            "FROM directory_org_fts",
            "DROP TABLE directory_org_fts",
            f"CREATE VIRTUAL TABLE directory_org_fts USING {FTS.format(columns=columns)}",
            f"INSERT INTO directory_org_fts (rowid, {columns}) SELECT {select} "
            "FROM directory_org_fts_copy c",
            "DROP TABLE directory_org_fts_copy",
            "DROP TRIGGER IF EXISTS directory_org_search_vis",
            TRIGGER.format(case=VIS_CASE, fts=trigger_fts),
        ):
            schema_editor.execute(sql, params=None)

    return run


FORWARD = _rebuild(
    "name, body, vis",
    "c.id, c.name, c.body, 'v' || COALESCE((SELECT f.vis FROM directory_org_facet f "
    "WHERE f.org_id = c.id AND f.facet = 'kind'), 2)",
    f"\n        UPDATE directory_org_fts SET vis = 'v' || ({VIS_CASE}) WHERE rowid = new.id;",
)
REVERSE = _rebuild("name, body", "c.id, c.name, c.body", "")


class Migration(migrations.Migration):
    dependencies = [("directory", "0008_merge")]

    operations = [migrations.RunPython(FORWARD, REVERSE)]
