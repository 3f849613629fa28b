"""Scope matrix of blacklist entries: a department sees the company list and its own lists
(constrained = unit_tree in "home"); "other"'s department list stays out of sight."""

from __future__ import annotations

from guanxi.blacklist.models import BlacklistEntry, EntryStatus, Level
from guanxi.customers import services as customer_services
from guanxi.customers.models import Customer
from tests.support.scoped import ScopedObjectTests


def _quiet_customer(env, unit, owner=None):
    # Built after the test's write snapshot in payloads: bulk_create leaves no history rows.
    c = Customer(name=env.unique("黑名单测试客户"), unit=unit, owner=owner, status="active")
    customer_services.refresh_keys(c)
    return Customer.objects.bulk_create([c])[0]


class TestBlacklistEntryScope(ScopedObjectTests):
    model = BlacklistEntry
    list_url = "blacklist:list"
    detail_url = "blacklist:detail"
    create_url = "blacklist:add"
    export_url = "blacklist:export"
    api_basename = "blacklistentry"
    api_actions = ("list", "retrieve", "create")
    constrained_scope = "unit_tree"
    extra_permissions = ("customers.view_customer", "accounts.view_orgunit")
    list_max_queries = 20
    api_list_max_queries = 12

    def make_object(self, env, *, in_scope=True):
        unit = env.home if in_scope else env.other
        c = _quiet_customer(env, unit)
        return BlacklistEntry.objects.create(
            customer=c, level=Level.DEPARTMENT, unit=unit, reason=env.unique("理由"), status=EntryStatus.ACTIVE, created_by=env.full
        )

    def export_marker(self, obj):
        return obj.customer.name

    def form_data(self, env):
        return {"customer": _quiet_customer(env, env.home).pk, "level": "department", "unit": env.home.pk, "reason": "多次逾期"}

    def out_of_scope_form_data(self, env):
        return {"customer": _quiet_customer(env, env.home).pk, "level": "department", "unit": env.other.pk, "reason": "多次逾期"}

    def api_payload(self, env):
        return {"customer": _quiet_customer(env, env.home).pk, "level": "department", "unit": env.home.pk, "reason": "多次逾期"}

    def api_out_of_scope_payload(self, env):
        return {"customer": _quiet_customer(env, env.home).pk, "level": "department", "unit": env.other.pk, "reason": "多次逾期"}
