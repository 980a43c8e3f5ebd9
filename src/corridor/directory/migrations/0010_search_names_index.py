"""PostgreSQL: a GIN index of the names' lexemes of each search row (weight A), for the first
tier of a text search (`search.TextQuery.tiers`): the organisations named for the words.

The index is on an expression of the existing tsvector, so that nothing else is written when an
organisation is indexed. Matching the names through the whole row's index would read every
match's tsvector to check its weights, as much as ranking them. SQLite's FTS5 table has the
names in a column of their own already.
"""

from django.db import migrations

INDEX = "directory_org_search_names"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON directory_org_search "
            "USING gin (ts_filter(tsv, '{a}'))"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("directory", "0009_fts_visibility")]

    operations = [migrations.RunPython(create, drop)]
