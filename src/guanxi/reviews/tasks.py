"""Periodic jobs of reviews: open the review cycles that are due, escalate late downgrade tasks."""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from celery.schedules import crontab

from guanxi.core.periodic import periodic

from . import services


@periodic(crontab(hour=5, minute=40))
@shared_task(name="reviews.open_due_cycles", acks_late=True)
def open_due_cycles(today: str | None = None) -> int:
    """Every morning: opens the review cycles of the period that has just ended (idempotent: one
    cycle per unit and period). `today` (ISO date) is for tests. Returns how many were opened."""
    on = dt.date.fromisoformat(today) if today else None
    return len(services.open_due_cycles(on))


@periodic(crontab(minute=15))
@shared_task(name="reviews.escalate_late_downgrades", acks_late=True)
def escalate_late_downgrades(today: str | None = None) -> int:
    """Every hour: late downgrade tasks are marked escalated (once) and notified."""
    on = dt.date.fromisoformat(today) if today else None
    return len(services.escalate_late_downgrades(on))


__all__ = ["escalate_late_downgrades", "open_due_cycles"]
