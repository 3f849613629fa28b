"""Periodic job of the personal-data requests: whoever recorded a request that is past its
answer date hears it once (privacy_requests.remind)."""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from celery.schedules import crontab

from guanxi.core.periodic import periodic

from . import privacy_requests


@periodic(crontab(hour=8, minute=0))
@shared_task(name="customers.remind_overdue_personal_data_requests", acks_late=True)
def remind_overdue_personal_data_requests(today: str | None = None) -> int:
    """Returns how many people were told; idempotent (each request reminds once)."""
    return privacy_requests.remind(dt.date.fromisoformat(today) if today else None)


__all__ = ["remind_overdue_personal_data_requests"]
