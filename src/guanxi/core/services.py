"""Business actions of core: the company's working-day overrides (F-CUS-4)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from . import audit
from .errors import Conflict, DomainError
from .models import WorkdayOverride


@transaction.atomic
def add_workday_override(*, date: dt.date, is_workday: bool, note: str = "") -> WorkdayOverride:
    if WorkdayOverride.objects.filter(date=date).exists():
        raise Conflict(_("There is already an override for this date."), field="date")
    override = WorkdayOverride.objects.create(date=date, is_workday=is_workday, note=note.strip())
    audit.record(
        "workdays.override_added", subject=override, data={"date": date.isoformat(), "is_workday": is_workday, "note": override.note}
    )
    return override


@transaction.atomic
def delete_workday_override(override: WorkdayOverride) -> None:
    if override.pk is None:
        raise DomainError(_("This override does not exist."))
    data = {"date": override.date.isoformat(), "is_workday": override.is_workday, "note": override.note}
    audit.record("workdays.override_deleted", subject=override, data=data)
    override.delete()
