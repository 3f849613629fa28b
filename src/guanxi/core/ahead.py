"""Queries sent ahead: a page's main statement goes to PostgreSQL first and is read when the
template reaches the rows, so the database works while Python renders the page shell and the
filter form (what Rails calls `load_async`).

It runs on the request's own connection in psycopg's pipeline mode: the statement is sent and
the server starts at once; reading the result waits only for what is left. Being the same
connection it sees the same transaction (a test's, or ATOMIC_REQUESTS), which a second
connection in a thread would not. Any other query in between still works — it is queued
behind this one and simply waits for it.

Elsewhere (SQLite, a psycopg without pipeline support) the statement runs when it is read.
A statement never read is closed at the end of the request (`close_pending`, connected to
request_finished in CoreConfig.ready), so the connection never stays in pipeline mode.
"""

from __future__ import annotations

import logging
import time
from contextvars import ContextVar

from django.db import DEFAULT_DB_ALIAS, connections

log = logging.getLogger(__name__)

# The request's SQL time (ServerTimingMiddleware): the wait for a result read here counts too.
SQL_TIMER: ContextVar[dict | None] = ContextVar("guanxi_sql_timer", default=None)

_PENDING_ATTR = "_guanxi_pending"


def _can_pipeline(conn) -> bool:
    if conn.vendor != "postgresql":
        return False
    try:
        from psycopg import Pipeline
    except ImportError:
        return False
    return Pipeline.is_supported()


class Pending:
    """One statement's rows, sent now (PostgreSQL) and read by `fetchall()`."""

    def __init__(self, sql: str, params, using: str = DEFAULT_DB_ALIAS):
        self.sql, self.params, self.using = sql, params, using
        self._rows: list[tuple] | None = None
        self._cursor = None
        self._pipeline = None
        conn = connections[using]
        if not _can_pipeline(conn):
            return
        close_pending(using=using)  # one statement ahead per connection
        conn.ensure_connection()
        self._pipeline = conn.connection.pipeline()
        self._pipeline.__enter__()
        try:
            self._cursor = conn.cursor()
            self._cursor.execute(sql, params)
        except BaseException:
            self.close()
            raise
        setattr(conn, _PENDING_ATTR, self)

    def fetchall(self) -> list[tuple]:
        if self._rows is not None:
            return self._rows
        if self._pipeline is None:  # not sent ahead (or closed unread): run it now
            with connections[self.using].cursor() as cursor:
                cursor.execute(self.sql, self.params)
                self._rows = cursor.fetchall()
            return self._rows
        started = time.perf_counter()
        try:
            self._rows = self._cursor.fetchall()
        finally:
            self.close()
            timer = SQL_TIMER.get()
            if timer is not None:
                timer["t"] += time.perf_counter() - started
        return self._rows

    def close(self) -> None:
        """Leave pipeline mode. A failed statement raises where it is read (fetchall); one
        never read is only logged here."""
        pipeline, self._pipeline = self._pipeline, None
        conn = connections[self.using]
        if getattr(conn, _PENDING_ATTR, None) is self:
            delattr(conn, _PENDING_ATTR)
        cursor, self._cursor = self._cursor, None
        try:
            if pipeline is not None:
                pipeline.__exit__(None, None, None)
        except Exception:  # psycopg leaves pipeline mode whatever the error
            log.warning("A statement sent ahead failed: %s", self.sql[:200], exc_info=True)
        finally:
            if cursor is not None:
                cursor.close()


def send(sql: str, params, using: str = DEFAULT_DB_ALIAS) -> Pending:
    return Pending(sql, params, using)


def close_pending(sender=None, using: str | None = None, **kwargs) -> None:
    """Close a statement sent ahead and never read (the page failed before its rows)."""
    for conn in [connections[using]] if using else connections.all(initialized_only=True):
        pending = getattr(conn, _PENDING_ATTR, None)
        if pending is not None:
            pending.close()
