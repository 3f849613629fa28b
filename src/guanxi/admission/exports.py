"""Excel export of the admission list (scoped, formula-safe, audited)."""

from __future__ import annotations

from django.http import HttpResponse
from django.utils.translation import gettext as _

from guanxi.customers import downloads

from . import rules


def columns() -> list[str]:
    return [
        _("Customer"),
        _("Category"),
        _("Owner"),
        _("Unit"),
        _("Kind of customer"),
        _("Status"),
        _("Completeness %"),
        _("Missing items"),
        _("Expired items"),
        _("Next expiry"),
        _("Submitted"),
        _("Admitted"),
        _("Policy version"),
        _("Policy clause"),
    ]


def _rows(queryset):
    for admission in queryset.select_related("customer__owner", "customer__unit").iterator(chunk_size=2000):
        customer = admission.customer
        yield [
            customer.name,
            customer.get_category_display(),
            customer.owner.get_full_name() if customer.owner else "",
            customer.unit.name,
            admission.get_customer_kind_display(),
            admission.get_status_display(),
            admission.completeness,
            ", ".join(rules.label(c) for c in admission.missing_items),
            ", ".join(rules.label(c) for c in admission.expired_items),
            admission.next_expiry,
            admission.submitted_at,
            admission.admitted_at,
            admission.policy_version,
            admission.clause,
        ]


def export_admissions(request, queryset, *, filters: dict | None = None) -> HttpResponse:
    """`queryset` must come from Admission.objects.restrict(user, "export")."""
    return downloads.respond(
        request,
        model_label="admission.admission",
        sheet=_("Admissions"),
        header=columns(),
        rows=_rows(queryset),
        filename="admissions",
        filters=filters,
    )
