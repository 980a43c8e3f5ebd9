"""The organisation's name on each of its facet rows, and an index that walks a facet value's
rows in name order (`search.named_page`).

A page of a filtered directory is in name order. Walking the organisations' name index and
testing each against the filter is fast only when the matches are spread evenly over the
names; they are not (a country's names share a script and its words: 17,509 names walked for
the first 20 Thai organisations with products of chapter 10, 90 ms at 100,000), and sorting
every match by name costs as much. Walking one facet value's own rows in name order, testing
the other filters per row, finds the first page among a few dozen rows (0.4 ms instead of 90).
On a large PostgreSQL directory run `VACUUM ANALYZE directory_org_facet` after this migration,
so that the walk reads the index alone.
"""

from django.db import migrations

FORWARD = [
    "ALTER TABLE directory_org_facet ADD COLUMN name varchar(100) NOT NULL DEFAULT ''",
    """UPDATE directory_org_facet SET name = COALESCE((
        SELECT o.name FROM directory_organisation o WHERE o.id = directory_org_facet.org_id), '')""",
    """CREATE INDEX directory_org_facet_named ON directory_org_facet
        (facet, value, name, org_id, vis, until)""",
]
BACKWARD = [
    "DROP INDEX IF EXISTS directory_org_facet_named",
    "ALTER TABLE directory_org_facet DROP COLUMN name",
]


class Migration(migrations.Migration):
    dependencies = [("directory", "0010_search_names_index")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
