"""Scope matrix of every scoped grading model (tests/support/scoped.py): grades, business
figures, grading profiles and grade changes are scoped through their customer."""

from __future__ import annotations

from django.urls import reverse

from guanxi.customers import services as customer_services
from guanxi.customers.models import Customer
from guanxi.grading import services
from guanxi.grading.models import BusinessFigure, CustomerGrade, GradeChange, GradingProfile
from tests.support.scoped import ScopedObjectTests


def _customer(env, *, in_scope=True, quiet=False):
    owner, unit = (env.constrained, env.home) if in_scope else (env.full, env.other)
    if quiet:  # no audit or history row (payloads are built after the write snapshot)
        c = Customer(name=env.unique("分级客户"), owner=owner, unit=unit)
        customer_services.refresh_keys(c)
        return Customer.objects.bulk_create([c])[0]
    return customer_services.create_customer(
        actor=None, data={"name": env.unique("分级客户"), "owner": owner, "unit": unit}, check_duplicates=False
    )


class TestCustomerGradeScope(ScopedObjectTests):
    model = CustomerGrade
    list_url = "grading:grade_list"
    export_url = "grading:grade_list_export"
    api_basename = "customergrade"
    api_actions = ("list", "retrieve")
    constrained_scope = "self"
    list_max_queries = 25
    api_list_max_queries = 15

    def make_object(self, env, *, in_scope=True):
        return services.ensure_grade(_customer(env, in_scope=in_scope))

    def list_marker(self, obj):
        return reverse("customers:detail", args=[obj.customer_id])

    def export_marker(self, obj):
        return obj.customer.name


class TestBusinessFigureScope(ScopedObjectTests):
    model = BusinessFigure
    list_url = "grading:figures"
    create_url = "grading:figure_add"
    edit_url = "grading:figure_edit"
    delete_url = "grading:figure_delete"
    export_url = "grading:figures_export"
    api_basename = "businessfigure"
    constrained_scope = "self"
    list_max_queries = 25
    api_list_max_queries = 15

    def make_object(self, env, *, in_scope=True):
        return BusinessFigure.objects.create(customer=_customer(env, in_scope=in_scope), year=2024, sales=1000)

    def list_marker(self, obj):
        return reverse("grading:figure_edit", args=[obj.pk])

    def export_marker(self, obj):
        return obj.customer.name

    def form_data(self, env):
        return {"customer": _customer(env, quiet=True).pk, "year": 2024, "sales": "1000.50", "payments": "900", "overdue_payments": 1}

    def edit_data(self, env, obj):
        return {"year": obj.year, "sales": "2000", "payments": "0", "collection": "0", "overdue_payments": 0}

    def out_of_scope_form_data(self, env):
        return {**self.form_data(env), "customer": _customer(env, in_scope=False, quiet=True).pk}

    def api_payload(self, env):
        return {"customer": _customer(env, quiet=True).pk, "year": 2023, "sales": "123.45"}

    def api_update_payload(self, env, obj):
        return {"sales": "999.00"}

    def api_out_of_scope_payload(self, env):
        return {"customer": _customer(env, in_scope=False, quiet=True).pk, "year": 2023, "sales": "1"}


class TestGradingProfileScope(ScopedObjectTests):
    model = GradingProfile
    edit_url = "grading:profile_edit"
    constrained_scope = "self"

    def make_object(self, env, *, in_scope=True):
        return GradingProfile.objects.create(customer=_customer(env, in_scope=in_scope), credit_rating="A")

    def url_kwargs(self, obj):
        return {"pk": obj.customer_id}

    def edit_data(self, env, obj):
        return {"credit_rating": "AA", "financial_state": "good", "long_term_partner": "on"}


class TestGradeChangeScope(ScopedObjectTests):
    model = GradeChange
    list_url = "grading:changes"
    export_url = "grading:changes_export"
    constrained_scope = "self"
    list_max_queries = 25

    def make_object(self, env, *, in_scope=True):
        c = _customer(env, in_scope=in_scope)
        return GradeChange.objects.create(
            customer=c, unit=c.unit, scheme="abcd", from_level="", to_level="B", source="override", reason="x"
        )

    def list_marker(self, obj):
        return reverse("customers:detail", args=[obj.customer_id])

    def export_marker(self, obj):
        return obj.customer.name
