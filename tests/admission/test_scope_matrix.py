"""Shared scope matrix for admissions (scoped through the customer)."""

from __future__ import annotations

from guanxi.admission import services
from guanxi.admission.models import Admission
from guanxi.customers import services as customer_services
from guanxi.customers.models import Customer
from tests.support.scoped import ScopedObjectTests


def _customer(env, *, in_scope=True):
    return customer_services.create_customer(
        actor=None,
        data={
            "name": env.unique("准入矩阵客户"),
            "owner": env.constrained.pk if in_scope else env.full.pk,
            "unit": env.home.pk if in_scope else env.other.pk,
            "category": "distributor",
        },
        check_duplicates=False,
    )


def _quiet_customer(env, *, in_scope=True):
    # Built after the test's write snapshot: no audit or history rows (bulk_create sends no signals).
    owner, unit = (env.constrained, env.home) if in_scope else (env.full, env.other)
    customer = Customer(name=env.unique("接口准入客户"), owner=owner, unit=unit, category="distributor")
    customer_services.refresh_keys(customer)
    return Customer.objects.bulk_create([customer])[0]


class TestAdmissionScope(ScopedObjectTests):
    model = Admission
    list_url = "admission:list"
    detail_url = "admission:detail"
    edit_url = "admission:edit"
    export_url = "admission:export"
    api_basename = "admission"
    api_actions = ("list", "retrieve", "create", "update")
    constrained_scope = "self"
    extra_permissions = ("customers.view_customer",)
    list_max_queries = 20
    api_list_max_queries = 15

    def make_object(self, env, *, in_scope=True):
        return services.start(_customer(env, in_scope=in_scope), actor=None)

    def edit_data(self, env, obj):
        return {"customer_kind": "regular", "exemption_reason": "", "notes": env.unique("备注")}

    def export_marker(self, obj):
        return obj.customer.name

    def api_payload(self, env):
        return {"customer": _quiet_customer(env).pk}

    def api_update_payload(self, env, obj):
        return {"notes": "接口备注"}

    def api_out_of_scope_payload(self, env):
        return {"customer": _quiet_customer(env, in_scope=False).pk}
