"""Append-only tables on PostgreSQL: the audit log and every field-history table refuse UPDATE
and DELETE at the database, whatever code (or person with psql) tries."""

from django.apps import apps
from django.db import connections

FUNCTION_SQL = """
CREATE OR REPLACE FUNCTION guanxi_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'table % is append-only: % refused', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'insufficient_privilege';
END $$;
"""


def append_only_tables() -> list[str]:
    tables = [apps.get_model("core", "AuditEvent")._meta.db_table]
    for model in apps.get_models():
        if model.__name__.startswith("Historical") and hasattr(model, "history_type"):
            tables.append(model._meta.db_table)
    return tables


def install_triggers(using="default", **kwargs):
    conn = connections[using]
    if conn.vendor != "postgresql":
        return
    existing = set(conn.introspection.table_names())
    with conn.cursor() as cur:
        cur.execute(FUNCTION_SQL)
        for table in append_only_tables():
            if table in existing:
                cur.execute(
                    f'CREATE OR REPLACE TRIGGER guanxi_append_only BEFORE UPDATE OR DELETE ON "{table}" '
                    "FOR EACH ROW EXECUTE FUNCTION guanxi_refuse_change()"
                )
