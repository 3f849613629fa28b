"""Trigram (pg_trgm) GIN indexes for substring search on the customer name key and pinyin
(customers.search, customers.duplicates) — PostgreSQL only; nothing happens on SQLite, where
equality and prefix lookups use the ordinary indexes."""

from django.db import migrations


class PostgresOnlySQL(migrations.RunSQL):
    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):
    dependencies = [("customers", "0002_records_data")]

    operations = [
        PostgresOnlySQL("CREATE EXTENSION IF NOT EXISTS pg_trgm", migrations.RunSQL.noop),
        PostgresOnlySQL(
            "CREATE INDEX IF NOT EXISTS customer_name_key_trgm ON customers_customer USING gin (name_key gin_trgm_ops)",
            "DROP INDEX IF EXISTS customer_name_key_trgm",
        ),
        PostgresOnlySQL(
            "CREATE INDEX IF NOT EXISTS customer_pinyin_trgm ON customers_customer USING gin (pinyin gin_trgm_ops)",
            "DROP INDEX IF EXISTS customer_pinyin_trgm",
        ),
    ]
