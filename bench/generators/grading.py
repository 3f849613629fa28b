"""Grading data at scale (issue 4): yearly business figures for three years of every customer
that is not a mere prospect, a grading profile (credit rating, finances, partnership) for about
half of them, and the outlet profile fields (chain size, floor area, monthly collection) of the
outlets — written with COPY (figures, profiles) and one set-based UPDATE (outlets). Targets count
customers with figures: 20,000 at `small`, 1,000,000 at `spec` (about 2.1 million figure rows at
spec, as potential customers have none). Generated rows get no field history."""

from __future__ import annotations

import time
from decimal import Decimal

from bench.generate import GenContext, analyze, copy_rows, generator, reserve_ids

CHUNK = 50_000
SIZES = [0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.8, 1.2, 2.0, 4.0]  # × ¥1M a year


@generator("business_figures", order=40, counts={"small": 20_000, "spec": 1_000_000})
def business_figures(ctx: GenContext) -> int:
    """Figures for the customers that have none (up to ctx.count customers); returns the figure
    rows added."""
    from django.db import connection
    from django.db.models import Exists, OuterRef
    from django.utils import timezone

    from guanxi.customers.models import Customer
    from guanxi.grading import engine
    from guanxi.grading.models import BusinessFigure, GradingProfile

    done = BusinessFigure.objects.values("customer_id").distinct().count()
    if done >= ctx.count:
        return 0
    rng = ctx.rng
    year = engine.reference_year()
    now = timezone.now()
    ids = list(
        Customer.objects.filter(merged_into__isnull=True)
        .exclude(status="potential")
        # NOT EXISTS (a hash anti-join), not NOT IN: NOT IN over 1.9M figure rows is a per-row
        # subplan at the default work_mem (hours; it ran on every bench run at spec scale).
        .exclude(Exists(BusinessFigure.objects.filter(customer_id=OuterRef("pk"))))
        .order_by("pk")
        .values_list("pk", flat=True)[: ctx.count - done]
    )
    has_profile = set(GradingProfile.objects.values_list("customer_id", flat=True))
    figure_ids = iter(reserve_ids(BusinessFigure, len(ids) * 3))
    profile_ids = iter(reserve_ids(GradingProfile, len(ids)))
    started = time.perf_counter()
    rows_added = 0
    ratings = ["AAA", "AA", "A", "B", "C", "D"]
    states = ["good", "sound", "fair", "poor"]
    for start in range(0, len(ids), CHUNK):
        figures, profiles = [], []
        for pk in ids[start : start + CHUNK]:
            size = rng.choice(SIZES)
            for y in (year - 2, year - 1, year):
                sales = Decimal(int(size * rng.uniform(0.6, 1.4) * 10_000)) * 100
                paid = (sales * Decimal(rng.choice(("0.8", "0.9", "1")))).quantize(Decimal("0.01"))
                figures.append(
                    {
                        "id": next(figure_ids),
                        "customer_id": pk,
                        "year": y,
                        "sales": sales,
                        "payments": paid,
                        "collection": paid,
                        "overdue_payments": rng.choice((0, 0, 0, 0, 0, 0, 1, 2)),
                        "note": "",
                        "updated_at": now,
                    }
                )
            if pk not in has_profile and rng.random() < 0.5:
                profiles.append(
                    {
                        "id": next(profile_ids),
                        "customer_id": pk,
                        "credit_rating": rng.choices(ratings, weights=(10, 25, 35, 20, 7, 3))[0],
                        "financial_state": rng.choice(states),
                        "long_term_partner": rng.random() < 0.6,
                        "has_key_resources": rng.random() < 0.05,
                        "note": "",
                    }
                )
        rows_added += copy_rows(BusinessFigure, figures)
        copy_rows(GradingProfile, profiles)
        ctx.log(f"    {min(start + CHUNK, len(ids)):,} customers with figures ({rows_added / (time.perf_counter() - started):,.0f} rows/s)")
    # Outlets: the profile fields of seed 003 附表一, set-based.
    with connection.cursor() as cur:
        cur.execute(
            """
            UPDATE customers_customer SET custom_data = custom_data || jsonb_build_object(
                'chain_outlets', (random() * 14)::int,
                'floor_area', (20 + random() * 260)::int,
                'monthly_collection', to_char(round((random() * 120000)::numeric, 2), 'FM99999990.00'))
            WHERE category = 'outlet' AND NOT (custom_data ? 'chain_outlets')
            """
        )
    _fix_sequences()
    analyze(BusinessFigure, GradingProfile, Customer)
    return rows_added


def _fix_sequences() -> None:
    """reserve_ids moved the sequences generously; move them back to the highest id used."""
    from django.db import connection

    with connection.cursor() as cur:
        for table in ("grading_businessfigure", "grading_gradingprofile"):
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), GREATEST((SELECT COALESCE(MAX(id), 1) FROM {table}), 1))")
