from __future__ import annotations

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from guanxi.customers.xlsx import ACCEPTED_HELP

from .fields import CREDIT_RATINGS, FINANCIAL_STATES
from .models import BusinessFigure, CustomerGrade, GradeChange, GradeSource


def customers_in_scope(user, model, action: str):
    """Live customers whose `model` rows (scoped through the customer) `user` may `action`."""
    from guanxi.accounts.access import principal_for
    from guanxi.customers.models import Customer

    principal = principal_for(user)
    level = principal.scope_level(model, action) if principal else None
    qs = Customer.objects.filter(merged_into__isnull=True)
    if level is None:
        return qs.none()
    if level == "all":
        return qs
    return qs.filter(Customer.scope_q(principal, level))


class CustomerIdField(forms.ModelChoiceField):
    """A customer chosen by id (a select of a million customers cannot be rendered)."""

    widget = forms.NumberInput

    def label_from_instance(self, obj):
        return obj.name


class BusinessFigureForm(forms.Form):
    customer = CustomerIdField(label=_("Customer (id)"), queryset=None)
    year = forms.IntegerField(label=_("Year"), min_value=1990, max_value=2100)
    sales = forms.DecimalField(label=_("Sales (¥)"), min_value=0, max_digits=16, decimal_places=2, required=False)
    payments = forms.DecimalField(label=_("Payments received (¥)"), min_value=0, max_digits=16, decimal_places=2, required=False)
    collection = forms.DecimalField(label=_("Collection (¥)"), min_value=0, max_digits=16, decimal_places=2, required=False)
    overdue_payments = forms.IntegerField(label=_("Overdue payments"), min_value=0, max_value=100_000, required=False)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args, user=None, instance=None, **kwargs):
        self.instance = instance
        if instance is not None:
            kwargs["initial"] = {
                **(kwargs.get("initial") or {}),
                **{
                    "customer": instance.customer_id,
                    "year": instance.year,
                    "sales": instance.sales,
                    "payments": instance.payments,
                    "collection": instance.collection,
                    "overdue_payments": instance.overdue_payments,
                    "note": instance.note,
                },
            }
        super().__init__(*args, **kwargs)
        self.user = user
        action = "change" if instance is not None else "add"
        self.fields["customer"].queryset = customers_in_scope(user, BusinessFigure, action)
        if instance is not None:
            self.fields["customer"].disabled = True
            self.fields["customer"].help_text = str(instance.customer)


class ImportForm(forms.Form):
    file = forms.FileField(label=_("File"), help_text=ACCEPTED_HELP)


class GradingProfileForm(forms.Form):
    credit_rating = forms.ChoiceField(label=_("Credit rating"), choices=[("", "—"), *CREDIT_RATINGS], required=False)
    financial_state = forms.ChoiceField(label=_("Financial state"), choices=[("", "—"), *FINANCIAL_STATES], required=False)
    long_term_partner = forms.BooleanField(label=_("Wants a long-term partnership"), required=False)
    has_key_resources = forms.BooleanField(label=_("Holds resources important to us"), required=False)
    note = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user


class OverrideForm(forms.Form):
    level = forms.ChoiceField(label=_("Grade"), choices=())
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}), max_length=1000)

    def __init__(self, *args, levels=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["level"].choices = list(levels)


class ConfirmForm(forms.Form):
    reason = forms.CharField(label=_("Comment"), widget=forms.Textarea(attrs={"rows": 2}), max_length=1000, required=False)


class FigureFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Customer"), field_name="customer__name", lookup_expr="icontains")
    year = django_filters.NumberFilter(label=_("Year"))
    customer = django_filters.NumberFilter(label=_("Customer id"), field_name="customer_id")

    class Meta:
        model = BusinessFigure
        fields = ["q", "year", "customer"]


class ChangeFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Customer"), field_name="customer__name", lookup_expr="icontains")
    source = django_filters.ChoiceFilter(label=_("Source"), choices=GradeSource.choices, empty_label=_("All"))
    date_from = django_filters.DateFilter(
        label=_("From"), field_name="at", lookup_expr="date__gte", widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = django_filters.DateFilter(
        label=_("Until"), field_name="at", lookup_expr="date__lte", widget=forms.DateInput(attrs={"type": "date"})
    )
    customer = django_filters.NumberFilter(label=_("Customer id"), field_name="customer_id", widget=forms.HiddenInput)

    class Meta:
        model = GradeChange
        fields = ["q", "source", "date_from", "date_to", "customer"]


class GradeFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Customer"), field_name="customer__name", lookup_expr="icontains")
    scheme = django_filters.ChoiceFilter(label=_("Scheme"), choices=(), empty_label=_("All"))
    level = django_filters.CharFilter(label=_("Grade"))
    unconfirmed = django_filters.BooleanFilter(
        label=_("Not confirmed yet"), field_name="level", lookup_expr="exact", method="filter_unconfirmed", widget=forms.CheckboxInput
    )

    class Meta:
        model = CustomerGrade
        fields = ["q", "scheme", "level"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from . import rules

        pol = rules.policy()
        self.filters["scheme"].extra["choices"] = [(s.code, rules.label(s, s.code)) for s in pol.grading.schemes]

    def filter_unconfirmed(self, queryset, name, value):
        return queryset.filter(level="") if value else queryset
