"""Bulk data generation for the benchmark, at a named scale, with PostgreSQL COPY.

A generator is a function registered with `@generator(name, order=..., counts={scale: n})`
in a module of `bench.generators`; it receives a GenContext (the target row count for the
chosen scale, a seeded random generator, a log function) and returns how many rows it added.
Counts are *targets*: a generator tops the data up to its count, so running it again on a
filled database adds nothing. Later issues add generators (customers, activities…) as new
modules; nothing here changes.

Rows go in with `copy_rows()` (COPY … FROM STDIN through psycopg 3's `cursor.copy`), ids are
reserved up front with `reserve_ids()` so related rows can be written in the same pass, and
`analyze()` refreshes the planner statistics afterwards. Bulk rows get no field-history rows
and no audit events: they stand for data that already existed.

    python -m bench.generate --scale spec --database-url postgres://…   # fill a database only
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

SCALES = {
    "small": "CI-sized: a few hundred users, 20,000 customers, 60,000 contacts; finishes in seconds.",
    "spec": "SPEC scale: 1,000 users, 1,000,000 customers, 3,000,000 contacts (20,000,000 activities arrive with their issue).",
}


@dataclass
class GenContext:
    scale: str
    count: int  # the target for this generator at this scale
    rng: random.Random
    log: Callable[[str], None] = print


@dataclass(frozen=True)
class Generator:
    name: str
    order: int
    fn: Callable[[GenContext], int]
    counts: dict[str, int] = field(default_factory=dict)


GENERATORS: dict[str, Generator] = {}


def generator(name: str, *, order: int, counts: dict[str, int]):
    unknown = set(counts) - set(SCALES)
    if unknown:
        raise ValueError(f"unknown scales {sorted(unknown)} for generator {name}")

    def wrap(fn):
        GENERATORS[name] = Generator(name, order, fn, dict(counts))
        return fn

    return wrap


def load() -> list[Generator]:
    from bench import generators

    for module in pkgutil.iter_modules(generators.__path__):
        importlib.import_module(f"{generators.__name__}.{module.name}")
    return sorted(GENERATORS.values(), key=lambda g: (g.order, g.name))


def run(scale: str, *, seed: int = 1, only: Iterable[str] | None = None, log: Callable[[str], None] = print) -> dict[str, int]:
    """Runs every generator (or those named in `only`) for `scale`; returns rows added per name."""
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; choose one of {', '.join(SCALES)}")
    added = {}
    wanted = set(only or [])
    for gen in load():
        if wanted and gen.name not in wanted:
            continue
        count = gen.counts.get(scale, 0)
        started = time.perf_counter()
        rows = gen.fn(GenContext(scale=scale, count=count, rng=random.Random(f"{seed}:{gen.name}"), log=log))
        added[gen.name] = rows
        log(f"  generated {gen.name}: +{rows} rows (target {count}) in {time.perf_counter() - started:.1f} s")
    return added


# --------------------------------------------------------------------------------- COPY helpers


def _raw_cursor():
    from django.db import connection

    connection.ensure_connection()
    return connection.connection.cursor()


def reserve_ids(model, n: int) -> range:
    """Reserves `n` consecutive primary keys of `model` by moving its sequence past them (the
    benchmark is the only writer while it generates)."""
    if n <= 0:
        return range(0)
    table = model._meta.db_table
    pk = model._meta.pk.column
    with _raw_cursor() as cur:
        cur.execute("SELECT pg_get_serial_sequence(%s, %s)", [table, pk])
        seq = cur.fetchone()[0]
        cur.execute(f"SELECT GREATEST((SELECT COALESCE(MAX({_quote(pk)}), 0) FROM {_quote(table)}), (SELECT last_value FROM {seq}))")
        start = cur.fetchone()[0] + 1
        cur.execute("SELECT setval(%s, %s)", [seq, start + n - 1])
    return range(start, start + n)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _defaults(model, attnames: set[str]) -> dict[str, object]:
    """Values for the concrete columns a generator leaves out (Django defaults live in Python,
    not in the database, so COPY must send them)."""
    from django.utils import timezone

    now = timezone.now()
    out = {}
    for f in model._meta.concrete_fields:
        if f.attname in attnames or f.primary_key:
            continue
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            out[f.attname] = now
        elif f.has_default():
            out[f.attname] = f.get_default()
        elif f.null:
            out[f.attname] = None
        elif f.get_internal_type() in ("CharField", "TextField", "SlugField", "EmailField"):
            out[f.attname] = ""
        else:
            raise ValueError(f"{model.__name__}.{f.name} has no default: the generator must give it")
    return out


def copy_rows(model, rows: Iterable[dict]) -> int:
    """COPY dicts of {attname: value} into the model's table. The first row decides the
    columns; columns it leaves out get the model's defaults. Returns the number of rows."""
    from django.db import connection

    rows = iter(rows)
    first = next(rows, None)
    if first is None:
        return 0
    given = list(first)
    defaults = _defaults(model, set(given))
    fields = {f.attname: f for f in model._meta.concrete_fields}
    columns = [*given, *defaults]
    unknown = [c for c in columns if c not in fields]
    if unknown:
        raise ValueError(f"{model.__name__} has no columns {unknown}")
    # JSON and similar values need the field's adaptation; plain values go as they are.
    prep = {c: fields[c] for c in columns if fields[c].get_internal_type() == "JSONField"}
    default_values = list(defaults.values())
    sql = "COPY {} ({}) FROM STDIN".format(_quote(model._meta.db_table), ", ".join(_quote(fields[c].column) for c in columns))
    n = 0
    with _raw_cursor() as cur, cur.copy(sql) as copy:
        for row in _chain(first, rows):
            values = [row[c] for c in given] + default_values
            if prep:
                values = [prep[c].get_db_prep_save(v, connection) if c in prep else v for c, v in zip(columns, values, strict=True)]
            copy.write_row(values)
            n += 1
    return n


def _chain(first, rest):
    yield first
    yield from rest


def analyze(*models) -> None:
    with _raw_cursor() as cur:
        for model in models:
            cur.execute(f"ANALYZE {_quote(model._meta.db_table)}")


def main(argv=None) -> None:
    from bench import django_env

    parser = argparse.ArgumentParser(description="Fill a Guanxi database to a benchmark scale with bulk generators.")
    parser.add_argument("--scale", choices=sorted(SCALES), default="small")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database-url", required=True, help="PostgreSQL database to fill (migrated and with the demo company).")
    parser.add_argument("--only", nargs="*", help="generator names")
    args = parser.parse_args(argv)
    django_env.setup(args.database_url)
    django_env.prepare(seed=args.seed)
    # Through the imported module: under `python -m bench.generate` this file is __main__, and
    # the generators register with bench.generate's GENERATORS, not __main__'s.
    from bench import generate

    generate.run(args.scale, seed=args.seed, only=args.only)


if __name__ == "__main__":
    main()
