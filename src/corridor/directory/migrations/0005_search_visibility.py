"""PostgreSQL: the visibility of each organisation on its text-search row too.

A text search without facets tested every match against the set of visible ids, hashed from
the facet rows: 40 ms of a broad search at 100,000 organisations. With `vis` on the search row
it is a test of the row already read. The trigger that follows publishing and merging keeps
both in step. SQLite tests each match in the facet index instead (`visible_matches`).
"""

from django.db import migrations

VIS_CASE = "CASE WHEN NEW.merged_into_id IS NOT NULL THEN 0 WHEN NEW.is_published THEN 2 ELSE 1 END"

FUNCTION = """CREATE OR REPLACE FUNCTION directory_org_search_vis() RETURNS trigger AS $$
    BEGIN
        UPDATE directory_org_facet SET vis = {case} WHERE org_id = NEW.id;{search}
        UPDATE directory_search_meta SET value = value + 1 WHERE key = 'generation';
        RETURN NULL;
    END $$ LANGUAGE plpgsql"""

FORWARD = [
    "ALTER TABLE directory_org_search ADD COLUMN vis smallint NOT NULL DEFAULT 2",
    """UPDATE directory_org_search s SET vis = f.vis FROM directory_org_facet f
    WHERE f.org_id = s.org_id AND f.facet = 'kind'""",
    FUNCTION.format(
        case=VIS_CASE,
        search=f"\n        UPDATE directory_org_search SET vis = {VIS_CASE} WHERE org_id = NEW.id;",
    ),
]
REVERSE = [
    FUNCTION.format(case=VIS_CASE, search=""),
    "ALTER TABLE directory_org_search DROP COLUMN vis",
]


def _run(statements: list[str]):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for sql in statements:
                schema_editor.execute(sql, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [("directory", "0004_facet_statistics")]

    operations = [migrations.RunPython(_run(FORWARD), _run(REVERSE))]
