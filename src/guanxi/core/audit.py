"""The one writer of business audit events (F-SEC-5). Services call record(); nothing updates
or deletes an AuditEvent (on PostgreSQL a trigger refuses it)."""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType

from . import context
from .models import AuditEvent


def record(event_type: str, *, subject=None, data: dict[str, Any] | None = None, actor=None, actor_id: int | None = None) -> AuditEvent:
    ctx = context.current()
    if actor is not None:
        actor_id = actor.pk
    elif actor_id is None:
        actor_id = ctx.actor_id
    fields: dict[str, Any] = {}
    if subject is not None:
        # A subject holding personal data names itself without it (see Contact.audit_repr).
        describe = getattr(subject, "audit_repr", None)
        fields = {
            "subject_type": ContentType.objects.get_for_model(subject, for_concrete_model=False),
            "subject_id": str(subject.pk),
            "subject_repr": (describe() if describe else str(subject))[:255],
        }
    return AuditEvent.objects.create(
        event_type=event_type,
        actor_id=actor_id,
        data=data or {},
        ip=ctx.ip,
        source=ctx.source,
        request_id=ctx.request_id,
        task_id=ctx.task_id,
        **fields,
    )


def events_for(subject):
    ct = ContentType.objects.get_for_model(subject, for_concrete_model=False)
    return AuditEvent.objects.filter(subject_type=ct, subject_id=str(subject.pk))
