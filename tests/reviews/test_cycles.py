"""Review cycles: periods, the set-based creation of review forms, the periodic job."""

from __future__ import annotations

import datetime as dt

import pytest

from guanxi.core.errors import Conflict, NotAllowed
from guanxi.core.models import AuditEvent
from guanxi.reviews import services, tasks
from guanxi.reviews.models import Incident, Review, ReviewCycle

D = dt.date


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (D(2025, 3, 15), 6, (D(2025, 1, 1), D(2025, 6, 30))),
        (D(2025, 7, 1), 6, (D(2025, 7, 1), D(2025, 12, 31))),
        (D(2025, 12, 31), 6, (D(2025, 7, 1), D(2025, 12, 31))),
        (D(2025, 5, 2), 3, (D(2025, 4, 1), D(2025, 6, 30))),
        (D(2025, 5, 2), 12, (D(2025, 1, 1), D(2025, 12, 31))),
    ],
)
def test_period_of(day, months, expected):
    assert services.period_of(day, months) == expected


def test_previous_period_crosses_the_year():
    assert services.previous_period(D(2026, 2, 10), 6) == (D(2025, 7, 1), D(2025, 12, 31))


def test_open_cycle_creates_one_form_per_customer_with_grade_and_incidents(env, django_assert_max_num_queries):
    a = env.customer("preferred")
    b = env.customer(unit=env.dept, owner=env.dm)
    outside = env.customer("vip", unit=env.other, owner=env.odm)
    start, end = services.period_of(services.today())
    Incident.objects.create(customer=a, kind="late_payment", serious=True, date=start, description="late")
    Incident.objects.create(customer=a, kind="other", serious=False, date=end, description="minor")
    Incident.objects.create(customer=a, kind="other", serious=False, date=start - dt.timedelta(days=1), description="before")
    env.fill(20)

    with django_assert_max_num_queries(15):  # set-based: not one query per customer
        cycle = services.open_cycle(env.dept, actor=env.dm)

    assert cycle.review_count == 22 and cycle.reviews.count() == 22
    assert not Review.objects.filter(customer=outside).exists()
    ra = Review.objects.get(customer=a)
    assert (ra.cycle_id, ra.owner_id, ra.unit_id) == (cycle.pk, env.rep.pk, env.team.pk)
    assert (ra.scheme, ra.current_level, ra.incidents, ra.serious_incidents) == ("vip", "preferred", 2, 1)
    assert (ra.status, ra.policy_version >= 0, ra.clause) == ("draft", True, "grading.review_interval_months")
    rb = Review.objects.get(customer=b)
    assert (rb.current_level, rb.incidents, rb.owner_id) == ("", 0, env.dm.pk)
    assert cycle.clause == "grading.review_interval_months"
    assert AuditEvent.objects.filter(event_type="review.cycle_opened", data__reviews=22).exists()


def test_same_unit_and_period_twice_is_refused(env):
    env.customer()
    services.open_cycle(env.dept, actor=env.dm)
    with pytest.raises(Conflict, match="already exists"):
        services.open_cycle(env.dept, actor=env.dm)


def test_customer_is_reviewed_once_per_period(env):
    env.customer()
    env.customer(unit=env.dept, owner=env.dm)
    team_cycle = services.open_cycle(env.team, actor=env.dm)
    dept_cycle = services.open_cycle(env.dept, actor=env.dm)
    assert (team_cycle.review_count, dept_cycle.review_count) == (1, 1)


def test_manager_opens_only_for_own_units(env):
    env.customer(unit=env.other, owner=env.odm)
    with pytest.raises(NotAllowed):
        services.open_cycle(env.other, actor=env.dm)
    assert not ReviewCycle.objects.exists()


def test_periodic_job_opens_last_period_for_departments_once(env):
    env.customer()
    env.customer(unit=env.other, owner=env.odm)
    hq = env.customer(unit=env.company, owner=env.gm)
    on = D(2026, 1, 5)
    assert tasks.open_due_cycles(today=on.isoformat()) == 3
    cycles = {c.unit_id: c for c in ReviewCycle.objects.all()}
    assert set(cycles) == {env.dept.pk, env.other.pk, env.company.pk}
    assert all((c.period_start, c.period_end, c.opened_by_id) == (D(2025, 7, 1), D(2025, 12, 31), None) for c in cycles.values())
    assert Review.objects.filter(customer=hq, cycle=cycles[env.company.pk]).exists()
    assert Review.objects.count() == 3
    assert tasks.open_due_cycles(today=on.isoformat()) == 0  # idempotent
