"""Read side of the customer archive: querysets for lists, pages and the API, always through
the data scope, with the related rows loaded up front (no query per row).

- `customer_list(user)`: live customers the user may view, with owner, unit, region and tags.
- `customer_detail(user, pk)`: one customer (404 when out of scope) with everything its page
  shows; `contacts_by_department(customer)` groups its contacts (seed 004 13.2.2).
- `contact_list(user)`: contacts of customers in scope.
- `page_without_count(qs, page, per_page)`: a page of a large list without `count(*)`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Prefetch
from django.shortcuts import get_object_or_404

from .models import Contact, Customer, CustomerDepartment, CustomerMember

LIST_RELATED = ("owner", "unit", "region")


def customer_list(user, *, action: str = "view", include_merged: bool = False):
    qs = Customer.objects.restrict(user, action)
    if not include_merged:
        qs = qs.live()
    return qs.select_related(*LIST_RELATED).prefetch_related("tags")


def customer_detail(user, pk, *, action: str = "view") -> Customer:
    qs = (
        Customer.objects.restrict(user, action)
        .select_related("owner", "unit", "region", "created_by", "merged_into")
        .prefetch_related(
            "tags",
            Prefetch("departments", queryset=CustomerDepartment.objects.order_by("name")),
            Prefetch("contacts", queryset=Contact.objects.select_related("department").order_by("-is_primary", "name")),
            Prefetch("members", queryset=CustomerMember.objects.current().select_related("user")),
        )
    )
    return get_object_or_404(qs, pk=pk)


@dataclass
class DepartmentGroup:
    department: CustomerDepartment | None
    contacts: list[Contact] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.department.name if self.department else ""


def contacts_by_department(customer: Customer) -> list[DepartmentGroup]:
    """The customer's departments in name order (each with its contacts), then the contacts
    without a department. Uses prefetched rows when customer_detail loaded them."""
    groups = {d.pk: DepartmentGroup(d) for d in customer.departments.all()}
    loose = DepartmentGroup(None)
    for contact in customer.contacts.all():
        groups.get(contact.department_id, loose).contacts.append(contact)
    out = sorted(groups.values(), key=lambda g: g.name)
    if loose.contacts:
        out.append(loose)
    return out


def contact_list(user, *, action: str = "view"):
    return Contact.objects.restrict(user, action).select_related("customer", "department")


@dataclass
class Page:
    """What a template needs to page through a list without knowing its length."""

    object_list: list
    number: int
    per_page: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def next_page_number(self) -> int:
        return self.number + 1

    @property
    def previous_page_number(self) -> int:
        return self.number - 1

    def __iter__(self):
        return iter(self.object_list)

    def __len__(self):
        return len(self.object_list)


def page_without_count(qs, page=1, per_page: int = 50, *, max_page: int = 10_000) -> Page:
    """One page of `qs` (ordered): fetches per_page + 1 rows to know whether a next page
    exists, never counts the table."""
    try:
        number = max(1, min(int(page), max_page))
    except (TypeError, ValueError):
        number = 1
    start = (number - 1) * per_page
    rows = list(qs[start : start + per_page + 1])
    return Page(rows[:per_page], number, per_page, len(rows) > per_page)
