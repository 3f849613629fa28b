"""Periodic jobs, declared once next to their task and run two ways: by Celery beat in
production (guanxi.celery.PeriodicScheduler builds beat's schedule from JOBS), and by
`manage.py runscheduler` (in-process, same task functions) in the embedded default.

    @periodic(crontab(hour=7, minute=30))
    @shared_task(name="core.check_calendar")
    def check_calendar(): ...

Jobs must be idempotent (safe to run twice, Celery acks late) and take no required arguments.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from celery.schedules import BaseSchedule, crontab, schedule


@dataclass(frozen=True)
class Job:
    name: str  # the Celery task name
    schedule: BaseSchedule  # celery.schedules.schedule (every n seconds) or crontab (Asia/Shanghai)


JOBS: dict[str, Job] = {}


def _as_schedule(value) -> BaseSchedule:
    if isinstance(value, BaseSchedule):  # schedule, crontab, solar
        return value
    if isinstance(value, timedelta):
        return schedule(run_every=value)
    if isinstance(value, int | float) and value > 0:
        return schedule(run_every=timedelta(seconds=value))
    raise TypeError(f"a periodic schedule is seconds, a timedelta or a crontab, not {value!r}")


def periodic(every):
    """Decorator for a Celery task: run it on `every` (seconds, a timedelta or a crontab)."""
    sched = _as_schedule(every)

    def wrap(task):
        JOBS[task.name] = Job(task.name, sched)
        return task

    return wrap


def beat_schedule() -> dict:
    return {job.name: {"task": job.name, "schedule": job.schedule} for job in JOBS.values()}


__all__ = ["JOBS", "Job", "beat_schedule", "crontab", "periodic"]
