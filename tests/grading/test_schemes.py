"""The four shipped schemes against worked examples derived by hand from the seed texts.

Each example states the customer's data, the clause it exercises and the grade expected; the
engine computes it in SQL (explain() for one customer, run() for all — both must agree).
The seeds leave some thresholds blank ("业务量每年不小于 万元"); the shipped policy fills them
(VIP ≥ ¥1,000,000 a year, 优选 ≥ ¥300,000, ABCD A ≥ ¥3,000,000 in three years, B ≥ ¥500,000),
and the examples use those numbers.
"""

from __future__ import annotations

import pytest

from guanxi.grading import engine
from guanxi.grading.models import CustomerGrade

pytestmark = pytest.mark.django_db


def proposed(c, year):
    """The proposal by explain() and by the set-based run must be the same."""
    one = engine.explain(c, year=year)["level"]
    engine.run(year=year)
    assert CustomerGrade.objects.get(customer=c).proposed_level == one
    return one


# ------------------------------------------------------------------ seed 000 客户资源(暂行)管理办法 §一.2


def test_abcd_class_a_needs_sales_finances_and_credit(customer, Y):
    # §一.2.2: 近三年的销售额 (1.2M + 1.0M + 0.9M = 3.1M ≥ 3M), 财务状况 good, 信誉等级 AA → A (最重要客户).
    c = customer(figures={Y - 2: 1_200_000, Y - 1: 1_000_000, Y: 900_000}, profile={"credit_rating": "AA", "financial_state": "good"})
    assert proposed(c, Y) == "A"


def test_abcd_big_sales_but_only_credit_a_is_b(customer, Y):
    # Same 3.1M in three years but credit A: A needs AAA/AA (§一.2.2 信誉等级); B needs ≥ 500k and A or better.
    c = customer(figures={Y - 2: 1_200_000, Y - 1: 1_000_000, Y: 900_000}, profile={"credit_rating": "A", "financial_state": "good"})
    assert proposed(c, Y) == "B"


def test_abcd_sales_older_than_three_years_do_not_count(customer, Y):
    # 近三年: sales four years before the reference year are outside; 600k in the window → B with AA credit.
    c = customer(figures={Y - 3: 5_000_000, Y: 600_000}, profile={"credit_rating": "AA", "financial_state": "poor"})
    assert proposed(c, Y) == "B"


def test_abcd_serious_credit_problem_is_d(customer, Y):
    # §一.2.3: D类客户为信誉有重大问题的客户 — credit D, whatever the sales.
    c = customer(figures={Y: 5_000_000}, profile={"credit_rating": "D", "financial_state": "good"})
    assert proposed(c, Y) == "D"


def test_abcd_new_or_small_customer_is_c(customer, Y):
    # §一.2.3: C类客户为一般或新增客户 — the fallback: 200k with AAA is not B (needs 500k); a new customer has nothing.
    small = customer(figures={Y: 200_000}, profile={"credit_rating": "AAA", "financial_state": "good"})
    new = customer()
    assert proposed(small, Y) == "C"
    assert proposed(new, Y) == "C"


# ------------------------------------------------------------------ seed 002 客户管理制度 §五.2


def test_vip_distributor(customer, Y):
    # §五.2.2 a) 业务量每年不小于… (1.5M ≥ 1M), b) 无滞期付款 (0 overdue), c) 长期合作伙伴 → VIP.
    c = customer(category="distributor", figures={Y: 1_500_000}, profile={"long_term_partner": True})
    assert proposed(c, Y) == "vip"


def test_vip_with_a_late_payment_is_only_qualified(customer, Y):
    # One late payment breaks §五.2.2 b) and §五.2.3 d) (无滞期付款记录) → 合格类 (§五.2.4, the fallback).
    c = customer(category="distributor", figures={Y: 1_500_000}, overdue={Y: 1}, profile={"long_term_partner": True})
    assert proposed(c, Y) == "qualified"


def test_late_payment_this_year_counts_too(customer, Y):
    # "Overdue payments in the last 12 months" = the reference year and the running year.
    c = customer(category="agreement", figures={Y: 1_500_000}, overdue={Y + 1: 2}, profile={"long_term_partner": True})
    assert proposed(c, Y) == "qualified"


def test_preferred_without_long_term_wish(customer, Y):
    # 500k ≥ 300k, no late payment, no long-term partnership wish → 优选 (§五.2.3 b, d), not VIP (2.2 c).
    c = customer(category="agreement", figures={Y: 500_000})
    assert proposed(c, Y) == "preferred"


def test_small_distributor_is_qualified(customer, Y):
    # 200k < 300k → neither VIP nor 优选 → 合格类 (§五.2.4).
    c = customer(category="distributor", figures={Y: 200_000}, profile={"long_term_partner": True})
    assert proposed(c, Y) == "qualified"


# ------------------------------------------------------------------ seed 003 附表一 网点类型分类表 (any one criterion)


