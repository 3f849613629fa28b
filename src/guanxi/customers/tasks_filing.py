"""Periodic jobs of filing & completeness: the weekly check of new records (seed 001 §5.1.1)
and the monthly reminder of overdue handbook updates (seed 004 §13.2.3)."""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from celery.schedules import crontab

from guanxi.core.periodic import periodic

from . import filing, handbook_review


@periodic(crontab(hour=6, minute=30))
@shared_task(name="customers.weekly_completeness_check", acks_late=True)
def weekly_completeness_check(today: str | None = None, force: bool = False) -> int:
    """Runs every morning and does the check on the policy's weekday
    (`deadlines.completeness_check_weekday`, Monday by default), so changing the weekday in the
    policy needs no new schedule. Incomplete records created in the past week are sent back to
    their unit; idempotent (one open return task per customer). `today` (ISO date) and `force`
    are for tests and back-filling. Returns the number of tasks created."""
    on = dt.date.fromisoformat(today) if today else filing.today()
    if not force and not filing.is_check_day(on):
        return 0
    return filing.weekly_check(on)


@periodic(crontab(hour=6, minute=40))
@shared_task(name="customers.remind_handbook_updates", acks_late=True)
def remind_handbook_updates(today: str | None = None, force: bool = False) -> int:
    """Runs every morning and reminds on the first of the month: each owner hears how many of
    their customers' handbooks are overdue. Returns the number of owners told."""
    on = dt.date.fromisoformat(today) if today else filing.today()
    if not force and not handbook_review.is_reminder_day(on):
        return 0
    return handbook_review.remind(on)


__all__ = ["remind_handbook_updates", "weekly_completeness_check"]
