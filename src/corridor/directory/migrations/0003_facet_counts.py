"""Facet counts kept up to date by triggers, per visibility, for the unfiltered directory.

`directory_org_facet.vis` says who sees the organisation of a facet row: 2 everybody
(published), 1 its own people and staff (unpublished), 0 nobody (merged into another profile).
Triggers on the organisation table keep it in step with `is_published` and `merged_into` (and
bump the index generation, which keys cached counts), so a publish or a merge is reflected even
when the code that made it does not reindex.

`directory_facet_count` holds, per (vis, facet, value, expiry), how many facet rows exist;
triggers on the facet table maintain it, so the browse page reads about a hundred rows instead
of counting a hundred thousand organisations. Rows whose count fell to zero stay (the set of
values is small) and are skipped by the readers.
"""

from django.db import migrations

VIS = "CASE WHEN o.merged_into_id IS NOT NULL THEN 0 WHEN o.is_published THEN 2 ELSE 1 END"
COMMON = [
    "ALTER TABLE directory_org_facet ADD COLUMN vis smallint NOT NULL DEFAULT 2",
    f"""UPDATE directory_org_facet SET vis = (
        SELECT {VIS} FROM directory_organisation o WHERE o.id = directory_org_facet.org_id)
        WHERE EXISTS (SELECT 1 FROM directory_organisation o
                      WHERE o.id = directory_org_facet.org_id)""",
    """CREATE TABLE directory_facet_count (
        vis smallint NOT NULL, facet varchar(10) NOT NULL, value varchar(40) NOT NULL,
        until varchar(10) NOT NULL DEFAULT '', label varchar(200) NOT NULL DEFAULT '',
        n integer NOT NULL, PRIMARY KEY (vis, facet, value, until))""",
    # Selecting ids by facet value and audience from the index alone; reading an
    # organisation's facet rows with its visibility without touching the table.
    "CREATE INDEX directory_org_facet_select ON directory_org_facet (facet, value, vis, org_id)",
    "DROP INDEX directory_org_facet_org",
    """CREATE INDEX directory_org_facet_org ON directory_org_facet
        (org_id, facet, vis, value, until)""",
    # Sorting a page of matching ids by name without reading the wide organisation rows.
    "CREATE INDEX directory_org_id_name ON directory_organisation (id, name)",
    # Counting the visible organisations of the unfiltered directory from an index.
    """CREATE INDEX directory_org_visible ON directory_organisation
        (is_published, merged_into_id)""",
]
FILL = """INSERT INTO directory_facet_count (vis, facet, value, until, label, n)
    SELECT vis, facet, value, COALESCE({until}, ''), MAX(label), COUNT(*)
    FROM directory_org_facet GROUP BY vis, facet, value, COALESCE({until}, '')"""

