"""Grading scenarios (issue 4): the proposal run over every customer (≤ 60 s at 1M customers
on PostgreSQL) and the quota check on confirm (≤ 20 ms p95).

Both are batch measurements (not page requests): the run is one call of
guanxi.grading.services.run_proposals() — first over an empty grade table (every customer's row
inserted), then again (steady state: only changed rows are written); the quota check times
guanxi.grading.quotas.check() for customers sampled over the id range, each in its own
transaction (it takes the department's advisory lock), with a VIP / 优选 level so the counts on
the (unit, scheme, level) index are read. Before the quota check, half of the graded customers
get their proposal confirmed in one UPDATE, so the counts are realistic.
"""

from __future__ import annotations

import random
import time

from bench.scenarios import BatchResult, Figure, NotMeasured, batch, percentile

RUN_TARGET_S = 60.0
QUOTA_TARGET_MS = 20.0
QUOTA_SAMPLES = {"spec": 300, "small": 100}


@batch(
    "grade_proposals",
    title="Grade proposal run over all customers",
    description="guanxi.grading.services.run_proposals(): one INSERT … SELECT … ON CONFLICT DO UPDATE per "
    "scheme, the SELECT joining each customer with its business figures (sums over three years) and "
    "grading profile and choosing the level in one CASE. First run: the grade table is emptied, so "
    "every customer's row is written; second run: nothing changed, nothing written.",
    order=300,
)
def grade_proposals(scale: str) -> BatchResult:
    from bench.scenarios import BATCHES

    me = BATCHES["grade_proposals"]
    try:
        from guanxi.grading import services
        from guanxi.grading.models import CustomerGrade
    except ImportError as exc:  # pragma: no cover
        raise NotMeasured("guanxi.grading is not built") from exc
    from django.db import connection

    from guanxi.customers.models import Customer

    with connection.cursor() as cur:
        cur.execute(f"TRUNCATE {CustomerGrade._meta.db_table}")
    customers = Customer.objects.filter(merged_into__isnull=True).count()
    started = time.perf_counter()
    first = services.run_proposals()
    first_s = time.perf_counter() - started
    started = time.perf_counter()
    second = services.run_proposals()
    second_s = time.perf_counter() - started
    with connection.cursor() as cur:
        cur.execute(f"ANALYZE {CustomerGrade._meta.db_table}")
    return BatchResult(
        me,
        figures=[
            Figure("customers", f"{customers:,}"),
            Figure(
                "first run (all rows written)",
                f"{first_s:.1f} s ({first.written:,} rows)",
                f"≤ {RUN_TARGET_S:.0f} s",
                first_s <= RUN_TARGET_S,
            ),
            Figure(
                "second run (unchanged)", f"{second_s:.1f} s ({second.written:,} rows)", f"≤ {RUN_TARGET_S:.0f} s", second_s <= RUN_TARGET_S
            ),
        ],
    )


@batch(
    "grade_quota_check",
    title="Quota check on confirm",
    description="guanxi.grading.quotas.check(customer, scheme, level) for customers sampled over the id "
    "range among those graded by the VIP / 优选 scheme (level VIP or 优选 at random), each "
    "in its own transaction: the department lookup, the advisory lock and one sum of the "
    "department's grade tallies (LevelCount, kept by triggers). Half of the customers hold a confirmed grade.",
    order=301,
)
def grade_quota_check(scale: str) -> BatchResult:
    from bench.scenarios import BATCHES

    me = BATCHES["grade_quota_check"]
    from django.db import connection, transaction

    from guanxi.grading import quotas, rules
    from guanxi.grading.models import CustomerGrade

    if not CustomerGrade.objects.exists():
        raise NotMeasured("no grade rows: run the grade_proposals batch first")
    table = CustomerGrade._meta.db_table
    with connection.cursor() as cur:
        cur.execute(f"UPDATE {table} SET level = proposed_level WHERE level = '' AND customer_id % 2 = 0")
        cur.execute(f"ANALYZE {table}")
    pol = rules.policy()
    vip = pol.grading.scheme("vip")
    grades = list(
        CustomerGrade.objects.filter(scheme="vip")
        .order_by("?")
        .select_related("customer", "customer__unit")[: QUOTA_SAMPLES.get(scale, 100)]
    )
    if not grades:
        raise NotMeasured("no customer graded by the VIP scheme")
    rng = random.Random("quota")
    timings, refused = [], 0
    for i, g in enumerate(grades * 2):
        level = rng.choice(["vip", "preferred"])
        started = time.perf_counter()
        try:
            with transaction.atomic():
                quotas.check(g.customer, vip, level, pol=pol)
        except quotas.QuotaExceeded:
            refused += 1
        elapsed = (time.perf_counter() - started) * 1000
        if i >= len(grades) // 5:  # the first fifth warms the caches
            timings.append(elapsed)
    p95 = percentile(timings, 95)
    return BatchResult(
        me,
        figures=[
            Figure("checks", f"{len(timings)} ({refused} refused)"),
            Figure("p50", f"{percentile(timings, 50):.1f} ms"),
            Figure("p95", f"{p95:.1f} ms", f"≤ {QUOTA_TARGET_MS:.0f} ms", p95 <= QUOTA_TARGET_MS),
            Figure("max", f"{max(timings):.1f} ms"),
        ],
    )
