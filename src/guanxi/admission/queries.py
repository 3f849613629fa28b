"""Read side of admission: the customer page panels and list helpers."""

from __future__ import annotations

import datetime as dt

from django.db.models import Prefetch
from django.utils import timezone

from . import rules
from .models import Admission, AdmissionItem, AdmissionStatus


def for_customer(customer) -> Admission | None:
    return (
        Admission.objects.filter(customer=customer)
        .prefetch_related(Prefetch("items", queryset=AdmissionItem.objects.order_by("id")))
        .first()
    )


def item_rows(admission: Admission, today: dt.date | None = None) -> list[dict]:
    """The admission's items for display: label, state, expiry, documents."""
    today = today or timezone.localdate()
    soon = today + dt.timedelta(days=rules.reminder_days())
    rows = []
    for item in admission.items.all():
        rule = rules.ITEMS.get(item.code)
        expired = item.expires_on is not None and item.expires_on < today
        rows.append(
            {
                "item": item,
                "code": item.code,
                "label": rules.label(item.code),
                "rule": rule,
                "ok": item.code not in admission.missing_items,
                "expired": expired,
                "expiring": not expired and item.expires_on is not None and item.expires_on <= soon,
            }
        )
    return rows


def panel_context(customer, user) -> dict | None:
    """Side panel of the customer page: status, items with expiry, link (or a start button)."""
    if not user.has_perm("admission.view_admission"):
        return None
    admission = for_customer(customer)
    if admission is not None and not Admission.objects.restrict(user, "view").filter(pk=admission.pk).exists():
        return None
    codes, _clause = rules.checklist_for(customer.category)
    return {
        "admission": admission,
        "rows": item_rows(admission) if admission is not None else [],
        "checklist_labels": [rules.label(c) for c in codes] if admission is None else [],
        "can_start": admission is None and user.has_perm("admission.add_admission"),
    }


def banner_context(customer, user) -> dict | None:
    """A warning above the customer page when a required admission document has expired."""
    if not user.has_perm("admission.view_admission"):
        return None
    admission = Admission.objects.filter(customer=customer).exclude(status=AdmissionStatus.EXEMPT).only("pk", "expired_items").first()
    if admission is None or not admission.expired_items:
        return None
    return {"admission": admission, "labels": [rules.label(c) for c in admission.expired_items]}
