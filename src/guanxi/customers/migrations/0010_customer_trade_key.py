"""Customer.trade_key: the trade name 字号 (customers.normalize.trade_key) for the live "similar
name" duplicate check, with one B-tree index.

The column is added, filled in chunks of 20,000 ids (computed in Python: the key needs the
normaliser; on PostgreSQL one UPDATE … FROM unnest(ids, keys) per chunk, elsewhere bulk_update),
then indexed (so the fill does not maintain the index). Not atomic: each chunk commits on its
own, so a million-row table is not locked for the whole fill; on PostgreSQL the table is
vacuumed and analysed afterwards (every row was rewritten). If the fill is interrupted, the
column stays without the migration being recorded: drop the column
(`ALTER TABLE customers_customer DROP COLUMN trade_key`) and migrate again.
"""

from django.db import migrations, models, transaction
from django.db.models import Max, Min

CHUNK = 20_000


def fill_trade_keys(apps, schema_editor):
    from guanxi.customers.normalize import trade_key

    Customer = apps.get_model("customers", "Customer")
    connection = schema_editor.connection
    alias = connection.alias
    table = connection.ops.quote_name(Customer._meta.db_table)
    manager = Customer.objects.using(alias)
    bounds = manager.aggregate(lo=Min("id"), hi=Max("id"))
    if bounds["lo"] is None:
        return
    for start in range(bounds["lo"], bounds["hi"] + 1, CHUNK):
        rows = manager.filter(id__gte=start, id__lt=start + CHUNK).values_list("id", "name", "trade_key")
        changed = [(pk, key) for pk, name, old in rows.iterator(chunk_size=CHUNK) if (key := trade_key(name)) != old]
        if not changed:
            continue
        with transaction.atomic(using=alias):
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute(
                        f"UPDATE {table} AS c SET trade_key = v.k FROM unnest(%s::bigint[], %s::text[]) AS v(id, k) WHERE c.id = v.id",
                        [[pk for pk, _k in changed], [k for _pk, k in changed]],
                    )
            else:
                manager.bulk_update([Customer(id=pk, trade_key=k) for pk, k in changed], ["trade_key"], batch_size=500)
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM (ANALYZE) {table}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("customers", "0009_category_name_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="customer",
            name="trade_key",
            field=models.CharField(blank=True, default="", editable=False, max_length=200),
        ),
        migrations.RunPython(fill_trade_keys, migrations.RunPython.noop, elidable=True),
        migrations.AddIndex(
            model_name="customer",
            index=models.Index(fields=["trade_key"], name="customer_trade_key_idx"),
        ),
    ]
