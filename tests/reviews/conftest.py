"""Fixtures of the reviews tests.

`env`: company ─┬─ dept (department) ── team
                └─ other (department)
  gm (general_manager, company), md (marketing_director, company), fin (finance, company),
  dm (department_manager, dept, reports to md), rep (sales_rep, team, reports to dm),
  odm (department_manager, other).
`env.customer(level=..., unit=..., owner=...)`: a distributor (scheme "vip": vip / preferred /
qualified) with that confirmed grade; `env.fill(n)` adds n ungraded customers to dept so quota
shares stay low.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from guanxi.accounts.roles import ensure_system_roles
from guanxi.customers import services as customer_services
from guanxi.customers.models import Customer
from tests.support import org as orgf


def make_customer(name, unit, owner, *, category="distributor") -> Customer:
    c = Customer(name=name, unit=unit, owner=owner, category=category, status="active")
    customer_services.refresh_keys(c)
    c.save()
    return c


def give_grade(customer, level, scheme="vip"):
    from guanxi.grading.models import CustomerGrade

    CustomerGrade.objects.update_or_create(
        customer=customer, defaults={"unit": customer.unit, "scheme": scheme, "level": level, "source": "override"}
    )


@pytest.fixture
def env(db):
    ensure_system_roles()
    company = orgf.make_unit("R Company", kind="company")
    dept = orgf.make_unit("R Dept", company)
    team = orgf.make_unit("R Team", dept, kind="team")
    other = orgf.make_unit("R Other", company)
    gm = orgf.make_user("general_manager", company, username=orgf.unique("gm"))
    md = orgf.make_user("marketing_director", company, username=orgf.unique("md"), reports_to=gm)
    fin = orgf.make_user("finance", company, username=orgf.unique("fin"))
    dm = orgf.make_user("department_manager", dept, username=orgf.unique("dm"), reports_to=md)
    rep = orgf.make_user("sales_rep", team, username=orgf.unique("rep"), reports_to=dm)
    odm = orgf.make_user("department_manager", other, username=orgf.unique("odm"))
    ns = SimpleNamespace(company=company, dept=dept, team=team, other=other, gm=gm, md=md, fin=fin, dm=dm, rep=rep, odm=odm)

    def customer(level="", *, unit=None, owner=None, name=None, category="distributor"):
        c = make_customer(name or orgf.unique("评审客户"), unit or team, owner or rep, category=category)
        if level:
            give_grade(c, level)
        return c

    def fill(n, unit=None):
        # Graded customers of the lowest level: the nightly run gives every customer a grade
        # row, and quotas count those rows.
        for _ in range(n):
            customer("qualified", unit=unit)

    ns.customer = customer
    ns.fill = fill
    return ns
