"""Periodic jobs: declared with core.periodic, scheduled by beat from JOBS, run in-process by
`manage.py runscheduler`, and stamped with the task's acting context."""

import pytest
from celery.signals import task_prerun
from django.core.management import call_command

from guanxi.celery import PeriodicScheduler
from guanxi.celery import app as celery_app
from guanxi.core import context
from guanxi.core.models import AuditEvent, WorkdayOverride
from guanxi.core.periodic import JOBS
from guanxi.core.tasks import CALENDAR_EVENT, check_calendar

FAR = "2099-06-01"  # a year no chinese-calendar release knows


def test_every_periodic_job_is_a_registered_task():
    celery_app.loader.import_default_modules()
    assert "core.check_calendar" in JOBS
    for name in JOBS:
        assert name in celery_app.tasks, f"{name} is scheduled but no task has that name"


def test_beat_schedule_is_built_from_jobs(tmp_path):
    scheduler = PeriodicScheduler(app=celery_app, schedule_filename=str(tmp_path / "beat"), lazy=False)
    try:
        for name, job in JOBS.items():
            assert name in scheduler.schedule, f"beat does not schedule {name}"
            assert scheduler.schedule[name].task == name
            assert scheduler.schedule[name].schedule == job.schedule
    finally:
        scheduler.close()


@pytest.mark.django_db
def test_check_calendar_audits_unknown_years_once_per_day():
    result = check_calendar.apply(kwargs={"today": FAR})
    assert result.successful(), result.traceback
    assert result.result == [2099, 2100]
    events = list(AuditEvent.objects.filter(event_type=CALENDAR_EVENT).order_by("id"))
    assert [e.data["year"] for e in events] == [2099, 2100]
    assert {(e.source, e.task_id) for e in events} == {("task", result.id)}

    again = check_calendar.apply(kwargs={"today": FAR})
    assert again.result == [2099, 2100]
    assert AuditEvent.objects.filter(event_type=CALENDAR_EVENT).count() == 2, "the job is not idempotent"


@pytest.mark.django_db
def test_check_calendar_quiet_once_holidays_are_entered():
    import datetime as dt

    WorkdayOverride.objects.create(date=dt.date(2099, 10, 1), is_workday=False, note="National Day")
    WorkdayOverride.objects.create(date=dt.date(2100, 1, 1), is_workday=False, note="New Year")
    assert check_calendar.apply(kwargs={"today": FAR}).result == []
    assert not AuditEvent.objects.filter(event_type=CALENDAR_EVENT).exists()


@pytest.mark.django_db
def test_task_context_is_restored_afterwards():
    outer = context.begin_command("test")
    try:
        result = check_calendar.apply(kwargs={"today": FAR})
        assert AuditEvent.objects.filter(task_id=result.id, source="task").exists()
        assert context.current() == outer, "the command's acting context was not restored after the task"
    finally:
        context.end()


@pytest.mark.django_db
def test_runscheduler_once_runs_every_job_in_process():
    ran = []

    def seen(sender=None, task_id=None, task=None, **kwargs):
        ran.append(task.name)

    task_prerun.connect(seen, weak=False)
    try:
        call_command("runscheduler", "--once")
    finally:
        task_prerun.disconnect(seen)
    assert sorted(ran) == sorted(JOBS), "runscheduler --once must run each periodic job exactly once"
