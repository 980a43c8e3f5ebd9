"""Search index of organisations: FTS5 (SQLite) or tsvector + GIN (PostgreSQL), facet rows.

The tables are filled by corridor.directory.search.reindex_organisations; triggers drop the
rows of a deleted organisation on both databases.
"""

from django.db import migrations

SQLITE = [
    "CREATE VIRTUAL TABLE directory_org_fts USING fts5(name, body, tokenize='ascii', prefix='3')",
    """CREATE TABLE directory_org_facet (
        org_id integer NOT NULL, facet varchar(10) NOT NULL, value varchar(40) NOT NULL,
        label varchar(200) NOT NULL DEFAULT '', until date NULL)""",
    "CREATE INDEX directory_org_facet_value ON directory_org_facet (facet, value, until, org_id)",
    "CREATE INDEX directory_org_facet_org ON directory_org_facet (org_id, facet, value, until)",
    "CREATE TABLE directory_search_meta (key varchar(40) PRIMARY KEY, value integer NOT NULL)",
    "INSERT INTO directory_search_meta (key, value) VALUES ('generation', 1)",
    "CREATE INDEX directory_org_name_id ON directory_organisation (name, id)",
    """CREATE TRIGGER directory_org_search_delete AFTER DELETE ON directory_organisation BEGIN
        DELETE FROM directory_org_fts WHERE rowid = old.id;
        DELETE FROM directory_org_facet WHERE org_id = old.id;
    END""",
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS directory_org_search_delete",
    "DROP INDEX IF EXISTS directory_org_name_id",
    "DROP TABLE IF EXISTS directory_search_meta",
    "DROP TABLE IF EXISTS directory_org_facet",
    "DROP TABLE IF EXISTS directory_org_fts",
]
POSTGRES = [
    """CREATE TABLE directory_org_search (
        org_id bigint PRIMARY KEY, tsv tsvector NOT NULL)""",
    "CREATE INDEX directory_org_search_tsv ON directory_org_search USING gin (tsv)",
    """CREATE TABLE directory_org_facet (
        org_id bigint NOT NULL, facet varchar(10) NOT NULL, value varchar(40) NOT NULL,
        label varchar(200) NOT NULL DEFAULT '', until date NULL)""",
    "CREATE INDEX directory_org_facet_value ON directory_org_facet (facet, value, until, org_id)",
    "CREATE INDEX directory_org_facet_org ON directory_org_facet (org_id, facet, value, until)",
    "CREATE TABLE directory_search_meta (key varchar(40) PRIMARY KEY, value integer NOT NULL)",
    "INSERT INTO directory_search_meta (key, value) VALUES ('generation', 1)",
    "CREATE INDEX directory_org_name_id ON directory_organisation (name, id)",
    """CREATE FUNCTION directory_org_search_delete() RETURNS trigger AS $$
    BEGIN
        DELETE FROM directory_org_search WHERE org_id = OLD.id;
        DELETE FROM directory_org_facet WHERE org_id = OLD.id;
        RETURN OLD;
    END $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER directory_org_search_delete AFTER DELETE ON directory_organisation
        FOR EACH ROW EXECUTE FUNCTION directory_org_search_delete()""",
]
POSTGRES_REVERSE = [
    "DROP TRIGGER IF EXISTS directory_org_search_delete ON directory_organisation",
    "DROP FUNCTION IF EXISTS directory_org_search_delete()",
    "DROP INDEX IF EXISTS directory_org_name_id",
    "DROP TABLE IF EXISTS directory_search_meta",
    "DROP TABLE IF EXISTS directory_org_facet",
    "DROP TABLE IF EXISTS directory_org_search",
]


def _run(statements):
    def run(apps, schema_editor):
        vendor = schema_editor.connection.vendor
        for sql in statements.get(vendor, []):
            schema_editor.execute(sql, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [("directory", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE, "postgresql": POSTGRES}),
            _run({"sqlite": SQLITE_REVERSE, "postgresql": POSTGRES_REVERSE}),
        )
    ]
