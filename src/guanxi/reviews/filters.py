"""Filters of the review, incident and downgrade-task lists (shared by pages, exports and API)."""

from __future__ import annotations

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from guanxi.accounts.models import OrgUnit

from .models import PENDING_STATUSES, DowngradeTask, Incident, IncidentKind, Rating, Review, ReviewCycle, ReviewStatus, TaskStatus

STATE_PENDING = "pending"
STATE_ALL = "all"


class _Scoped(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Customer"), field_name="customer__name", lookup_expr="icontains")

    def _restrict_choices(self):
        user = getattr(self.request, "user", None)
        if "owner" in self.filters:
            self.filters["owner"].queryset = get_user_model().objects.restrict(user, "view").order_by("username")
        if "unit" in self.filters:
            self.filters["unit"].queryset = OrgUnit.objects.restrict(user, "view").order_by("path")


class ReviewFilter(_Scoped):
    state = django_filters.ChoiceFilter(
        label=_("Status"),
        choices=[(STATE_PENDING, _("Not yet approved")), *ReviewStatus.choices, (STATE_ALL, _("All"))],
        method="filter_state",
        empty_label=None,
    )
    cycle = django_filters.ModelChoiceFilter(label=_("Review cycle"), queryset=ReviewCycle.objects.none())
    owner = django_filters.ModelChoiceFilter(
        label=_("Owner"), queryset=get_user_model().objects.none(), widget=forms.Select(attrs={"data-tom-select": ""})
    )
    unit = django_filters.ModelChoiceFilter(label=_("Unit"), queryset=OrgUnit.objects.none())
    result = django_filters.ChoiceFilter(label=_("Result"), choices=Rating.choices)

    class Meta:
        model = Review
        fields = ["q", "state", "cycle", "owner", "unit", "result"]

    def __init__(self, data=None, *args, **kwargs):
        data = data.copy() if data is not None else {}
        data.setdefault("state", STATE_PENDING)
        super().__init__(data, *args, **kwargs)
        self._restrict_choices()
        user = getattr(self.request, "user", None)
        self.filters["cycle"].queryset = ReviewCycle.objects.restrict(user, "view").select_related("unit")

    def filter_state(self, queryset, name, value):
        if value == STATE_ALL or not value:
            return queryset
        if value == STATE_PENDING:
            return queryset.filter(status__in=PENDING_STATUSES)
        return queryset.filter(status=value)


class IncidentFilter(_Scoped):
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=IncidentKind.choices)
    serious = django_filters.BooleanFilter(label=_("Serious"))
    date_from = django_filters.DateFilter(
        label=_("From"), field_name="date", lookup_expr="gte", widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = django_filters.DateFilter(
        label=_("Until"), field_name="date", lookup_expr="lte", widget=forms.DateInput(attrs={"type": "date"})
    )
    customer = django_filters.NumberFilter(field_name="customer_id", widget=forms.HiddenInput)

    class Meta:
        model = Incident
        fields = ["q", "kind", "serious", "date_from", "date_to", "customer"]


class DowngradeFilter(_Scoped):
    status = django_filters.ChoiceFilter(label=_("Status"), choices=TaskStatus.choices)
    late = django_filters.BooleanFilter(label=_("Escalated"), field_name="escalated_at", lookup_expr="isnull", exclude=True)
    assignee = django_filters.ModelChoiceFilter(label=_("Assigned to"), queryset=get_user_model().objects.none())

    class Meta:
        model = DowngradeTask
        fields = ["q", "status", "late", "assignee"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = getattr(self.request, "user", None)
        self.filters["assignee"].queryset = get_user_model().objects.restrict(user, "view").order_by("username")


class CycleFilter(django_filters.FilterSet):
    unit = django_filters.ModelChoiceFilter(label=_("Unit"), queryset=OrgUnit.objects.none())
    status = django_filters.ChoiceFilter(label=_("Status"), choices=ReviewCycle._meta.get_field("status").choices)

    class Meta:
        model = ReviewCycle
        fields = ["unit", "status"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = getattr(self.request, "user", None)
        self.filters["unit"].queryset = OrgUnit.objects.restrict(user, "view").order_by("path")
