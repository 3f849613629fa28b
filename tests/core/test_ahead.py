"""Statements sent ahead (core.ahead): on PostgreSQL the statement runs while Python goes on,
its result or its error arrives where it is read, and the connection always leaves pipeline
mode; elsewhere it simply runs when read."""

from __future__ import annotations

import logging

import psycopg
import pytest
from django.db import DatabaseError, connection, transaction

from guanxi.core import ahead

pytestmark = pytest.mark.django_db


def _in_pipeline() -> bool:
    return connection.vendor == "postgresql" and connection.connection is not None and connection.connection._pipeline is not None


def _other_connection():
    settings = connection.get_connection_params()
    settings.pop("cursor_factory", None)
    settings.pop("context", None)
    return psycopg.connect(**settings, autocommit=True)


@pytest.mark.postgres_only
def test_the_statement_runs_before_it_is_read():
    pending = ahead.send("SELECT pg_sleep(0.6), %s::int AS marker_ahead_test", [42])
    assert _in_pipeline()
    with _other_connection() as other:  # the server is running it already
        running = other.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query LIKE %s AND pid <> pg_backend_pid()",
            ["%marker_ahead_test%"],
        ).fetchone()[0]
    assert running == 1
    assert pending.fetchall() == [("", 42)]
    assert not _in_pipeline()
    with connection.cursor() as cursor:  # and the connection goes on as before
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)


@pytest.mark.postgres_only
def test_queries_in_between_still_work():
    pending = ahead.send("SELECT %s::int", [7])
    with connection.cursor() as cursor:
        cursor.execute("SELECT %s::int", [8])
        assert cursor.fetchone() == (8,)
    assert pending.fetchall() == [(7,)]
    assert not _in_pipeline()


@pytest.mark.postgres_only
def test_an_error_arrives_where_the_rows_are_read():
    with pytest.raises(DatabaseError, match="division by zero"), transaction.atomic():
        ahead.send("SELECT 1 / %s::int", [0]).fetchall()
    assert not _in_pipeline()
    with connection.cursor() as cursor:
        cursor.execute("SELECT 2")
        assert cursor.fetchone() == (2,)


@pytest.mark.postgres_only
def test_a_statement_never_read_is_closed_at_the_end_of_the_request(caplog):
    from django.core.signals import request_finished

    assert any(getattr(receiver(), "__name__", "") == "close_pending" for _key, receiver, *_ in request_finished.receivers)
    sid = transaction.savepoint()
    ahead.send("SELECT 1 / %s::int", [0])
    assert _in_pipeline()
    with caplog.at_level(logging.WARNING, logger="guanxi.core.ahead"):
        ahead.close_pending()
    transaction.savepoint_rollback(sid)
    assert not _in_pipeline()
    assert "failed" in caplog.text
    with connection.cursor() as cursor:
        cursor.execute("SELECT 3")
        assert cursor.fetchone() == (3,)


@pytest.mark.postgres_only
def test_a_second_statement_closes_the_first():
    first = ahead.send("SELECT %s::int", [1])
    second = ahead.send("SELECT %s::int", [2])
    assert second.fetchall() == [(2,)]
    assert first.fetchall() == [(1,)]  # run again when read
    assert not _in_pipeline()


def test_without_pipelines_it_runs_when_read(django_assert_num_queries, monkeypatch):
    """SQLite, or a libpq without pipeline mode."""
    if connection.vendor == "postgresql":
        monkeypatch.setattr(ahead, "_can_pipeline", lambda conn: False)
    with django_assert_num_queries(0):
        pending = ahead.send("SELECT %s", [5])
    with django_assert_num_queries(1):
        assert [tuple(row) for row in pending.fetchall()] == [(5,)]
    assert not _in_pipeline()
