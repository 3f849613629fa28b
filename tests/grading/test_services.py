"""Confirm / override / set_grade, quotas, the run's audit, figures and the profile."""

from __future__ import annotations

from decimal import Decimal

import pytest

from guanxi.core.errors import DomainError, NotAllowed
from guanxi.core.models import AuditEvent
from guanxi.grading import engine, queries, quotas, rules, services
from guanxi.grading.models import BusinessFigure, CustomerGrade, GradeChange

pytestmark = pytest.mark.django_db


def test_confirm_takes_the_proposal_with_version_and_clause(env, customer, Y):
    c = customer(figures={Y: 600_000}, profile={"credit_rating": "A"})
    grade = services.confirm_grade(c, actor=env.manager)
    assert grade.level == "B" and grade.source == "confirm" and grade.confirmed_by == env.manager
    assert grade.clause == "grading.schemes.abcd.levels.B" and grade.policy_version == rules.policy().version
    change = GradeChange.objects.get(customer=c)
    assert (change.from_level, change.to_level, change.proposed_level) == ("", "B", "B")
    assert change.explanation["level"] == "B"
    event = AuditEvent.objects.get(event_type="grading.grade_confirmed")
    assert event.data["to"] == "B" and event.data["clause"] == "grading.schemes.abcd.levels.B"
    assert grade.history.count() >= 1
    assert queries.current_level(c) == "B"


def test_override_needs_a_reason(env, customer, Y):
    c = customer(figures={Y: 600_000}, profile={"credit_rating": "A"})
    with pytest.raises(DomainError, match="Give a reason"):
        services.override_grade(c, "A", actor=env.manager, reason="  ")
    with pytest.raises(DomainError, match="Give a reason"):
        services.set_grade(c, "A", actor=env.manager, reason="", source="review")
    assert not GradeChange.objects.exists() and queries.current_level(c) == ""
    grade = services.override_grade(c, "A", actor=env.manager, reason="Strategic partner")
    assert grade.level == "A" and grade.reason == "Strategic partner" and grade.source == "override"
    assert AuditEvent.objects.filter(event_type="grading.grade_overridden").exists()


def test_unknown_level_is_refused(env, customer):
    c = customer()
    with pytest.raises(DomainError, match="is not a level"):
        services.override_grade(c, "vip", actor=env.manager, reason="x")


def test_sales_reps_may_not_confirm(env, customer):
    c = customer()
    assert not env.rep.has_perm("grading.confirm_grade")
    assert env.manager.has_perm("grading.confirm_grade")
    with pytest.raises(NotAllowed):
        services.confirm_grade(c, actor=env.rep)


def _distributors(customer, env, n, *, unit=None):
    return [customer(category="distributor", unit=unit or env.units.east) for _ in range(n)]


def test_vip_quota_refused_with_the_counts(env, customer, Y):
    # 20 distributors in the sales department (its team east): VIP ≤ 15 % → at most 3.
    cs = _distributors(customer, env, 20)
    engine.run(year=Y)
    for c in cs[:3]:
        services.override_grade(c, "vip", actor=env.manager, reason="big")
    with pytest.raises(quotas.QuotaExceeded) as exc:
        services.override_grade(cs[3], "vip", actor=env.manager, reason="big")
    assert "VIP: 4 of 20 customers (20%), limit 15%" in str(exc.value)
    assert queries.current_level(cs[3]) == ""
    assert GradeChange.objects.filter(customer=cs[3]).count() == 0
    # Another department's quota is its own.
    other = _distributors(customer, env, 1, unit=env.units.service)[0]
    with pytest.raises(quotas.QuotaExceeded, match="1 of 1 customers"):
        services.override_grade(other, "vip", actor=env.manager, reason="x")


def test_quota_counts_on_the_quota_page_and_panel(env, customer, Y):
    cs = _distributors(customer, env, 10)
    engine.run(year=Y)
    services.override_grade(cs[0], "vip", actor=env.manager, reason="x")
    services.override_grade(cs[1], "preferred", actor=env.manager, reason="x")
    scheme = rules.policy().grading.scheme("vip")
    counts = {q.level: q for q in quotas.status(env.units.sales, scheme)}
    assert counts["vip"].text() == "VIP: 1 of 10 customers (10%), limit 15%"
    assert counts["preferred"].holders == 1 and counts["preferred"].limit == Decimal("30")


