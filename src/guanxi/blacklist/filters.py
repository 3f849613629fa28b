"""Filters of the blacklist page (and the API): list level, status, unit, customer name."""

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from guanxi.accounts.models import OrgUnit

from .models import BlacklistEntry, EntryStatus, Level


class EntryFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(field_name="customer__name", lookup_expr="icontains", label=_("Customer name"))
    level = django_filters.ChoiceFilter(choices=Level.choices, label=_("List"), empty_label=_("All"))
    status = django_filters.ChoiceFilter(choices=EntryStatus.choices, label=_("Status"), empty_label=_("All"))
    unit = django_filters.ModelChoiceFilter(
        queryset=OrgUnit.objects.none(), label=_("Unit"), empty_label=_("All"), widget=forms.Select(attrs={"data-tom-select": ""})
    )

    class Meta:
        model = BlacklistEntry
        fields = ["q", "level", "status", "unit"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = getattr(self.request, "user", None)
        self.filters["unit"].queryset = OrgUnit.objects.restrict(user, "view") if user is not None else OrgUnit.objects.none()
