"""Excel export of the admission list (scoped, formula-safe, audited)."""

from __future__ import annotations

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.core import audit
from guanxi.customers import xlsx

from . import rules

MAX_ROWS = 100_000


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


def _rows(queryset, counter):
    for admission in queryset.select_related("customer__owner", "customer__unit").iterator(chunk_size=2000):
        if counter[0] >= MAX_ROWS:
            return
        counter[0] += 1
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


def export_admissions(queryset, *, filters: dict | None = None) -> HttpResponse:
    """`queryset` must come from Admission.objects.restrict(user, "export")."""
    counter = [0]
    data = xlsx.write_workbook([(_("Admissions"), columns(), _rows(queryset, counter))])
    audit.record("export.downloaded", data={"model": "admission.admission", "rows": counter[0], "format": "xlsx", "filters": filters or {}})
    response = HttpResponse(data, content_type=xlsx.XLSX_CONTENT_TYPE)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="admissions-{stamp}.xlsx"'
    return response