def test_reconfirming_the_same_level_does_not_count_twice(env, customer, Y):
    cs = _distributors(customer, env, 7)  # 15 % of 7 → 1
    engine.run(year=Y)
    services.override_grade(cs[0], "vip", actor=env.manager, reason="x")
    services.set_grade(cs[0], "vip", actor=env.manager, reason="review ok", source="review")
    assert queries.current_level(cs[0]) == "vip"


def test_check_quota_false_skips_the_check(env, customer, Y):
    c = _distributors(customer, env, 1)[0]
    grade = services.set_grade(c, "vip", actor=env.manager, reason="imported", source="review", check_quota=False)
    assert grade.level == "vip"


def test_transfer_moves_the_customer_between_quota_counts(env, customer, Y):
    c = _distributors(customer, env, 1)[0]
    engine.run(year=Y)
    assert CustomerGrade.objects.get(customer=c).unit_id == env.units.east.pk
    c.unit = env.units.service
    c.save(update_fields=["unit"])
    assert CustomerGrade.objects.get(customer=c).unit_id == env.units.service.pk


def test_new_customer_gets_its_row_from_the_run_or_its_first_grade(env, customer, Y):
    c = customer(category="outlet")
    assert not CustomerGrade.objects.filter(customer=c).exists()
    row = services.ensure_grade(c)
    assert row.scheme == "outlet" and row.unit_id == c.unit_id and row.level == ""


def test_run_is_audited(env, customer, Y):
    customer()
    result = services.run_proposals(year=Y)
    event = AuditEvent.objects.get(event_type="grading.proposals_run")
    assert event.data["year"] == Y and event.data["written"] == result.written and event.data["clause"] == "grading.schemes"


def test_the_task_and_the_command_run_the_proposals(env, customer, Y):
    from django.core.management import call_command

    from guanxi.core.periodic import JOBS
    from guanxi.grading.tasks import propose_grades

    c = customer(figures={Y: 600_000}, profile={"credit_rating": "A"})
    assert "grading.propose_grades" in JOBS
    propose_grades()
    assert CustomerGrade.objects.get(customer=c).proposed_level == "B"
    call_command("grade_proposals", "--year", str(Y))


def test_figures_are_validated_and_unique_per_year(env, customer, Y):
    c = customer()
    f = services.save_figure(actor=env.rep, customer=c, year=Y, data={"sales": "1,234,567.5", "payments": "100", "overdue_payments": "2"})
    assert f.sales == Decimal("1234567.50") and f.overdue_payments == 2
    with pytest.raises(DomainError, match="exist already"):
        services.save_figure(actor=env.rep, customer=c, year=Y, data={})
    with pytest.raises(DomainError, match="must not be negative"):
        services.save_figure(actor=env.rep, customer=c, year=Y - 1, data={"sales": "-1"})
    with pytest.raises(DomainError, match="year must be between"):
        services.save_figure(actor=env.rep, customer=c, year=1800, data={})
    with pytest.raises(DomainError, match="whole number"):
        services.save_figure(actor=env.rep, customer=c, year=Y - 1, data={"overdue_payments": "1.5"})
    assert BusinessFigure.objects.filter(customer=c).count() == 1


def test_profile_feeds_the_proposal(env, customer, Y):
    c = customer(figures={Y: 3_500_000})
    assert engine.explain(c, year=Y)["level"] == "C"
    services.save_profile(c, actor=env.manager, data={"credit_rating": "AAA", "financial_state": "good"})
    assert engine.explain(c, year=Y)["level"] == "A"
    with pytest.raises(DomainError):
        services.save_profile(c, actor=env.manager, data={"credit_rating": "Z"})


def test_quota_groups_a_department_tree_and_a_unit_outside_departments_alone(db):
    """seed 002 §五.2.2 d: the quota is per department; a team counts with its department, a
    unit outside any department (here the company itself) only for its own customers — not
    every customer below it."""
    from guanxi.grading import quotas
    from tests.support import org as orgf

    units = orgf.make_units()  # sales is a department, east its team, company the root
    assert quotas.department_of(units.east) == units.sales
    assert set(quotas.group_ids(units.sales)) == {units.sales.pk, units.east.pk}
    assert quotas.department_of(units.company) == units.company
    assert quotas.group_ids(units.company) == [units.company.pk]
