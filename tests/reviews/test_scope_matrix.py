"""Scope matrices of every scoped model of reviews (tests/support/scoped.py)."""

from __future__ import annotations

import datetime as dt
import itertools

from django.utils import timezone

from guanxi.customers import services as customer_services
from guanxi.customers.models import Customer
from guanxi.reviews.models import DowngradeTask, Incident, Review, ReviewCycle
from tests.support.scoped import ScopedObjectTests

_years = itertools.count(1)


def quiet_customer(env, *, in_scope=True) -> Customer:
    """A customer that leaves neither audit nor history rows (bulk_create sends no signals), so
    payloads built after a test's write snapshot do not disturb it."""
    owner, unit = (env.constrained, env.home) if in_scope else (env.full, env.other)
    customer = Customer(name=env.unique("评审矩阵客户"), owner=owner, unit=unit, category="distributor")
    customer_services.refresh_keys(customer)
    return Customer.objects.bulk_create([customer])[0]


def make_cycle(env, *, in_scope=True) -> ReviewCycle:
    start = dt.date(1900 + next(_years), 1, 1)
    return ReviewCycle.objects.create(
        unit=env.home if in_scope else env.other, period_start=start, period_end=start.replace(month=6, day=30)
    )


def make_review(env, *, in_scope=True) -> Review:
    customer = quiet_customer(env, in_scope=in_scope)
    cycle = make_cycle(env, in_scope=in_scope)
    return Review.objects.create(cycle=cycle, customer=customer, owner=customer.owner, unit=customer.unit)


def make_incident(env, *, in_scope=True, customer=None) -> Incident:
    customer = customer or quiet_customer(env, in_scope=in_scope)
    return Incident.objects.create(customer=customer, kind="late_payment", serious=True, description=env.unique("逾期"))


class TestReviewCycleScope(ScopedObjectTests):
    model = ReviewCycle
    list_url = "reviews:cycle_list"
    detail_url = "reviews:cycle_detail"
    create_url = "reviews:cycle_open"
    api_basename = "reviewcycle"
    api_actions = ("list", "retrieve")
    constrained_scope = "unit"

    def make_object(self, env, *, in_scope=True):
        return make_cycle(env, in_scope=in_scope)

    def form_data(self, env):
        quiet_customer(env)  # a customer of home, not yet reviewed this period
        return {"unit": env.home.pk}

    def out_of_scope_form_data(self, env):
        quiet_customer(env, in_scope=False)
        return {"unit": env.other.pk}


class TestReviewScope(ScopedObjectTests):
    model = Review
    list_url = "reviews:pending"
    detail_url = "reviews:detail"
    edit_url = "reviews:edit"
    export_url = "reviews:export"
    api_basename = "review"
    api_actions = ("list", "retrieve", "update")
    constrained_scope = "self"

    def make_object(self, env, *, in_scope=True):
        return make_review(env, in_scope=in_scope)

    def edit_data(self, env, obj):
        return {"contract_performance": "good", "payment_timeliness": "fair", "credit": "good", "result": "good", "comment": "矩阵"}

    def api_update_payload(self, env, obj):
        return {"comment": env.unique("接口评价")}

    def export_marker(self, obj):
        return obj.customer.name


class TestIncidentScope(ScopedObjectTests):
    model = Incident
    list_url = "reviews:incident_list"
    detail_url = "reviews:incident_detail"
    create_url = "reviews:incident_create"
    export_url = "reviews:incident_export"
    api_basename = "incident"
    api_actions = ("list", "retrieve", "create")
    constrained_scope = "self"
    extra_permissions = ("customers.view_customer",)

    def make_object(self, env, *, in_scope=True):
        return make_incident(env, in_scope=in_scope)

    def form_data(self, env):
        return {
            "customer": quiet_customer(env).pk,
            "kind": "other",
            "date": timezone.localdate().isoformat(),
            "description": env.unique("事件"),
        }

    def out_of_scope_form_data(self, env):
        return {**self.form_data(env), "customer": quiet_customer(env, in_scope=False).pk}

    def api_payload(self, env):
        return {"customer": quiet_customer(env).pk, "kind": "breach", "serious": False, "description": env.unique("接口事件")}

    def api_out_of_scope_payload(self, env):
        return {**self.api_payload(env), "customer": quiet_customer(env, in_scope=False).pk}

    def export_marker(self, obj):
        return obj.description


class TestDowngradeTaskScope(ScopedObjectTests):
    model = DowngradeTask
    list_url = "reviews:downgrade_list"
    detail_url = "reviews:downgrade_detail"
    export_url = "reviews:downgrade_export"
    api_basename = "downgradetask"
    api_actions = ("list", "retrieve")
    constrained_scope = "self"

    def make_object(self, env, *, in_scope=True):
        incident = make_incident(env, in_scope=in_scope)
        return DowngradeTask.objects.create(
            customer=incident.customer,
            incident=incident,
            from_level="vip",
            to_level="preferred",
            due_date=timezone.localdate() + dt.timedelta(days=5),
        )

    def export_marker(self, obj):
        return obj.customer.name
