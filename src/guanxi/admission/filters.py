"""Filters of the admission list."""

from __future__ import annotations

import datetime as dt

import django_filters
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guanxi.customers.models import Category

from .models import Admission, AdmissionStatus, CustomerKind

OPEN = "open"


class AdmissionFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Customer"), method="filter_q", widget=forms.TextInput(attrs={"placeholder": _("Name")}))
    status = django_filters.ChoiceFilter(
        label=_("Status"),
        choices=[(OPEN, _("Pending (not decided)")), *AdmissionStatus.choices],
        method="filter_status",
        empty_label=_("All"),
    )
    customer_kind = django_filters.ChoiceFilter(label=_("Kind of customer"), choices=CustomerKind.choices, empty_label=_("All"))
    category = django_filters.ChoiceFilter(
        label=_("Category"), field_name="customer__category", choices=Category.choices, empty_label=_("All")
    )
    expiring_within = django_filters.NumberFilter(
        label=_("Expiring within (days)"), method="filter_expiring", widget=forms.NumberInput(attrs={"min": 0, "max": 3660})
    )
    expired = django_filters.BooleanFilter(
        label=_("With expired items"),
        method="filter_expired",
        widget=forms.Select(choices=[("", _("All")), ("true", _("Yes")), ("false", _("No"))]),
    )

    class Meta:
        model = Admission
        fields = ["q", "status", "customer_kind", "category", "expiring_within", "expired"]

    def filter_q(self, qs, name, value):
        value = (value or "").strip()
        return qs.filter(customer__name__icontains=value) if value else qs

    def filter_status(self, qs, name, value):
        if value == OPEN:
            return qs.open()
        return qs.filter(status=value) if value else qs

    def filter_expiring(self, qs, name, value):
        if value is None:
            return qs
        days = max(0, min(int(value), 3660))
        today = timezone.localdate()
        soon = Admission.objects.filter(
            items__required=True, items__expires_on__gte=today, items__expires_on__lte=today + dt.timedelta(days=days)
        ).values("pk")
        return qs.filter(pk__in=soon)

    def filter_expired(self, qs, name, value):
        if value is None:
            return qs
        today = timezone.localdate()
        expired = Admission.objects.filter(items__required=True, items__expires_on__lt=today).values("pk")
        return qs.filter(pk__in=expired) if value else qs.exclude(pk__in=expired)
