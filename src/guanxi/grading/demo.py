"""Demo data of grading: yearly business figures and grading profiles for the demo customers,
chain size for the outlets, then one proposal run, so `make run` shows grades with their
explanations. Deterministic for a seed; rows are written in bulk (they stand for existing data)."""

from __future__ import annotations

import random
from decimal import Decimal

from guanxi.core.demo import register

BATCH = 2000


@register(50, "grading.figures")
def build(rng: random.Random, stdout=None) -> None:
    from simple_history.utils import bulk_create_with_history

    from guanxi.customers.models import Customer

    from . import engine, services
    from .models import BusinessFigure, GradingProfile

    year = engine.reference_year()
    customers = list(Customer.objects.filter(merged_into__isnull=True).exclude(status="potential").order_by("pk"))
    have = set(BusinessFigure.objects.values_list("customer_id", flat=True).distinct())
    profiled = set(GradingProfile.objects.values_list("customer_id", flat=True))
    figures, profiles, outlets = [], [], []
    for c in customers:
        # A customer's size: most are small, a few carry most of the business.
        size = rng.choice([0.05, 0.1, 0.2, 0.3, 0.5, 0.8, 1.2, 2.0, 4.0])
        if c.pk not in have:
            for y in range(year - 2, year + 1):
                sales = Decimal(int(size * rng.uniform(0.6, 1.4) * 1_000_000 / 100) * 100)
                paid = (sales * Decimal(rng.choice(["0.8", "0.9", "0.95", "1"]))).quantize(Decimal("0.01"))
                figures.append(
                    BusinessFigure(
                        customer=c,
                        year=y,
                        sales=sales,
                        payments=paid,
                        collection=paid,
                        overdue_payments=rng.choice([0, 0, 0, 0, 0, 1, 2, 3]),
                    )
                )
        if c.pk not in profiled:
            rating = rng.choices(["AAA", "AA", "A", "B", "C", "D"], weights=[10, 25, 35, 20, 7, 3])[0]
            profiles.append(
                GradingProfile(
                    customer=c,
                    credit_rating=rating,
                    financial_state=rng.choice(["good", "good", "sound", "fair", "poor"]),
                    long_term_partner=rng.random() < 0.6,
                    has_key_resources=rng.random() < 0.1,
                )
            )
        if c.category == "outlet" and "chain_outlets" not in (c.custom_data or {}):
            c.custom_data = {**(c.custom_data or {}), "chain_outlets": rng.choice([1, 1, 2, 3, 5, 8, 12])}
            outlets.append(c)
    bulk_create_with_history(figures, BusinessFigure, batch_size=BATCH)
    bulk_create_with_history(profiles, GradingProfile, batch_size=BATCH)
    Customer.objects.bulk_update(outlets, ["custom_data"], batch_size=BATCH)
    result = services.run_proposals()
    if stdout is not None:
        stdout.write(f"  grading: {len(figures)} business figures, {len(profiles)} profiles, proposals for {result.written} customers")
