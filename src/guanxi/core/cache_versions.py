"""Cache keys that a change must invalidate across processes.

A *version* is a random token in the shared cache; keys built with it go stale the moment it
is replaced. Replacing (or forgetting keys) happens at once, for the rest of the changing
request, and again at commit, so a request that read the old rows in between cannot keep a
stale copy under the new token.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

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
    transaction.on_commit(lambda: cache.delete_many(keys))


def bump(key: str) -> None:
    """Replaces the version under `key` (every key built on it goes stale)."""
    forget([key])
