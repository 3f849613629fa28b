"""The blacklist on the customer page (guanxi.customers.panels): a banner while the customer is
on a list in force, and a side panel with the entries and the “Add to blacklist” button."""

from __future__ import annotations

from django.urls import reverse

from . import queries
from .models import EntryStatus, Level


def banner(customer, user) -> dict | None:
    """Active entries (company first) and whether they block the user's own units; also a
    record whose status says “blacklisted” without an entry in force."""
    from guanxi.customers.models import Status

    active = [e for e in queries.entries_for_customer(customer, user) if e.status == EntryStatus.ACTIVE]
    active.sort(key=lambda e: (e.level != Level.COMPANY, e.created_at))
    company = [e for e in active if e.level == Level.COMPANY]
    status_only = customer.status == Status.BLACKLISTED and not company
    if not active and not status_only:
        return None
    chain = queries.user_unit_chain(user.pk)
    blocking = [e for e in active if e.level == Level.COMPANY or e.unit_id in chain]
    return {
        "entries": active,
        "company": company,
        "departments": [e for e in active if e.level == Level.DEPARTMENT],
        "blocks_user": bool(blocking) or status_only,
        "status_only": status_only,
    }


def side(customer, user) -> dict | None:
    can_view = user.has_perm("blacklist.view_blacklistentry")
    can_add = user.has_perm("blacklist.add_blacklistentry") and not customer.merged_into_id
    if not (can_view or can_add):
        return None
    entries = list(queries.entries_for_customer(customer, user)[:10]) if can_view else []
    return {
        "entries": entries,
        "add_url": f"{reverse('blacklist:add')}?customer={customer.pk}" if can_add else "",
        "list_url": reverse("blacklist:list") if can_view else "",
    }
