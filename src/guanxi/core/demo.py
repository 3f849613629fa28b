"""Demo-data registry: each app registers a builder; `manage.py demo --seed N` runs them in order.

A builder is `fn(rng: random.Random, stdout) -> None`; it must be deterministic for a seed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Builder:
    order: int
    name: str
    fn: Callable


BUILDERS: dict[str, Builder] = {}

# Sizes a builder may read, set by `manage.py demo` options (e.g. {"customers": 200}); a missing
# key means the builder's default.
OPTIONS: dict[str, int] = {}


def register(order: int, name: str | None = None):
    def wrap(fn):
        BUILDERS[name or fn.__module__] = Builder(order, name or fn.__module__, fn)
        return fn

    return wrap


def ordered() -> list[Builder]:
    return sorted(BUILDERS.values(), key=lambda b: (b.order, b.name))
