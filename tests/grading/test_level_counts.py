"""The grade tallies (grading.level_counts): whatever writes the grade rows — the run's upsert,
a confirmation, a transfer, a category change, a merge, a delete, a raw statement — the
tallies equal a count of the rows, on both databases; the quota check reads only them."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext

from guanxi.grading import engine, level_counts, quotas, rules, services
from guanxi.grading.models import CustomerGrade, LevelCount

pytestmark = pytest.mark.django_db


def counted() -> dict[tuple, int]:
    rows = CustomerGrade.objects.values_list("unit_id", "scheme", "level").annotate(n=Count("id")).order_by()
    return {(u, s, lv): n for u, s, lv, n in rows}


def tallied() -> dict[tuple, int]:
    return {(t.unit_id, t.scheme, t.level): t.n for t in LevelCount.objects.all() if t.n}


def test_tallies_follow_every_write_of_the_grade_rows(env, customer, Y):
    from guanxi.customers import merge
    from guanxi.customers import services as customer_services

    cs = [customer(category="distributor") for _ in range(14)] + [customer(category="outlet", unit=env.units.service)]
    engine.run(year=Y)  # the set-based upsert: inserts
    assert tallied() == counted() and sum(tallied().values()) == 15
    services.override_grade(cs[0], "vip", actor=env.manager, reason="x")  # one row's level
    services.override_grade(cs[1], "preferred", actor=env.manager, reason="x")
    assert tallied() == counted()
    assert tallied()[(env.units.east.pk, "vip", "vip")] == 1
    cs[2].unit = env.units.service  # a transfer: the signal's queryset update
    cs[2].save(update_fields=["unit"])
    assert tallied() == counted()
    CustomerGrade.objects.filter(customer=cs[3]).update(scheme="outlet", level="")  # a scheme change
    engine.run(year=Y)  # the run again: updates where something changed
    assert tallied() == counted()
    merge.merge_customers(actor=env.gm, keep=cs[4], remove=cs[5])
    engine.run(year=Y)  # drops the merged record's row
    assert tallied() == counted()
    customer_services.delete_customer(cs[1], actor=env.gm)
    CustomerGrade.objects.filter(customer=cs[0]).delete()
    assert tallied() == counted()
    with connection.cursor() as cur:  # a raw multi-row statement (the run's kind of write)
        cur.execute("UPDATE grading_customergrade SET level = proposed_level")
    assert tallied() == counted()


def test_recount_rebuilds_the_tallies(env, customer, Y):
    for _ in range(3):
        customer(category="distributor")
    engine.run(year=Y)
    expected = counted()
    LevelCount.objects.update(n=99)
    level_counts.recount()
    assert tallied() == expected


@pytest.mark.postgres_only
def test_truncating_the_grade_rows_empties_the_tallies(env, customer, Y):
    customer(category="distributor")
    engine.run(year=Y)
    assert tallied()
    with connection.cursor() as cur:
        cur.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the test's transaction holds deferred key checks
        cur.execute("TRUNCATE grading_customergrade")
    assert tallied() == {} and counted() == {}


def test_the_quota_check_reads_the_tallies_not_the_rows(env, customer, Y):
    cs = [customer(category="distributor") for _ in range(20)]
    engine.run(year=Y)
    services.override_grade(cs[0], "vip", actor=env.manager, reason="x")
    scheme = rules.policy().grading.scheme("vip")
    with CaptureQueriesContext(connection) as ctx:
        counts = quotas.check(cs[1], scheme, "vip")
    assert counts[0].text() == "VIP: 2 of 20 customers (10%), limit 15%"
    counting = [q["sql"] for q in ctx.captured_queries if "COUNT(" in q["sql"].upper() and "grading_customergrade" in q["sql"]]
    assert counting == []
    assert any("grading_levelcount" in q["sql"] for q in ctx.captured_queries)
