"""Periodic escalation of approval steps that wait too long (policy approvals.escalate_after_hours)."""

from celery import shared_task

from guanxi.core.periodic import periodic

from . import services


@periodic(3600)
@shared_task(name="approvals.escalate_overdue", acks_late=True)
def escalate_overdue() -> list[int]:
    """Idempotent: a step just escalated is not overdue again for another escalate_after_hours.
    Returns the ids of the steps escalated."""
    return services.escalate_overdue()
