"""Fixtures of the customer pages tests.

`env`: company ─┬─ sales ── east (team)
                └─ service
- manager: all customers (view/add/change/export), may see personal data
- rep: sales rep in `east`, scope self (view/add/change)
- other_rep: sales rep in `sales`, scope self
- service: service staff, scope all, view only, no personal-data right
All of them read the pages in English (user.language).

`make_customer(name, *, owner=None, unit=None, contacts=(), tags=(), **fields)`: a customer
saved directly (search keys set), for list and search tests that need many rows quickly.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from guanxi.customers import normalize
from guanxi.customers.models import Contact, Customer, Tag
from tests.support import org

VIEW = "customers.view_customer"
ADD = "customers.add_customer"
CHANGE = "customers.change_customer"
EXPORT = "customers.export_customer"
PERSONAL = "customers.view_personal_contact"
CONTACT_PERMS = ["customers.view_contact", "customers.add_contact", "customers.change_contact"]


@pytest.fixture
def env(db):
    units = org.make_units()
    manager = org.make_user(
        "ui_manager",
        units.company,
        scope="all",
        permissions=[VIEW, ADD, CHANGE, EXPORT, PERSONAL, *CONTACT_PERMS],
        full_name="王经理",
        language="en",
    )
    rep = org.make_user(
        "ui_rep", units.east, scope="self", permissions=[VIEW, ADD, CHANGE, *CONTACT_PERMS], full_name="张销售", language="en"
    )
    other_rep = org.make_user("ui_rep", units.sales, full_name="李销售", language="en")
    service = org.make_user(
        "ui_service", units.service, scope="all", permissions=[VIEW, "customers.view_contact"], full_name="赵客服", language="en"
    )
    return SimpleNamespace(units=units, manager=manager, rep=rep, other_rep=other_rep, service=service)


def set_keys(customer: Customer) -> None:
    customer.name_key = normalize.name_key(customer.name)
    customer.pinyin, customer.initials = normalize.pinyin_keys(customer.name)
    customer.phone_key = normalize.phone_key(customer.phone)


@pytest.fixture
def make_customer(env):
    def _make(name, *, owner=None, unit=None, contacts=(), tags=(), **fields):
        owner = owner or env.rep
        customer = Customer(name=name, owner=owner, unit=unit or env.units.east, **fields)
        set_keys(customer)
        customer.save()
        for data in contacts:
            Contact.objects.create(customer=customer, **data)
        for tag in tags:
            customer.tags.add(Tag.objects.get_or_create(name=tag)[0])
        return customer

    return _make
