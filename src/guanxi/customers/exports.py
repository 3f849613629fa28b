"""Excel export of customer lists (F-SEC-2).

`export_customers(user, queryset)` writes the rows of `queryset` — which must come from
`Customer.objects.restrict(user, "export")`; it is narrowed to that scope again here — as an
xlsx (openpyxl write-only, so memory stays flat), with the export permission required, personal
fields masked for users without `customers.view_personal_contact`, every text cell neutralised
against formula injection, and one `export.downloaded` audit event with the row count and the
filters.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import HttpResponse
from django.utils.translation import gettext as _

from . import downloads
from .models import Contact, Customer
from .privacy import can_see_personal, masked_value, personal_fields

EXPORT_PERMISSION = "customers.export_customer"
CHUNK = 2000


def scoped(user, queryset):
    """`queryset` narrowed to the user's export scope (a no-op when it already is)."""
    from guanxi.accounts.access import principal_for

    principal = principal_for(user)
    level = principal.scope_level(Customer, "export") if principal else None
    if level is None:
        return queryset.none()
    if level == "all":
        return queryset
    return queryset.filter(Customer.scope_q(principal, level))


def columns() -> list[str]:
    return [
        _("Customer name"),
        _("Short name"),
        _("Unified social credit code"),
        _("Category"),
        _("Industry"),
        _("Scale"),
        _("Enterprise nature"),
        _("Region"),
        _("Address"),
        _("Phone"),
        _("Fax"),
        _("Email"),
        _("Website"),
        _("Source"),
        _("Status"),
        _("Key customer"),
        _("Tags"),
        _("Owner"),
        _("Owning unit"),
        _("First contact"),
        _("Filing deadline"),
        _("Filed at"),
        _("Completeness %"),
        _("Contact"),
        _("Contact title"),
        _("Contact phone"),
        _("Contact mobile"),
        _("Contact email"),
        _("Created"),
    ]


def _rows(queryset, reveal: bool):
    hidden = set() if reveal else set(personal_fields())

    def shown(contact, field: str) -> str:
        if contact is None:
            return ""
        return masked_value(contact, field) if field in hidden else (getattr(contact, field) or "")

    yes, no = _("yes"), _("no")
    primary = Prefetch(
        "contacts",
        queryset=Contact.objects.filter(erased_at__isnull=True)
        .order_by("-is_primary", "pk")
        .only("pk", "customer_id", "name", "title", "phone", "mobile", "email", "is_primary"),
        to_attr="export_contacts",
    )
    qs = queryset.select_related("owner", "unit", "region").prefetch_related("tags", primary)
    for c in qs.iterator(chunk_size=CHUNK):
        contact = c.export_contacts[0] if c.export_contacts else None
        yield [
            c.name,
            c.short_name,
            c.credit_code,
            c.get_category_display(),
            c.industry,
            c.get_scale_display(),
            c.get_nature_display(),
            c.region.name if c.region_id else "",
            c.address,
            c.phone,
            c.fax,
            c.email,
            c.website,
            c.get_source_display(),
            c.get_status_display(),
            yes if c.is_key else no,
            "、".join(t.name for t in c.tags.all()),
            (c.owner.full_name or c.owner.username) if c.owner_id else "",
            c.unit.name if c.unit_id else "",
            c.first_contact_date,
            c.filing_deadline,
            c.filed_at,
            c.completeness,
            contact.name if contact else "",
            contact.title if contact else "",
            shown(contact, "phone"),
            shown(contact, "mobile"),
            shown(contact, "email"),
            c.created_at,
        ]


def export_customers(user, queryset, *, filters: dict | None = None) -> HttpResponse:
    """The xlsx download of `queryset` for `user` (see the module docstring). Raises
    PermissionDenied (403) without the export permission, downloads.ExportTooLarge past the
    policy's cap."""
    if not user.has_perm(EXPORT_PERMISSION):
        raise PermissionDenied
    reveal = can_see_personal(user)
    return downloads.xlsx_download(
        user=user,
        model_label="customers.customer",
        sheet=_("Customers"),
        header=columns(),
        rows=_rows(scoped(user, queryset), reveal),
        filename="customers",
        filters=filters,
        audit_data={"masked": not reveal},
    )
