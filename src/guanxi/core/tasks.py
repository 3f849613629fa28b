"""Periodic jobs of core."""

from __future__ import annotations

import datetime as dt
import logging

from celery import shared_task
from celery.schedules import crontab
from django.db import transaction
from django.utils import timezone

from . import audit, workdays
from .models import AuditEvent
from .periodic import periodic

log = logging.getLogger(__name__)

CALENDAR_EVENT = "calendar.year_unknown"


@transaction.atomic
def warn_unknown_years(today: dt.date) -> list[int]:
    """Audits, once per year and day, that the working-day calendar of this year or the next is
    unknown (neither the chinese-calendar package nor a holiday override covers it), so
    administrators enter that year's holidays. Returns the unknown years."""
    years = workdays.unknown_years(today)
    for year in years:
        if AuditEvent.objects.filter(event_type=CALENDAR_EVENT, data__year=year, data__checked_on=today.isoformat()).exists():
            continue
        audit.record(CALENDAR_EVENT, data={"year": year, "checked_on": today.isoformat()})
        log.warning("The working-day calendar of %s is unknown: enter its holidays as working-day overrides.", year)
    return years


@periodic(crontab(hour=7, minute=30))
@shared_task(name="core.check_calendar")
def check_calendar(today: str | None = None) -> list[int]:
    """Daily: warn about years without a working-day calendar. Idempotent. `today` (ISO date)
    is for tests and back-filling; by default the local date."""
    day = dt.date.fromisoformat(today) if today else timezone.localdate()
    return warn_unknown_years(day)
