"""Periodic job of admission: expiring and expired documents (F-GRD-5)."""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from celery.schedules import crontab

from guanxi.core.periodic import periodic

from . import services


@periodic(crontab(hour=7, minute=10))
@shared_task(name="admission.check_expiry", acks_late=True)
def check_expiry(today: str | None = None) -> dict:
    """Daily: reminders before an admission document expires and expired items marked (see
    services.check_expiry; idempotent). `today` (ISO date) is for tests and back-filling."""
    return services.check_expiry(dt.date.fromisoformat(today) if today else None)


__all__ = ["check_expiry"]
