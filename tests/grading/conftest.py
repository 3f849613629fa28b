"""Fixtures of the grading tests.

`env`: company ─┬─ sales (department) ── east (team)
               └─ service (department)
with the system roles: gm, manager (department_manager of sales), rep (sales_rep in east),
other_rep (sales_rep in service).
`customer(name, category="direct", unit=east, owner=rep, figures={year: sales}, overdue={year: n},
profile={...}, custom={...}, **fields)`: a customer created through the service.
`use_policy(**grading_changes)`: makes policy.current() return the shipped policy with these
`grading` clauses replaced (validated), version 42.
`Y`: the reference year of the figures (last year).
"""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

import pytest

from guanxi.accounts.roles import ensure_system_roles, grant_new_permissions
from guanxi.customers import services as customer_services
from guanxi.grading import engine
from guanxi.grading.models import BusinessFigure, GradingProfile
from tests.support import org


@pytest.fixture
def Y():
    return engine.reference_year()


@pytest.fixture
def env(db):
    from guanxi.accounts.models import Role

    ensure_system_roles()
    grant_new_permissions("customers")
    grant_new_permissions("grading")
    roles = {r.code: r for r in Role.objects.all()}
    units = org.make_units()
    gm = org.make_user(roles["general_manager"], units.company, username="gm", full_name="总经理", language="en")
    manager = org.make_user(roles["department_manager"], units.sales, username="manager", full_name="王经理", language="en")
    rep = org.make_user(roles["sales_rep"], units.east, username="rep", full_name="张三", reports_to=manager, language="en")
    other_rep = org.make_user(roles["sales_rep"], units.service, username="rep2", full_name="李四", language="en")
    return SimpleNamespace(units=units, roles=roles, gm=gm, manager=manager, rep=rep, other_rep=other_rep)


@pytest.fixture
def customer(env):
    counter = [0]

    def make(name=None, category="direct", *, unit=None, owner=None, figures=None, overdue=None, profile=None, custom=None, **fields):
        counter[0] += 1
        data = {
            "name": name or f"测试客户{counter[0]}有限公司",
            "category": category,
            "owner": owner or env.rep,
            "unit": unit or env.units.east,
        }
        data.update(fields)
        c = customer_services.create_customer(actor=None, data=data, check_duplicates=False)
        if custom:
            c.custom_data = {**(c.custom_data or {}), **custom}
            c.save(update_fields=["custom_data"])
        for year, sales in (figures or {}).items():
            BusinessFigure.objects.update_or_create(customer=c, year=year, defaults={"sales": Decimal(str(sales))})
        for year, n in (overdue or {}).items():
            BusinessFigure.objects.update_or_create(customer=c, year=year, defaults={"overdue_payments": n})
        if profile:
            GradingProfile.objects.update_or_create(customer=c, defaults=profile)
        return c

    return make


@pytest.fixture
def use_policy(monkeypatch):
    from guanxi.policy import services as policy_services
    from guanxi.policy.schema import default_policy

    def set_policy(**grading):
        data = default_policy().model_dump(mode="json")
        data["grading"].update(grading)
        pol = policy_services.validate(data).with_version(42)
        monkeypatch.setattr(policy_services, "current", lambda: pol)
        return pol

    return set_policy


def scheme_data(code: str) -> dict:
    from guanxi.policy.schema import default_policy

    return next(s for s in default_policy().model_dump(mode="json")["grading"]["schemes"] if s["code"] == code)
