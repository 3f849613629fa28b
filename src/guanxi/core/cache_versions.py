"""Cache keys that a change must invalidate across processes.

A *version* is a random token in the shared cache; keys built with it go stale the moment it
is replaced. Replacing (or forgetting keys) happens at once, for the rest of the changing
request, and again at commit, so a request that read the old rows in between cannot keep a
stale copy under the new token.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from contextvars import ContextVar

from django.core.cache import cache
from django.db import transaction


def current(key: str) -> str:
    """The version stored under `key`, created on first use."""
    version = cache.get(key)
    if version is None:
        cache.add(key, uuid.uuid4().hex, None)
        version = cache.get(key)
    return version


def current_many(keys: list[str]) -> dict[str, str]:
    """`current()` of several keys with one cache round trip when they all exist."""
    found = cache.get_many(keys)
    for key in keys:
        if found.get(key) is None:
            found[key] = current(key)
    return found


def forget(keys: Iterable[str]) -> None:
    """Deletes `keys` now and again when the current transaction commits."""
    keys = list(keys)
    cache.delete_many(keys)
    kept = _read_along.get()
    if kept:
        for key in keys:
            kept.pop(key, None)
    transaction.on_commit(lambda: cache.delete_many(keys))


def bump(key: str) -> None:
    """Replaces the version under `key` (every key built on it goes stale)."""
    forget([key])


# Values read at the start of a request in the same round trip as another key (the signed-in
# user's row brings the user's unread count along): kept for the request, dropped by forget()
# as the cached value is, and cleared when the request ends.
_read_along: ContextVar[dict | None] = ContextVar("guanxi_read_along", default=None)


def keep_read_along(values: dict) -> None:
    _read_along.set(dict(values))


def read_along(key: str):
    """The value of `key` read at the start of this request, or None."""
    kept = _read_along.get()
    return kept.get(key) if kept else None


def clear_read_along() -> None:
    _read_along.set(None)
