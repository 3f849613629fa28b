"""Incidents and downgrade tasks (F-GRD-4, seed 002 §五.3.3)."""

from __future__ import annotations

import datetime as dt

import pytest

from guanxi.core.errors import DomainError
from guanxi.grading.models import CustomerGrade
from guanxi.notifications.models import Notification
from guanxi.reviews import services, tasks
from guanxi.reviews.models import DowngradeTask


def _incident(env, customer, serious=True, kind="late_payment"):
    return services.record_incident(customer, actor=env.rep, kind=kind, serious=serious, date=None, description="货款逾期60天")


def test_serious_incident_opens_a_task_due_in_five_days(env):
    customer = env.customer("vip")
    incident = _incident(env, customer)
    task = DowngradeTask.objects.get(customer=customer)
    assert task.incident == incident
    assert task.due_date == services.today() + dt.timedelta(days=5)
    assert (task.from_level, task.to_level, task.assignee_id, task.unit_id) == ("vip", "preferred", env.dm.pk, env.dept.pk)
    assert (task.clause, task.status) == ("grading.downgrade_within_days", "open")
    assert Notification.objects.filter(recipient=env.dm, kind="reviews.downgrade_opened").exists()


@pytest.mark.parametrize(("level", "serious"), [("qualified", True), ("", True), ("vip", False)])
def test_no_task_at_the_lowest_level_without_grade_or_when_not_serious(env, level, serious):
    customer = env.customer(level)
    _incident(env, customer, serious=serious)
    assert not DowngradeTask.objects.exists()


def test_one_open_task_per_customer(env):
    customer = env.customer("vip")
    _incident(env, customer)
    _incident(env, customer, kind="crisis")
    assert DowngradeTask.objects.filter(customer=customer).count() == 1


def test_bad_incident_input_is_refused(env):
    customer = env.customer("vip")
    with pytest.raises(DomainError):
        services.record_incident(customer, actor=env.rep, kind="x", serious=True, date=None, description="x")
    with pytest.raises(DomainError):
        services.record_incident(customer, actor=env.rep, kind="other", serious=True, date=None, description=" ")
    future = services.today() + dt.timedelta(days=1)
    with pytest.raises(DomainError, match="future"):
        services.record_incident(customer, actor=env.rep, kind="other", serious=True, date=future, description="x")


def test_late_task_is_escalated_once_and_notified(env):
    customer = env.customer("vip")
    _incident(env, customer)
    task = DowngradeTask.objects.get()
    on_time = task.due_date
    assert tasks.escalate_late_downgrades(today=on_time.isoformat()) == 0
    late = on_time + dt.timedelta(days=1)
    assert tasks.escalate_late_downgrades(today=late.isoformat()) == 1
    task.refresh_from_db()
    assert task.escalated_at is not None and task.status == "open"
    notified = set(Notification.objects.filter(kind="reviews.downgrade_late").values_list("recipient_id", flat=True))
    assert notified == {env.dm.pk, env.md.pk}  # the manager and the next level up (their supervisor)
    assert tasks.escalate_late_downgrades(today=late.isoformat()) == 0  # once


def test_next_level_up_without_supervisor_is_the_higher_unit_or_marketing(env):
    customer = env.customer("vip", unit=env.other, owner=env.odm)
    _incident(env, customer)
    task = DowngradeTask.objects.get()
    assert task.assignee_id == env.odm.pk
    assert services.next_level_up(task) == [env.md.pk]


def test_completing_applies_the_lower_grade(env):
    customer = env.customer("vip")
    env.fill(10)
    _incident(env, customer)
    task = services.complete_downgrade(DowngradeTask.objects.get(), actor=env.dm)
    assert (task.status, task.applied_level, task.completed_by_id) == ("done", "preferred", env.dm.pk)
    grade = CustomerGrade.objects.get(customer=customer)
    assert (grade.level, grade.source) == ("preferred", "downgrade")


def test_completing_with_a_level_that_is_not_lower_is_refused(env):
    customer = env.customer("preferred")
    _incident(env, customer)
    with pytest.raises(DomainError, match="not lower"):
        services.complete_downgrade(DowngradeTask.objects.get(), actor=env.dm, level="vip")
    assert DowngradeTask.objects.get().status == "open"
    assert CustomerGrade.objects.get(customer=customer).level == "preferred"


def test_cancel_needs_a_reason(env):
    customer = env.customer("vip")
    _incident(env, customer)
    task = DowngradeTask.objects.get()
    with pytest.raises(DomainError):
        services.cancel_downgrade(task, actor=env.dm, note="")
    assert services.cancel_downgrade(task, actor=env.dm, note="误报").status == "cancelled"
