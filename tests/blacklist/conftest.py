"""Fixtures of the blacklist tests.

`env`: company ─┬─ sales ── east (team)
               └─ service
with the system roles: gm (general_manager) and director (marketing_director) in company,
manager (department_manager, sales), east_manager (department_manager, east), rep (sales_rep,
east), service_manager (department_manager, service), admin (administrator, company).
`customer(name=…, **data)`: a customer of east (owner rep) created through the service.
`policy(**grading)`: the active policy with some grading (or `sales=`) clauses changed.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from guanxi.accounts.roles import ensure_system_roles, grant_new_permissions
from guanxi.customers import services as customer_services
from tests.support import org


@pytest.fixture
def env(db):
    from guanxi.accounts.models import Role

    ensure_system_roles()
    grant_new_permissions("customers")
    grant_new_permissions("blacklist")
    roles = {r.code: r for r in Role.objects.all()}
    units = org.make_units()
    gm = org.make_user(roles["general_manager"], units.company, username="gm", full_name="总经理")
    director = org.make_user(roles["marketing_director"], units.company, username="director", full_name="市场总监")
    manager = org.make_user(roles["department_manager"], units.sales, username="manager", full_name="王经理")
    east_manager = org.make_user(roles["department_manager"], units.east, username="eastmgr", full_name="东区经理")
    rep = org.make_user(roles["sales_rep"], units.east, username="rep", full_name="张三", reports_to=manager)
    service_manager = org.make_user(roles["department_manager"], units.service, username="svcmgr", full_name="客服经理")
    admin = org.make_user(roles["administrator"], units.company, username="admin", full_name="管理员")
    return SimpleNamespace(
        units=units,
        roles=roles,
        gm=gm,
        director=director,
        manager=manager,
        east_manager=east_manager,
        rep=rep,
        service_manager=service_manager,
        admin=admin,
    )


@pytest.fixture
def customer(env):
    def make(name="华新钢铁贸易有限公司", **data):
        data.setdefault("status", "active")
        return customer_services.create_customer(
            actor=env.rep, data={"name": name, "unit": env.units.east.pk, **data}, check_duplicates=False
        )

    return make


class _PolicyProxy:
    def __init__(self, real, **sections):
        self._real, self._sections = real, sections

    def __getattr__(self, name):
        if name in self._sections:
            return self._sections[name]
        return getattr(self._real, name)


@pytest.fixture
def policy(monkeypatch):
    from guanxi.policy import services as policy_services

    real_current = policy_services.current

    def set_policy(sales: dict | None = None, **grading):
        real = real_current()
        sections = {"grading": real.grading.model_copy(update=grading)}
        if sales:
            sections["sales"] = real.sales.model_copy(update=sales)
        monkeypatch.setattr(policy_services, "current", lambda: _PolicyProxy(real, **sections))

    return set_policy
