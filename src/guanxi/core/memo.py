"""Small per-process memos for values that are the same for many requests (a menu, an option
list under its version): built on first use, and the whole store is emptied when it fills up,
since only a few keys are ever live at once."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import TypeVar

T = TypeVar("T")
LIMIT = 256


def remember(store: dict, key: Hashable, build: Callable[[], T], limit: int = LIMIT) -> T:
    value = store.get(key)
    if value is None:
        value = build()
        if len(store) >= limit:
            store.clear()
        store[key] = value
    return value