SQLITE = [
    *COMMON,
    FILL.format(until="until"),
    """CREATE TRIGGER directory_org_facet_insert AFTER INSERT ON directory_org_facet BEGIN
        INSERT INTO directory_facet_count (vis, facet, value, until, label, n)
        VALUES (new.vis, new.facet, new.value, COALESCE(new.until, ''), new.label, 1)
        ON CONFLICT (vis, facet, value, until) DO UPDATE SET n = n + 1, label = excluded.label;
    END""",
    """CREATE TRIGGER directory_org_facet_delete AFTER DELETE ON directory_org_facet BEGIN
        UPDATE directory_facet_count SET n = n - 1 WHERE vis = old.vis AND facet = old.facet
            AND value = old.value AND until = COALESCE(old.until, '');
    END""",
    """CREATE TRIGGER directory_org_facet_vis AFTER UPDATE OF vis ON directory_org_facet
    WHEN old.vis != new.vis BEGIN
        UPDATE directory_facet_count SET n = n - 1 WHERE vis = old.vis AND facet = old.facet
            AND value = old.value AND until = COALESCE(old.until, '');
        INSERT INTO directory_facet_count (vis, facet, value, until, label, n)
        VALUES (new.vis, new.facet, new.value, COALESCE(new.until, ''), new.label, 1)
        ON CONFLICT (vis, facet, value, until) DO UPDATE SET n = n + 1;
    END""",
    """CREATE TRIGGER directory_org_search_vis
    AFTER UPDATE OF is_published, merged_into_id ON directory_organisation
    WHEN old.is_published IS NOT new.is_published OR old.merged_into_id IS NOT new.merged_into_id
    BEGIN
        UPDATE directory_org_facet SET vis = CASE WHEN new.merged_into_id IS NOT NULL THEN 0
            WHEN new.is_published THEN 2 ELSE 1 END WHERE org_id = new.id;
        UPDATE directory_search_meta SET value = value + 1 WHERE key = 'generation';
    END""",
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS directory_org_search_vis",
    "DROP TRIGGER IF EXISTS directory_org_facet_vis",
    "DROP TRIGGER IF EXISTS directory_org_facet_delete",
    "DROP TRIGGER IF EXISTS directory_org_facet_insert",
    "DROP TABLE IF EXISTS directory_facet_count",
    "DROP INDEX IF EXISTS directory_org_visible",
    "DROP INDEX IF EXISTS directory_org_id_name",
    "DROP INDEX IF EXISTS directory_org_facet_select",
    "DROP INDEX IF EXISTS directory_org_facet_org",
    "ALTER TABLE directory_org_facet DROP COLUMN vis",
    "CREATE INDEX directory_org_facet_org ON directory_org_facet (org_id, facet, value, until)",
]
POSTGRES = [
    *COMMON,
    FILL.format(until="until::text"),
    """CREATE FUNCTION directory_facet_count_add(v smallint, f varchar, val varchar, u date,
        lbl varchar, d integer) RETURNS void AS $$
    BEGIN
        INSERT INTO directory_facet_count (vis, facet, value, until, label, n)
        VALUES (v, f, val, COALESCE(u::text, ''), lbl, d)
        ON CONFLICT (vis, facet, value, until) DO UPDATE
            SET n = directory_facet_count.n + d,
                label = CASE WHEN d > 0 THEN EXCLUDED.label ELSE directory_facet_count.label END;
    END $$ LANGUAGE plpgsql""",
    # A bulk reindex sets corridor.bulk_index and recounts once at the end: updating the same
    # few count rows a million times in one transaction leaves a million dead row versions.
    """CREATE FUNCTION directory_org_facet_count() RETURNS trigger AS $$
    BEGIN
        IF current_setting('corridor.bulk_index', true) = 'on' THEN
            RETURN NULL;
        END IF;
        IF TG_OP IN ('DELETE', 'UPDATE') THEN
            PERFORM directory_facet_count_add(OLD.vis, OLD.facet, OLD.value, OLD.until,
                                              OLD.label, -1);
        END IF;
        IF TG_OP IN ('INSERT', 'UPDATE') THEN
            PERFORM directory_facet_count_add(NEW.vis, NEW.facet, NEW.value, NEW.until,
                                              NEW.label, 1);
        END IF;
        RETURN NULL;
    END $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER directory_org_facet_count
    AFTER INSERT OR DELETE OR UPDATE OF vis ON directory_org_facet
    FOR EACH ROW EXECUTE FUNCTION directory_org_facet_count()""",
    """CREATE FUNCTION directory_org_search_vis() RETURNS trigger AS $$
    BEGIN
        UPDATE directory_org_facet SET vis = CASE WHEN NEW.merged_into_id IS NOT NULL THEN 0
            WHEN NEW.is_published THEN 2 ELSE 1 END
        WHERE org_id = NEW.id;
        UPDATE directory_search_meta SET value = value + 1 WHERE key = 'generation';
        RETURN NULL;
    END $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER directory_org_search_vis
    AFTER UPDATE OF is_published, merged_into_id ON directory_organisation
    FOR EACH ROW WHEN (OLD.is_published IS DISTINCT FROM NEW.is_published
                       OR OLD.merged_into_id IS DISTINCT FROM NEW.merged_into_id)
    EXECUTE FUNCTION directory_org_search_vis()""",
]
POSTGRES_REVERSE = [
    "DROP TRIGGER IF EXISTS directory_org_search_vis ON directory_organisation",
    "DROP FUNCTION IF EXISTS directory_org_search_vis()",
    "DROP TRIGGER IF EXISTS directory_org_facet_count ON directory_org_facet",
    "DROP FUNCTION IF EXISTS directory_org_facet_count()",
    "DROP FUNCTION IF EXISTS directory_facet_count_add(smallint, varchar, varchar, date, varchar,"
    " integer)",
    "DROP TABLE IF EXISTS directory_facet_count",
    "DROP INDEX IF EXISTS directory_org_visible",
    "DROP INDEX IF EXISTS directory_org_id_name",
    "DROP INDEX IF EXISTS directory_org_facet_select",
    "DROP INDEX IF EXISTS directory_org_facet_org",
    "ALTER TABLE directory_org_facet DROP COLUMN vis",
    "CREATE INDEX directory_org_facet_org ON directory_org_facet (org_id, facet, value, until)",
]


def _run(statements):
    def run(apps, schema_editor):
        vendor = schema_editor.connection.vendor
        for sql in statements.get(vendor, []):
            schema_editor.execute(sql, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [("directory", "0002_search_index")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE, "postgresql": POSTGRES}),
            _run({"sqlite": SQLITE_REVERSE, "postgresql": POSTGRES_REVERSE}),
        )
    ]