@pytest.mark.parametrize(
    ("custom", "expected", "why"),
    [
        ({"chain_outlets": 12, "floor_area": 50, "monthly_collection": "10000.00"}, "A", "连锁网点 10家以上"),
        ({"chain_outlets": 1, "floor_area": 250, "monthly_collection": "10000.00"}, "A", "营业面积 大于200平方米"),
        ({"chain_outlets": 1, "floor_area": 60, "monthly_collection": "85000.00"}, "A", "月收费量 大于8万"),
        ({"chain_outlets": 1, "own_or_franchise_hall": True}, "A", "加盟及自建营业厅属A类"),
        ({"chain_outlets": 5, "floor_area": 80, "monthly_collection": "15000.00"}, "B", "3-10家"),
        ({"chain_outlets": 1, "floor_area": 150, "monthly_collection": "15000.00"}, "B", "100至200平方米"),
        ({"chain_outlets": 2, "floor_area": 90, "monthly_collection": "30000.00"}, "B", "2—8万"),
        ({"chain_outlets": 10, "floor_area": 200, "monthly_collection": "80000.00"}, "B", "the upper bounds 10, 200, 8万 are B"),
        ({"chain_outlets": 1, "floor_area": 60, "monthly_collection": "10000.00"}, "C", "3家以下, 小于100平方米, 2万以下"),
        ({}, "C", "nothing recorded: the fallback"),
        ({"floor_area": "not a number"}, "C", "a bad value never breaks the run"),
    ],
)
def test_outlet_classes(customer, Y, custom, expected, why):
    c = customer(category="outlet", custom=custom)  # stored as is (the archive's form validates)
    assert proposed(c, Y) == expected, why


# ------------------------------------------------------------------ seed 004 §2 客户分类


def test_importance_scheme(customer, Y, use_policy):
    # Not mapped by default; an administrator maps direct users to it. 重要: 贡献巨大业务量或拥有重要资源;
    # 潜在: 尚未合作; 普通: the rest.
    use_policy(scheme_by_category={"direct": "importance", "outlet": "outlet", "distributor": "vip", "agreement": "vip"})
    big = customer(status="active", figures={Y: 1_200_000})
    resources = customer(status="potential", profile={"has_key_resources": True})
    prospect = customer(status="potential")
    small = customer(status="active", figures={Y: 100_000})
    assert proposed(big, Y) == "key"
    assert proposed(resources, Y) == "key"  # 拥有重要资源 wins over 潜在 (levels tried in order)
    assert proposed(prospect, Y) == "potential"
    assert proposed(small, Y) == "ordinary"


# ------------------------------------------------------------------ the explanation


def test_explanation_lists_every_criterion_with_value_and_result(customer, Y):
    c = customer(figures={Y: 600_000}, profile={"credit_rating": "A"})
    ex = engine.explain(c, year=Y)
    assert ex["level"] == "B" and ex["scheme"] == "abcd" and ex["clause"] == "grading.schemes.abcd"
    assert ex["policy_version"] is not None and ex["year"] == Y
    a, b = ex["levels"][0], ex["levels"][1]
    assert [c["field"] for c in a["criteria"]] == ["sales_3y_yuan", "financial_state", "credit_rating"]
    assert a["criteria"][0]["passed"] is False and a["criteria"][0]["value"] == "600000.00"
    assert a["criteria"][0]["value_display"] == "¥600,000.00" and a["criteria"][0]["condition"] == "≥ ¥3,000,000.00"
    assert not a["matched"] and b["matched"] and b["chosen"]
    assert b["clause"] == "grading.schemes.abcd.levels.B"
    assert all(c["passed"] for c in b["criteria"])


def test_run_writes_only_changed_rows_and_keeps_confirmed_grades(customer, Y, env):
    from guanxi.grading import services

    c = customer(figures={Y: 600_000}, profile={"credit_rating": "A"})
    first = engine.run(year=Y)
    assert first.written >= 1
    again = engine.run(year=Y)
    assert again.written == 0  # nothing changed: nothing written
    services.set_grade(c, "B", actor=env.manager, reason="", source="confirm")
    from guanxi.grading.models import GradingProfile

    GradingProfile.objects.filter(customer=c).update(credit_rating="D")
    engine.run(year=Y)
    grade = CustomerGrade.objects.get(customer=c)
    assert grade.proposed_level == "D" and grade.level == "B"  # the run proposes, a person decides


def test_category_change_moves_the_customer_to_another_scheme(customer, Y, env):
    from guanxi.grading import services
    from guanxi.grading.models import GradeChange

    c = customer(figures={Y: 600_000}, profile={"credit_rating": "A"})
    engine.run(year=Y)
    services.set_grade(c, "B", actor=env.manager, reason="", source="confirm")
    c.category = "distributor"
    c.save(update_fields=["category"])
    engine.run(year=Y)
    grade = CustomerGrade.objects.get(customer=c)
    assert grade.scheme == "vip" and grade.level == "" and grade.proposed_level == "preferred"
    change = GradeChange.objects.filter(customer=c).first()
    assert change.source == "scheme_changed" and change.from_level == "B" and change.clause == "grading.scheme_by_category"


def test_merged_customers_lose_their_grade_row(customer, Y):
    a, b = customer(), customer()
    engine.run(year=Y)
    type(b).objects.filter(pk=b.pk).update(merged_into=a)
    engine.run(year=Y)
    assert not CustomerGrade.objects.filter(customer=b).exists()
