"""On PostgreSQL the audit log and every field-history table refuse UPDATE and DELETE at the
database (core/appendonly.py), whichever way they come: ORM or raw SQL. INSERT still works."""

import datetime as dt

import pytest
from django.db import DatabaseError, connection, transaction

from guanxi.core import audit
from guanxi.core.appendonly import append_only_tables, erasure
from guanxi.core.models import AuditEvent, WorkdayOverride

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db]


def refused(fn):
    """Runs fn in a savepoint and returns the database's refusal message."""
    with pytest.raises(DatabaseError) as info, transaction.atomic():
        fn()
    assert "append-only" in str(info.value)
    return str(info.value)


def raw(sql, *params):
    def run():
        with connection.cursor() as cur:
            cur.execute(sql, params)

    return run


@pytest.fixture
def event():
    return audit.record("test.happened", data={"n": 1})


@pytest.fixture
def history_row():
    override = WorkdayOverride.objects.create(date=dt.date(2030, 5, 6), is_workday=True, note="make-up day")
    return override.history.get()


def test_every_append_only_table_has_the_trigger():
    with connection.cursor() as cur:
        cur.execute("SELECT DISTINCT event_object_table FROM information_schema.triggers WHERE trigger_name = 'guanxi_append_only'")
        guarded = {row[0] for row in cur.fetchall()}
    tables = set(append_only_tables())
    assert AuditEvent._meta.db_table in tables
    assert WorkdayOverride.history.model._meta.db_table in tables
    assert tables <= guarded, f"tables without the append-only trigger: {sorted(tables - guarded)}"


def test_audit_event_insert_works(event):
    audit.record("test.happened", data={"n": 2})
    assert AuditEvent.objects.filter(event_type="test.happened").count() == 2


def test_audit_event_update_refused(event):
    refused(lambda: AuditEvent.objects.filter(pk=event.pk).update(event_type="test.forged"))
    event.event_type = "test.forged"
    refused(event.save)
    refused(raw("UPDATE core_auditevent SET data = '{}' WHERE id = %s", event.pk))
    assert AuditEvent.objects.get(pk=event.pk).event_type == "test.happened"


def test_audit_event_delete_refused(event):
    refused(lambda: AuditEvent.objects.filter(pk=event.pk).delete())
    refused(event.delete)
    refused(raw("DELETE FROM core_auditevent WHERE id = %s", event.pk))
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_history_insert_works(history_row):
    override = WorkdayOverride.objects.get(date=dt.date(2030, 5, 6))
    override.note = "changed"
    override.save()
    assert override.history.count() == 2


def test_history_update_refused(history_row):
    model = type(history_row)
    table = model._meta.db_table
    refused(lambda: model.objects.filter(pk=history_row.pk).update(note="forged"))
    history_row.history_source = "forged"
    refused(history_row.save)
    refused(raw(f'UPDATE "{table}" SET note = %s WHERE history_id = %s', "forged", history_row.pk))
    assert model.objects.get(pk=history_row.pk).note == "make-up day"


def test_history_delete_refused(history_row):
    model = type(history_row)
    table = model._meta.db_table
    refused(lambda: model.objects.filter(pk=history_row.pk).delete())
    refused(raw(f'DELETE FROM "{table}" WHERE history_id = %s', history_row.pk))
    assert model.objects.filter(pk=history_row.pk).exists()


# Erasure of personal data (F-SEC-3): inside core.appendonly.erasure() a field-history row may
# have its values blanked, nothing else; the audit log and DELETE stay refused.


def test_history_update_allowed_only_inside_erasure(history_row):
    model = type(history_row)
    with erasure():
        model.objects.filter(pk=history_row.pk).update(note="")
    assert model.objects.get(pk=history_row.pk).note == ""
    refused(lambda: model.objects.filter(pk=history_row.pk).update(note="forged"))  # off again after the block
    assert model.objects.get(pk=history_row.pk).note == ""


def test_history_delete_refused_inside_erasure(history_row):
    model = type(history_row)
    table = model._meta.db_table

    def delete():
        with erasure():
            model.objects.filter(pk=history_row.pk).delete()

    refused(delete)
    refused(lambda: erasure_raw(f'DELETE FROM "{table}" WHERE history_id = %s', history_row.pk))
    assert model.objects.filter(pk=history_row.pk).exists()


def test_erasure_cannot_rewrite_who_when_or_what_kind(history_row):
    model = type(history_row)
    table = model._meta.db_table
    refused(lambda: erasure_raw(f"UPDATE \"{table}\" SET history_date = now() - interval '1 day' WHERE history_id = %s", history_row.pk))
    refused(lambda: erasure_raw(f"UPDATE \"{table}\" SET history_type = '-' WHERE history_id = %s", history_row.pk))
    refused(lambda: erasure_raw(f'UPDATE "{table}" SET history_id = history_id + 1000 WHERE history_id = %s', history_row.pk))
    refused(lambda: erasure_raw(f'UPDATE "{table}" SET id = id + 1000 WHERE history_id = %s', history_row.pk))
    assert model.objects.get(pk=history_row.pk).history_type == "+"


def test_audit_log_refused_inside_erasure(event):
    refused(lambda: erasure_raw("UPDATE core_auditevent SET data = '{}' WHERE id = %s", event.pk))
    refused(lambda: erasure_raw("DELETE FROM core_auditevent WHERE id = %s", event.pk))
    assert AuditEvent.objects.get(pk=event.pk).data == {"n": 1}


def test_erasure_switch_is_off_after_the_block(history_row):
    """erasure() switches the setting on for its block only (transaction-local set_config), so
    whatever follows in the same transaction is append-only again."""
    model = type(history_row)
    with erasure():
        pass
    with connection.cursor() as cur:
        cur.execute("SELECT current_setting('guanxi.erasure', true)")
        assert cur.fetchone()[0] == "off"
    refused(lambda: model.objects.filter(pk=history_row.pk).update(note="forged"))


def erasure_raw(sql, *params):
    with erasure(), connection.cursor() as cur:
        cur.execute(sql, params)
