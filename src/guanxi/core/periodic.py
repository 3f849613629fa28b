"""Periodic jobs, declared once next to their task and run two ways: by Celery beat in
production, and by `manage.py runscheduler` (in-process, same functions) in the embedded default."""

from __future__ import annotations

from dataclasses import dataclass

from celery.schedules import crontab


@dataclass(frozen=True)
class Job:
    name: str  # the Celery task name
    schedule: crontab | float  # seconds or a crontab (Asia/Shanghai)


JOBS: dict[str, Job] = {}


def periodic(schedule):
    """Decorator for a Celery task: run it on `schedule` (seconds or a crontab)."""

    def wrap(task):
        JOBS[task.name] = Job(task.name, schedule)
        return task

    return wrap


def beat_schedule() -> dict:
    return {job.name: {"task": job.name, "schedule": job.schedule} for job in JOBS.values()}
