"""The weekly check of new records sends incomplete ones back to their unit (seed 001 §5.1.1,
F-CUS-5): only new and incomplete records, one open task per customer, safe to run again."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from guanxi.core.models import AuditEvent
from guanxi.customers import filing
from guanxi.customers.models import Customer, ReturnTask
from guanxi.customers.tasks_filing import weekly_completeness_check
from guanxi.policy.services import current

pytestmark = pytest.mark.django_db
MONDAY = dt.date(2025, 10, 20)


def _at(day: dt.date, hour=10):
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def _complete(units, make_customer, **kw):
    return make_customer(
        units.sales,
        category="special",
        special_kind="bank",
        supervising_unit="人民银行",
        address="北京市西城区",
        phone="010-66194114",
        contacts=[{"name": "赵敏", "mobile": "13812345678"}],
        **kw,
    )


def test_only_incomplete_new_records_are_sent_back_once(units, make_customer):
    incomplete_new = make_customer(units.east, category="direct", created_at=_at(MONDAY - dt.timedelta(days=3)))
    complete_new = _complete(units, make_customer, created_at=_at(MONDAY - dt.timedelta(days=2)))
    incomplete_old = make_customer(units.sales, category="direct", created_at=_at(MONDAY - dt.timedelta(days=30)))
    created_today = make_customer(units.sales, category="direct", created_at=_at(MONDAY, 9))  # next week's check
    merged = make_customer(units.sales, category="direct", created_at=_at(MONDAY - dt.timedelta(days=1)))
    Customer.objects.filter(pk=merged.pk).update(merged_into=complete_new)

    assert filing.weekly_check(MONDAY) == 1
    task = ReturnTask.objects.get()
    assert (task.customer_id, task.unit_id) == (incomplete_new.pk, units.east.pk)
    assert task.resolved_at is None and task.reason == "incomplete"
    assert "contacts" in task.missing_fields and task.missing_fields == Customer.objects.get(pk=incomplete_new.pk).missing_fields
    assert task.policy_version == current().version
    assert task.clause == "deadlines.completeness_check_weekday"
    assert task.history.count() == 1  # field history
    assert not ReturnTask.objects.filter(customer__in=[complete_new, incomplete_old, created_today, merged]).exists()

    # Running again (Celery acks late; a retry) creates nothing new.
    assert filing.weekly_check(MONDAY) == 0
    assert ReturnTask.objects.count() == 1
    assert AuditEvent.objects.filter(event_type="customer.weekly_check").count() == 2


def test_completing_the_record_resolves_the_task_and_a_later_gap_returns_it_again(units, make_customer):
    c = make_customer(units.sales, category="direct", created_at=_at(MONDAY - dt.timedelta(days=1)))
    filing.weekly_check(MONDAY)
    task = ReturnTask.objects.get(customer=c)
    from guanxi.customers import completeness
    from guanxi.policy.schema import default_policy

    policy = default_policy()
    policy.customers.required_fields = {**policy.customers.required_fields, "direct": ["name"]}
    completeness.refresh(c, policy=policy)
    task.refresh_from_db()
    assert task.resolved_at is not None
    # Incomplete again (the shipped policy asks for more): a new task may open.
    assert filing.weekly_check(MONDAY) == 1
    assert ReturnTask.objects.filter(customer=c).count() == 2
    assert ReturnTask.objects.filter(customer=c, resolved_at__isnull=True).count() == 1


def test_the_database_refuses_a_second_open_task(units, make_customer):
    c = make_customer(units.sales)
    ReturnTask.objects.create(customer=c, unit=units.sales)
    with pytest.raises(IntegrityError), transaction.atomic():
        ReturnTask.objects.create(customer=c, unit=units.sales)
    ReturnTask.objects.create(customer=c, unit=units.sales, resolved_at=timezone.now())  # closed ones are fine


def test_the_task_runs_on_the_policy_weekday_only(units, make_customer):
    make_customer(units.sales, category="direct", created_at=_at(MONDAY - dt.timedelta(days=1)))
    assert weekly_completeness_check(today="2025-10-21") == 0  # a Tuesday
    assert not ReturnTask.objects.exists()
    assert weekly_completeness_check(today=MONDAY.isoformat()) == 1
    assert weekly_completeness_check(today=MONDAY.isoformat()) == 0


def test_the_job_is_scheduled():
    from guanxi.core.periodic import JOBS

    assert "customers.weekly_completeness_check" in JOBS
