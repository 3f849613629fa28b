"""Tallies of grade levels per unit (models.LevelCount), kept by database triggers on the grade
rows so that a quota check reads a department's few tallies, not tens of thousands of rows.

Why triggers and not the service layer: the grade rows are written by the nightly run's
set-based upsert, by bulk creates, by the customer-transfer signal's queryset update and by
cascading deletes; only the database sees every one of them.

- PostgreSQL: statement-level triggers with transition tables, so the run's million-row upsert
  adds one grouped upsert of the tallies, not a million. The tallies are written in key order
  (a confirmation and a run lock them in the same order, so they cannot deadlock); a TRUNCATE
  of the grade rows empties the tallies.
- SQLite (the small embedded default): row-level triggers.

`recount()` rebuilds the tallies from the rows (the migration's backfill; a repair).
"""

from __future__ import annotations

from django.db import connection

GRADES = "grading_customergrade"
TALLY = "grading_levelcount"

# Rows moved between (unit, scheme, level) keys: +1 for the new, -1 for the old, in key order.
_PG_UPSERT = f"""
    INSERT INTO {TALLY} (unit_id, scheme, level, n)
    SELECT unit_id, scheme, level, sum(d) FROM ({{moved}}) AS moved
    GROUP BY unit_id, scheme, level HAVING sum(d) <> 0 ORDER BY unit_id, scheme, level
    ON CONFLICT (unit_id, scheme, level) DO UPDATE SET n = {TALLY}.n + EXCLUDED.n"""
_NEW = "SELECT unit_id, scheme, level, 1 AS d FROM gx_new"
_OLD = "SELECT unit_id, scheme, level, -1 AS d FROM gx_old"

POSTGRES_INSTALL = [
    f"""CREATE OR REPLACE FUNCTION grading_levelcount_insert() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN {_PG_UPSERT.format(moved=_NEW)}; RETURN NULL; END $$""",
    f"""CREATE OR REPLACE FUNCTION grading_levelcount_update() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN {_PG_UPSERT.format(moved=f"{_OLD} UNION ALL {_NEW}")}; RETURN NULL; END $$""",
    f"""CREATE OR REPLACE FUNCTION grading_levelcount_delete() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN {_PG_UPSERT.format(moved=_OLD)}; RETURN NULL; END $$""",
    f"""CREATE OR REPLACE FUNCTION grading_levelcount_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN DELETE FROM {TALLY}; RETURN NULL; END $$""",
    f"""CREATE TRIGGER grading_levelcount_insert AFTER INSERT ON {GRADES}
    REFERENCING NEW TABLE AS gx_new FOR EACH STATEMENT EXECUTE FUNCTION grading_levelcount_insert()""",
    f"""CREATE TRIGGER grading_levelcount_update AFTER UPDATE ON {GRADES}
    REFERENCING OLD TABLE AS gx_old NEW TABLE AS gx_new FOR EACH STATEMENT EXECUTE FUNCTION grading_levelcount_update()""",
    f"""CREATE TRIGGER grading_levelcount_delete AFTER DELETE ON {GRADES}
    REFERENCING OLD TABLE AS gx_old FOR EACH STATEMENT EXECUTE FUNCTION grading_levelcount_delete()""",
    f"""CREATE TRIGGER grading_levelcount_truncate AFTER TRUNCATE ON {GRADES}
    FOR EACH STATEMENT EXECUTE FUNCTION grading_levelcount_truncate()""",
]
POSTGRES_REMOVE = [
    *(f"DROP TRIGGER IF EXISTS grading_levelcount_{op} ON {GRADES}" for op in ("insert", "update", "delete", "truncate")),
    *(f"DROP FUNCTION IF EXISTS grading_levelcount_{op}()" for op in ("insert", "update", "delete", "truncate")),
]

_SQLITE_ADD = f"""INSERT INTO {TALLY} (unit_id, scheme, level, n) VALUES (NEW.unit_id, NEW.scheme, NEW.level, 1)
    ON CONFLICT (unit_id, scheme, level) DO UPDATE SET n = n + 1;"""
_SQLITE_TAKE = f"""UPDATE {TALLY} SET n = n - 1
    WHERE unit_id = OLD.unit_id AND scheme = OLD.scheme AND level = OLD.level;"""
SQLITE_INSTALL = [
    f"CREATE TRIGGER grading_levelcount_insert AFTER INSERT ON {GRADES} BEGIN {_SQLITE_ADD} END",
    f"""CREATE TRIGGER grading_levelcount_update AFTER UPDATE OF unit_id, scheme, level ON {GRADES}
    WHEN OLD.unit_id IS NOT NEW.unit_id OR OLD.scheme IS NOT NEW.scheme OR OLD.level IS NOT NEW.level
    BEGIN {_SQLITE_TAKE} {_SQLITE_ADD} END""",
    f"CREATE TRIGGER grading_levelcount_delete AFTER DELETE ON {GRADES} BEGIN {_SQLITE_TAKE} END",
]
SQLITE_REMOVE = [f"DROP TRIGGER IF EXISTS grading_levelcount_{op}" for op in ("insert", "update", "delete")]


def _statements(install: bool, vendor: str) -> list[str]:
    if vendor == "postgresql":
        return POSTGRES_INSTALL if install else POSTGRES_REMOVE
    if vendor == "sqlite":
        return SQLITE_INSTALL if install else SQLITE_REMOVE
    raise NotImplementedError(f"grade tallies need triggers written for {vendor}")


def install(schema_editor) -> None:
    for sql in _statements(True, schema_editor.connection.vendor):
        schema_editor.execute(sql, params=None)
    recount(schema_editor.connection)


def remove(schema_editor) -> None:
    for sql in _statements(False, schema_editor.connection.vendor):
        schema_editor.execute(sql, params=None)


def recount(conn=None) -> None:
    """The tallies rebuilt from the grade rows (in the caller's transaction)."""
    conn = conn or connection
    with conn.cursor() as cur:
        cur.execute(f"DELETE FROM {TALLY}")
        cur.execute(
            f"INSERT INTO {TALLY} (unit_id, scheme, level, n) "
            f"SELECT unit_id, scheme, level, count(*) FROM {GRADES} GROUP BY unit_id, scheme, level"
        )
