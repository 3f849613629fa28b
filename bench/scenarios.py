"""Timed scenarios. A scenario is registered with `@scenario(...)`; its function prepares what it
needs (logins, objects) and returns a callable that performs one request and returns the
response. The runner calls it `warmup` times, then `runs` times, reading the server time from
the `Server-Timing` header (bench.settings puts ServerTimingMiddleware first).

Requests go through Django's test Client: the whole middleware stack and view run in-process,
with no HTTP server and no network in between, so "server time" is what a gunicorn worker
would spend on the request.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field

BACKEND = "guanxi.accounts.backends.PositionBackend"


@dataclass(frozen=True)
class Scenario:
    name: str
    title: str
    description: str
    prepare: Callable[[], Callable]
    expect: int = 200
    order: int = 100
    target_ms: float | None = None  # p95 server-time target, when the issue sets one
    bare_ratio: float | None = None  # server time at most this many times the bare SQL's


@dataclass
class Result:
    scenario: Scenario
    app_ms: list[float] = field(default_factory=list)
    db_ms: list[float] = field(default_factory=list)
    queries: list[int] = field(default_factory=list)
    wall_ms: list[float] = field(default_factory=list)
    bare_ms: list[float] = field(default_factory=list)  # the same rows' SQL run bare (see `bare` below)
    slow_plans: list[str] = field(default_factory=list)  # plans of bare statements over SLOW_PLAN_MS
    skipped: str = ""  # why the scenario was not measured


class NotMeasured(Exception):
    """Raised by a scenario's prepare function when it cannot run (e.g. the feature it times is
    not built yet); the report lists it as "not measured" with this reason."""


SCENARIOS: dict[str, Scenario] = {}


def scenario(
    name: str,
    *,
    title: str,
    description: str,
    expect: int = 200,
    order: int = 100,
    target_ms: float | None = None,
    bare_ratio: float | None = None,
):
    def wrap(fn):
        SCENARIOS[name] = Scenario(name, title, description, fn, expect, order, target_ms, bare_ratio)
        return fn

    return wrap


def load_modules() -> None:
    """Imports the other scenario modules (bench/scenarios_*.py) so they register."""
    import importlib
    import pkgutil

    import bench

    for module in pkgutil.iter_modules(bench.__path__):
        if module.name.startswith("scenarios_"):
            importlib.import_module(f"bench.{module.name}")


def ordered(only=None) -> list[Scenario]:
    load_modules()
    found = sorted(SCENARIOS.values(), key=lambda s: (s.order, s.name))
    if only:
        unknown = set(only) - set(SCENARIOS) - set(BATCHES)
        if unknown:
            raise SystemExit(f"unknown scenarios: {', '.join(sorted(unknown))} (known: {', '.join(SCENARIOS)})")
        found = [s for s in found if s.name in only]
    return found


_TIMING = re.compile(r"(\w+);dur=([\d.]+)(?:;desc=\"(\d+) queries\")?")


def server_timing(response) -> tuple[float, float, int]:
    header = response.get("Server-Timing", "")
    parts = {m.group(1): (float(m.group(2)), m.group(3)) for m in _TIMING.finditer(header)}
    if "app" not in parts:
        raise RuntimeError("no Server-Timing header: is bench.settings in use?")
    db, n = parts.get("db", (0.0, "0"))
    return parts["app"][0], db, int(n or 0)


def measure(sc: Scenario, *, runs: int, warmup: int) -> Result:
    once = sc.prepare()
    result = Result(sc)
    for i in range(warmup + runs):
        started = time.perf_counter()
        response = once()
        wall = (time.perf_counter() - started) * 1000
        if response.status_code != sc.expect:
            raise RuntimeError(f"scenario {sc.name}: HTTP {response.status_code}, expected {sc.expect}")
        if i < warmup:
            continue
        app, db, n = server_timing(response)
        result.app_ms.append(app)
        result.db_ms.append(db)
        result.queries.append(n)
        result.wall_ms.append(wall)
    # A scenario may time the bare SQL of the same rows: `once.bare(runs)` returns that many
    # timings in milliseconds (see bench/scenarios_customers.py).
    bare = getattr(once, "bare", None)
    if bare is not None:
        result.bare_ms = list(bare(runs))
        result.slow_plans = list(getattr(once, "slow_plans", ()))
    return result


# ------------------------------------------------------------------------ batch measurements


@dataclass(frozen=True)
class Batch:
    """A measurement that is not a request (e.g. an import's throughput): `fn(scale)` returns a
    BatchResult."""

    name: str
    title: str
    description: str
    fn: Callable
    order: int = 100


@dataclass
class Figure:
    label: str
    value: str
    target: str = ""
    ok: bool | None = None  # None: no target


@dataclass
class BatchResult:
    batch: Batch
    figures: list[Figure] = field(default_factory=list)
    notes: str = ""
    skipped: str = ""


BATCHES: dict[str, Batch] = {}


def batch(name: str, *, title: str, description: str, order: int = 100):
    def wrap(fn):
        BATCHES[name] = Batch(name, title, description, fn, order)
        return fn

    return wrap


def batches(only=None) -> list[Batch]:
    load_modules()
    found = sorted(BATCHES.values(), key=lambda b: (b.order, b.name))
    return [b for b in found if not only or b.name in only]


def run_batch(b: Batch, *, scale: str) -> BatchResult:
    try:
        return b.fn(scale)
    except NotMeasured as exc:
        return BatchResult(b, skipped=str(exc))


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0–100) of a non-empty list."""
    ordered_values = sorted(values)
    rank = max(1, -(-len(ordered_values) * p // 100))  # ceil(n * p / 100)
    return ordered_values[int(rank) - 1]


# ------------------------------------------------------------------------------- the scenarios


def _client_for(username: str):
    from django.contrib.auth import get_user_model
    from django.test import Client

    client = Client()
    client.force_login(get_user_model().objects.get(username=username), backend=BACKEND)
    return client


@scenario(
    "login",
    title="Log in (POST the login form)",
    description="A sales rep (`rep`) posts the login form with the right password: argon2 check "
    "(deliberately slow; its cost alone on this machine is under Run), lockout bookkeeping, new "
    "session, audit event; answers 302 to the dashboard. Each run is a fresh browser (no cookies).",
    expect=302,
    order=10,
)
def login():
    from django.test import Client
    from django.urls import reverse

    from guanxi.accounts.demo import DEMO_PASSWORD

    url = reverse("accounts:login")

    def once():
        response = Client().post(url, {"username": "rep", "password": DEMO_PASSWORD})
        if response.status_code == 302 and "2fa" in response.get("Location", ""):
            raise RuntimeError("login scenario: the rep was sent to the second factor")
        return response

    return once


@scenario(
    "request_floor",
    title="Signed-in request floor (an empty page)",
    description='GET an empty page (`bench.urls`, plain text "ok") for the logged-in general manager: '
    "the fixed cost of every signed-in request — session from Redis, the user row, the "
    "principal, every middleware — with no query of its own. A page can't be faster; where a "
    'page\'s bare SQL takes less than half of this, "within 3× the bare SQL" cannot hold.',
    order=19,
)
def request_floor():
    client = _client_for("gm")
    return lambda: client.get("/bench/floor/")


def _dashboard(username: str):
    client = _client_for(username)
    return lambda: client.get("/")


@scenario(
    "dashboard_rep",
    title="Dashboard, sales rep",
    description="GET / for a logged-in sales rep (`rep`, data scope: own records).",
    order=20,
)
def dashboard_rep():
    return _dashboard("rep")


@scenario(
    "dashboard_gm",
    title="Dashboard, general manager",
    description="GET / for the logged-in general manager (`gm`, data scope: everything).",
    order=21,
)
def dashboard_gm():
    return _dashboard("gm")
