"""Tasks for the job tests only (a worker loads them with `--include tests.support.tasks`)."""

import datetime as dt

from celery import shared_task


@shared_task(name="tests.add_holiday")
def add_holiday(date: str, note: str) -> int:
    """Writes through a real service: a field-history row and an audit event."""
    from guanxi.core.services import add_workday_override

    return add_workday_override(date=dt.date.fromisoformat(date), is_workday=False, note=note).pk
