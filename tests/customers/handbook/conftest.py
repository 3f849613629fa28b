"""Fixtures of the handbook tests: one customer with two departments, contacts (one without a
department), a team member and some history; and the people looking at it.

- `people.manager`: department manager of Sales (unit tree) with view/export and the right to see
  personal data.
- `people.finance`: view/export of Sales East's unit, without the personal-data right.
- `people.rep`: a sales rep (own customers only) with view/export; owns nothing here.
- `people.noexport`: views every customer but may not export.
All use English pages (user.language), so the texts match the msgids.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

import pytest

from guanxi.customers.models import Contact, Customer, CustomerDepartment, CustomerMember
from tests.support import org as orgf

PERSONAL = "customers.view_personal_contact"


@pytest.fixture
def people(db):
    u = orgf.make_units()
    cust = orgf.perms(Customer, "view", "export") + orgf.perms(Contact, "view", "export")
    manager = orgf.make_user("hb_manager", u.sales, scope="unit_tree", permissions=[*cust, PERSONAL], language="en", full_name="王经理")
    finance = orgf.make_user("hb_finance", u.east, scope="unit", permissions=cust, language="en", full_name="李会计")
    rep = orgf.make_user("hb_rep", u.east, scope="self", permissions=cust, language="en")
    noexport = orgf.make_user("hb_viewer", u.company, scope="all", permissions=orgf.perms(Customer, "view"), language="en")
    owner = orgf.make_user("hb_owner", u.east, scope="self", permissions=cust, full_name="张三")
    return SimpleNamespace(**vars(u), manager=manager, finance=finance, rep=rep, noexport=noexport, owner=owner)


@pytest.fixture
def customer(people):
    c = Customer.objects.create(
        name="华新钢铁有限公司",
        short_name="华新钢铁",
        credit_code="91420200177570439X",
        industry="钢铁",
        address="湖北省黄石市下陆区",
        phone="0714-6400000",
        registered_capital=Decimal("120000000.00"),
        business_scope="钢材生产与销售",
        is_key=True,
        owner=people.owner,
        unit=people.east,
        first_contact_date=dt.date(2025, 3, 3),
    )
    c.industry = "冶金"
    c.save()  # one change in the history
    purchasing = CustomerDepartment.objects.create(
        customer=c,
        name="采购部",
        business_info="年采购量约 3 万吨",
        communication_info="每周二例会",
        background_info="2019 年起合作",
    )
    tech = CustomerDepartment.objects.create(customer=c, name="技术部", business_info="=1+1")
    Contact.objects.create(
        customer=c, department=purchasing, name="刘强", title="采购经理", mobile="13812345678", email="liu@example.cn", is_primary=True
    )
    Contact.objects.create(customer=c, department=tech, name="陈工", title="总工程师", mobile="13987654321")
    Contact.objects.create(customer=c, name="赵秘书", mobile="13700001111")
    CustomerMember.objects.create(customer=c, user=people.finance)
    return c
