"""Periodic job of grading: the nightly proposal run over every customer (F-GRD-2)."""

from __future__ import annotations

from celery import shared_task
from celery.schedules import crontab

from guanxi.core.periodic import periodic


@periodic(crontab(hour=2, minute=15))
@shared_task(name="grading.propose_grades", acks_late=True)
def propose_grades(year: int | None = None) -> dict:
    """Proposes a grade for every customer (set-based, idempotent: unchanged rows are not
    written). Returns the rows written per scheme."""
    from . import services

    result = services.run_proposals(year=year)
    return {"written": result.written, "per_scheme": result.per_scheme, "seconds": round(result.seconds, 2)}


__all__ = ["propose_grades"]
