"""Append-only tables on PostgreSQL: the audit log and every field-history table refuse UPDATE
and DELETE at the database, whatever code (or person with psql) tries.

One exception, for the erasure of personal data (F-SEC-3): a field-history table (never the
audit log) accepts an UPDATE inside a transaction that has set
`SELECT set_config('guanxi.erasure', 'on', true)` (i.e. `SET LOCAL guanxi.erasure = 'on'`), and
even then the row's identity and its who/when/what-kind columns must stay as they were, so only
the recorded values can be blanked. DELETE is refused always. See `erasure()` below and
customers.privacy.erase_contact."""

from contextlib import contextmanager

from django.apps import apps
from django.db import connections, transaction

ERASABLE = "erasable"

# The trigger gets the argument 'erasable' on field-history tables only.
FUNCTION_SQL = """
CREATE OR REPLACE FUNCTION guanxi_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  new_row jsonb;
  old_row jsonb;
BEGIN
  IF TG_OP = 'UPDATE' AND TG_NARGS > 0 AND TG_ARGV[0] = 'erasable'
     AND coalesce(current_setting('guanxi.erasure', true), '') = 'on' THEN
    new_row := to_jsonb(NEW);
    old_row := to_jsonb(OLD);
    IF new_row -> 'history_id' IS NOT DISTINCT FROM old_row -> 'history_id'
       AND new_row -> 'history_date' IS NOT DISTINCT FROM old_row -> 'history_date'
       AND new_row -> 'history_type' IS NOT DISTINCT FROM old_row -> 'history_type'
       AND new_row -> 'history_user_id' IS NOT DISTINCT FROM old_row -> 'history_user_id'
       AND new_row -> 'id' IS NOT DISTINCT FROM old_row -> 'id' THEN
      RETURN NEW;
    END IF;
  END IF;
  RAISE EXCEPTION 'table % is append-only: % refused', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'insufficient_privilege';
END $$;
"""


def audit_tables() -> list[str]:
    return [apps.get_model("core", "AuditEvent")._meta.db_table]


def history_tables() -> list[str]:
    return [
        model._meta.db_table for model in apps.get_models() if model.__name__.startswith("Historical") and hasattr(model, "history_type")
    ]


def append_only_tables() -> list[str]:
    return audit_tables() + history_tables()


def install_triggers(using="default", **kwargs):
    conn = connections[using]
    if conn.vendor != "postgresql":
        return
    existing = set(conn.introspection.table_names())
    erasable = set(history_tables())
    with conn.cursor() as cur:
        cur.execute(FUNCTION_SQL)
        for table in append_only_tables():
            if table in existing:
                arg = f"'{ERASABLE}'" if table in erasable else ""
                cur.execute(
                    f'CREATE OR REPLACE TRIGGER guanxi_append_only BEFORE UPDATE OR DELETE ON "{table}" '
                    f"FOR EACH ROW EXECUTE FUNCTION guanxi_refuse_change({arg})"
                )


@contextmanager
def erasure(using="default"):
    """Lets field-history rows be updated so that personal values can be blanked, for the
    duration of the block only. The block runs in its own transaction or savepoint, so an error
    inside rolls back both the changes and the setting. Nothing to switch on SQLite (no trigger)."""
    conn = connections[using]
    with transaction.atomic(using=using):
        if conn.vendor != "postgresql":
            yield
            return
        with conn.cursor() as cur:
            cur.execute("SELECT set_config('guanxi.erasure', 'on', true)")
        yield
        with conn.cursor() as cur:
            cur.execute("SELECT set_config('guanxi.erasure', 'off', true)")
