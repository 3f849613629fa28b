"""Read side of the blacklists: which entries apply to a customer in a unit, what the customer
page and the duplicate check show."""

from __future__ import annotations

from django.utils.translation import gettext as _

from guanxi.accounts.models import OrgUnit

from .models import BlacklistEntry, EntryStatus, Level


def _customer_id(customer) -> int:
    return customer if isinstance(customer, int) else customer.pk


def unit_chain(unit) -> list[int]:
    """The unit and every unit above it (ids). `unit` is an OrgUnit, an id or None."""
    if unit is None:
        return []
    if not isinstance(unit, OrgUnit):
        unit = OrgUnit.objects.filter(pk=unit).only("pk", "path").first()
        if unit is None:
            return []
    return [*unit.ancestors_ids(), unit.pk]


def blocking_entries(customer, unit=None) -> list[BlacklistEntry]:
    """Active entries blocking business with `customer` in `unit`: company entries first."""
    qs = BlacklistEntry.objects.applying_to(unit_chain(unit)).filter(customer_id=_customer_id(customer)).select_related("unit")
    return sorted(qs, key=lambda e: (e.level != Level.COMPANY, e.created_at))


def status_blacklisted(customer) -> bool:
    from guanxi.customers.models import Customer, Status

    status = (
        customer.status if isinstance(customer, Customer) else Customer.objects.filter(pk=customer).values_list("status", flat=True).first()
    )
    return status == Status.BLACKLISTED


def is_blacklisted(customer, unit=None) -> bool:
    """Whether a company entry, an entry of `unit` or of a unit above it is in force (or the
    record's status says blacklisted)."""
    if BlacklistEntry.objects.applying_to(unit_chain(unit)).filter(customer_id=_customer_id(customer)).exists():
        return True
    return status_blacklisted(customer)


def user_unit_chain(user_id: int | None) -> set[int]:
    """The units of a user's current positions and every unit above them (from the user's
    cached principal, not a query)."""
    from guanxi.accounts.access import principal_by_id

    principal = principal_by_id(user_id)
    if principal is None:
        return set()
    ids = set(principal.unit_ids)
    for path in principal.unit_paths:
        ids |= {int(p) for p in (path or "").strip("/").split("/") if p}
    return ids


def hit_flags(ids) -> dict[int, list[str]]:
    """For the duplicate check (customers.duplicates): {customer id: labels} for the hits that
    are on the company blacklist or on the blacklist of the acting user's unit (or a unit
    above it). One indexed query over (customer, status) for all ids."""
    ids = list(ids)
    if not ids:
        return {}
    from guanxi.core import context

    chain = user_unit_chain(context.current().actor_id)
    rows = (
        BlacklistEntry.objects.applying_to(chain)
        .filter(customer_id__in=ids)
        .order_by("customer_id", "level", "created_at")
        .values_list("customer_id", "level", "unit__name")
    )
    out: dict[int, list[str]] = {}
    for customer_id, level, unit_name in rows:
        label = _("Company blacklist") if level == Level.COMPANY else _("Blacklist of %(unit)s") % {"unit": unit_name}
        if label not in out.setdefault(customer_id, []):
            out[customer_id].append(label)
    return out


def entries_for_customer(customer, user):
    """The entries of `customer` the user may see, newest first (the customer page)."""
    if user.has_perm("blacklist.view_blacklistentry"):
        qs = BlacklistEntry.objects.restrict(user, "view")
    else:  # the company list is announced to everyone
        qs = BlacklistEntry.objects.filter(level=Level.COMPANY, status__in=[EntryStatus.ACTIVE, EntryStatus.LIFTED])
    return qs.filter(customer_id=customer.pk).select_related("unit", "created_by").order_by("-created_at", "-id")
