"""Removing what a batch wrote, so that a reused benchmark database stays comparable between runs.

The import batch adds 100,000 customers and their contacts per run. Deleting them is not
enough: their inserts split pages all over the secondary indexes, and a B-tree never merges
half-empty pages again, so the customer and contact indexes of a database reused for several
runs had grown to two to two and a half times their fresh size and every bare SQL was slower.
The tables the rows leave are therefore rebuilt (REINDEX) after the delete.

The rows go in plain SQL, children first, found through the models' relations: Django's
delete() would load every row, send signals and write a history row each.
"""

from __future__ import annotations

import time

from django.db import connection, models, transaction


def remove_customers(where_sql: str, params: list) -> dict:
    """Delete the customers matching `where_sql` (on the customer table, alias-free) with every
    row that hangs off them, then rebuild the indexes of the tables that lost rows. Returns the
    rows deleted per table and the seconds spent."""
    from guanxi.customers.models import Customer

    started = time.perf_counter()
    deleted: dict[str, int] = {}
    quote = connection.ops.quote_name
    with transaction.atomic(), connection.cursor() as cursor:
        pk = quote(Customer._meta.pk.column)
        selection = f"SELECT {pk} FROM {quote(Customer._meta.db_table)} WHERE {where_sql}"
        _delete(cursor, Customer, selection, params, deleted, path=())
    removed_at = time.perf_counter()
    touched = [table for table, n in deleted.items() if n]
    with connection.cursor() as cursor:
        for table in touched:
            cursor.execute(f"REINDEX TABLE {quote(table)}")
            cursor.execute(f"ANALYZE {quote(table)}")
    return {
        "deleted": {table: n for table, n in deleted.items() if n},
        "delete_s": round(removed_at - started, 1),
        "reindex_s": round(time.perf_counter() - removed_at, 1),
    }


def _delete(cursor, model, selection: str, params: list, deleted: dict, path: tuple) -> None:
    """Delete the rows of `model` whose primary key is in `selection`, children first."""
    quote = connection.ops.quote_name
    path = (*path, model)
    for field in model._meta.many_to_many:  # the model's own many-to-many rows
        through = field.remote_field.through
        _count(
            cursor,
            deleted,
            through,
            f"DELETE FROM {quote(through._meta.db_table)} WHERE {quote(field.m2m_column_name())} IN ({selection})",
            params,
        )
    for rel in model._meta.related_objects:
        child = rel.related_model
        if isinstance(rel, models.ManyToManyRel):  # another model's many-to-many to this one
            through = rel.through
            column = rel.field.m2m_reverse_name()
            _count(cursor, deleted, through, f"DELETE FROM {quote(through._meta.db_table)} WHERE {quote(column)} IN ({selection})", params)
            continue
        column = quote(rel.field.column)
        if rel.on_delete is models.SET_NULL:
            cursor.execute(f"UPDATE {quote(child._meta.db_table)} SET {column} = NULL WHERE {column} IN ({selection})", params)
        elif rel.on_delete in (models.CASCADE, models.PROTECT) and child not in path:
            # PROTECT too: what the batch wrote may be removed whole (a self-reference such as a
            # merge target is left alone, as the rows it names are the batch's own).
            child_selection = f"SELECT {quote(child._meta.pk.column)} FROM {quote(child._meta.db_table)} WHERE {column} IN ({selection})"
            _delete(cursor, child, child_selection, params, deleted, path)
    table = quote(model._meta.db_table)
    _count(cursor, deleted, model, f"DELETE FROM {table} WHERE {quote(model._meta.pk.column)} IN ({selection})", params)


def _count(cursor, deleted: dict, model, sql: str, params: list) -> None:
    cursor.execute(sql, params)
    table = model._meta.db_table
    deleted[table] = deleted.get(table, 0) + max(cursor.rowcount, 0)
