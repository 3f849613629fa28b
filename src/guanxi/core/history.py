"""Field-level history (F-CUS-7) on top of django-simple-history.

Every historical row is stamped with the acting context (web request, API call, Celery task or
management command), so changes made outside a web request still say who and what made them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from simple_history.models import HistoricalChanges
from simple_history.signals import pre_create_historical_record

from . import context


def stamp_history(sender, instance, history_instance, **kwargs):
    ctx = context.current()
    history_instance.history_source = ctx.source
    history_instance.history_request_id = ctx.request_id
    history_instance.history_task_id = ctx.task_id
    history_instance.history_ip = ctx.ip
    if getattr(history_instance, "history_user_id", None) is None and ctx.actor_id:
        history_instance.history_user_id = ctx.actor_id


def connect():
    pre_create_historical_record.connect(stamp_history, dispatch_uid="guanxi_stamp_history")


@dataclass
class FieldChange:
    field: str
    label: str
    old: Any
    new: Any


@dataclass
class HistoryEntry:
    record: HistoricalChanges
    kind: str  # created | changed | deleted
    changes: list[FieldChange]


def entries(instance, limit: int = 50) -> list[HistoryEntry]:
    """Newest first: each change with before → after per field."""
    records = list(instance.history.select_related("history_user").order_by("-history_date", "-history_id")[: limit + 1])
    kinds = {"+": "created", "~": "changed", "-": "deleted"}
    out = []
    for i, rec in enumerate(records[:limit]):
        prev = records[i + 1] if i + 1 < len(records) else None
        changes = []
        if prev is not None:
            delta = rec.diff_against(prev)
            for c in delta.changes:
                label = str(instance._meta.get_field(c.field).verbose_name) if hasattr(instance, c.field) else c.field
                changes.append(FieldChange(c.field, label, c.old, c.new))
        out.append(HistoryEntry(rec, kinds.get(rec.history_type, rec.history_type), changes))
    return out
